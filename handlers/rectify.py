"""Regulators verify the rectification of hazards their own inspections found (the agency
verifies only its own findings). Reached from /review and from the owner's notice."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator, Translator
from bot.viewer import Viewer
from domain.enums import Role
from domain.lifecycle import Action
from handlers.callbacks import ListCb
from handlers.lookup import jurisdictions
from handlers.staff.verify import (
    before_and_after,
    decide_rectification,
    press_verification,
    read_reason,
    verify_buttons,
)
from notifications.sender import Sender
from storage import gov_inspections as gov
from storage import hazards


class GovVerifyCb(CallbackData, prefix="gv"):
    action: str  # verify | confirm | keep | reject
    hazard_id: int


class GovRejectDialog(StatesGroup):
    reason = State()


async def waiting_button(
    t: BoundTranslator, session: AsyncSession, viewer: Viewer
) -> tuple[int, InlineKeyboardMarkup]:
    """How many government findings wait for verification, and the button that lists them."""
    n = await gov.count_waiting(session, jurisdictions(viewer))
    kb = InlineKeyboardBuilder()
    kb.button(text=t("rectify.open"), callback_data=ListCb(what="gov_verify"))
    return n, kb.as_markup()


async def list_pressed(
    query: CallbackQuery, t: BoundTranslator, viewer: Viewer, session: AsyncSession
) -> None:
    await query.answer()
    waiting = await gov.waiting_rectifications(session, jurisdictions(viewer))
    if not waiting:
        await query.message.answer(t("verify.none"))
        return
    total = await gov.count_waiting(session, jurisdictions(viewer))
    await query.message.answer(t("rectify.header", n=total, shown=len(waiting), more=total - len(waiting)))
    for hazard, enterprise in waiting:
        event, photos = await hazards.latest_event(session, hazard.id, "submitted")
        _, before = await hazards.latest_event(session, hazard.id, "created")
        await before_and_after(query.message, t, hazard.description, before, photos)
        await query.message.answer(
            t(
                "verify.item",
                name=enterprise.name,
                description=hazard.description,
                deadline=hazard.deadline.isoformat(),
                note=event.note if event else "",
                photos=len(photos),
                level=t(f"level.{hazard.level}"),
            ),
            reply_markup=verify_buttons(t, GovVerifyCb, hazard.id),
        )


async def verify_pressed(
    query: CallbackQuery,
    callback_data: GovVerifyCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
    translator: Translator,
) -> None:
    found = await gov.verifiable(session, jurisdictions(viewer), callback_data.hazard_id)
    await press_verification(
        query, callback_data, found[0] if found else None, GovRejectDialog.reason, t, viewer, session,
        settings, state, bot, sender, translator,
    )  # fmt: skip


async def reject_reason(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
    translator: Translator,
) -> None:
    typed = await read_reason(message, t, state)
    if typed is None:
        return
    hazard_id, reason = typed
    found = await gov.verifiable(session, jurisdictions(viewer), hazard_id)
    if found is None:
        await message.answer(t("verify.gone"))
        return
    hazard, _ = found
    await decide_rectification(
        message,
        hazard,
        Action.reject,
        reason,
        t,
        viewer,
        session,
        settings,
        bot,
        sender,
        translator,
    )


def build_router() -> Router:
    router = Router(name="rectify")
    router.message.filter(HasRole(Role.regulator))
    router.callback_query.filter(HasRole(Role.regulator))
    router.callback_query.register(list_pressed, ListCb.filter(F.what == "gov_verify"))
    router.callback_query.register(verify_pressed, GovVerifyCb.filter())
    router.message.register(reject_reason, GovRejectDialog.reason, ~F.text.startswith("/"))
    return router
