"""Regulators verify the rectification of hazards their own inspections found (the agency
verifies only its own findings). Reached from /review and from the owner's notice."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator, Translator
from bot.viewer import Viewer
from domain.enums import Role
from handlers.callbacks import ListCb
from handlers.lookup import jurisdictions
from handlers.staff.verify import press_verification, reject_reason_handler, send_rectification
from notifications.sender import Sender
from storage import gov_inspections as gov
from storage.models import Hazard


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
    kb.button(text=t.label("rectify.open"), callback_data=ListCb(what="gov_verify"))
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
        await send_rectification(query.message, t, session, hazard, enterprise.name, GovVerifyCb)


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
    hazard = await _verifiable(session, viewer, settings, callback_data.hazard_id)
    await press_verification(
        query, callback_data, hazard, GovRejectDialog.reason, t, viewer, session, settings, state, bot,
        sender, translator,
    )  # fmt: skip


async def _verifiable(
    session: AsyncSession, viewer: Viewer, settings: Settings, hazard_id: int
) -> Hazard | None:
    """A government finding's rectification this regulator may verify, or None."""
    found = await gov.verifiable(session, jurisdictions(viewer), hazard_id)
    return found[0] if found else None


reject_reason = reject_reason_handler(_verifiable)


def build_router() -> Router:
    router = Router(name="rectify")
    router.message.filter(HasRole(Role.regulator))
    router.callback_query.filter(HasRole(Role.regulator))
    router.callback_query.register(list_pressed, ListCb.filter(F.what == "gov_verify"))
    router.callback_query.register(verify_pressed, GovVerifyCb.filter())
    router.message.register(reject_reason, GovRejectDialog.reason, ~F.text.startswith("/"))
    return router
