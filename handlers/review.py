"""/review for regulators: the jurisdiction's evidence queue, oldest first, with the files;
accept (the indicator is fulfilled from the given date until its expiry) or reject with a
reason, which the owner is told at once. Every press re-checks the jurisdiction."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clipping import clip
from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator, Translator
from bot.ui import ask, fits, reask, settle_press, show_card
from bot.viewer import Viewer
from domain.compliance import expiry_of
from domain.enums import Role
from domain.indicators import load_catalogue
from handlers import files_step
from handlers.callbacks import ListCb
from handlers.lookup import jurisdictions
from handlers.rectify import waiting_button
from notifications.notices import notify
from notifications.sender import Sender
from storage import evidence as ev
from storage.clock import local
from storage.division_names import names
from storage.inspections import users_with_role
from storage.models import Enterprise, EvidenceSubmission

REASON_LIMIT = 500
ALERT_LIMIT = 200  # characters Telegram shows in a callback's alert


class ReviewCb(CallbackData, prefix="rv"):
    action: str  # accept | confirm | keep | reject | next
    submission_id: int
    offset: int = 0


class EvidenceRejectDialog(StatesGroup):
    reason = State()


def _names(settings: Settings) -> dict:
    return {i.code: i for i in load_catalogue(settings.indicator_catalogue)}


async def review_command(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    await _show(message, t, viewer, session, settings, state, 0)


async def review_from_notice(
    query: CallbackQuery,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    await query.answer()
    await _show(query.message, t, viewer, session, settings, state, 0)


async def _show(message: Message, t, viewer, session, settings, state: FSMContext, offset: int) -> None:
    found, total = await ev.queue(session, jurisdictions(viewer), offset)
    if found is None and offset:
        found, total = await ev.queue(session, jurisdictions(viewer), 0)  # past the end: start again
        offset = 0
    if offset == 0:
        waiting, button = await waiting_button(t, session, viewer)
        if waiting:
            await message.answer(t("rectify.waiting", n=waiting), reply_markup=button)
    if found is None:
        await message.answer(t("review.empty"))
        return
    sub, enterprise = found
    await files_step.show(message, await ev.files_of(session, sub.id))
    text = await _card_text(t, session, settings, sub, enterprise, offset, total)
    # A card: 「通过」 or "reject" typed next counts as the press (which re-checks the jurisdiction).
    await show_card(message, state, text, _card_buttons(t, sub.id, offset, total > 1))


async def _card_text(
    t, session, settings, sub: EvidenceSubmission, enterprise: Enterprise, offset, total
) -> str:
    ind = _names(settings).get(sub.indicator)
    expiry = expiry_of(sub.fulfilled_on, sub.expires_on, ind.validity_months if ind else None)
    files = await ev.files_of(session, sub.id)
    place = (await names(session, [enterprise.division])).get(enterprise.division, enterprise.division)
    return t(
        "review.card",
        n=offset + 1,
        total=total,
        name=enterprise.name,
        uscc=enterprise.uscc,
        division=place,
        indicator=ind.name(t.locale) if ind else sub.indicator,
        fulfilled=sub.fulfilled_on.isoformat(),
        expiry=expiry.isoformat() if expiry else "",
        submitted=local(sub.submitted_at, settings.tz).date().isoformat(),
        files=len(files),
    )


def _card_buttons(t, submission_id: int, offset: int, more: bool):
    kb = InlineKeyboardBuilder()
    kb.button(
        text=t.label("review.accept"), callback_data=ReviewCb(action="accept", submission_id=submission_id)
    )
    kb.button(
        text=t.label("review.reject"), callback_data=ReviewCb(action="reject", submission_id=submission_id)
    )
    if more:
        kb.button(
            text=t.label("review.next"),
            callback_data=ReviewCb(action="next", submission_id=submission_id, offset=offset + 1),
        )
    kb.adjust(2, 1)
    return kb.as_markup()


def _confirm_buttons(t, submission_id: int, offset: int):
    kb = InlineKeyboardBuilder()
    kb.button(
        text=t.label("confirm.accept"),
        callback_data=ReviewCb(action="confirm", submission_id=submission_id, offset=offset),
    )
    kb.button(
        text=t.label("confirm.back"),
        callback_data=ReviewCb(action="keep", submission_id=submission_id, offset=offset),
    )
    return kb.as_markup()


async def review_pressed(
    query: CallbackQuery,
    callback_data: ReviewCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
    translator: Translator,
) -> None:
    if callback_data.action == "next":
        await settle_press(query)
        await _show(query.message, t, viewer, session, settings, state, callback_data.offset)
        return
    found = await ev.waiting_in(session, jurisdictions(viewer), callback_data.submission_id)
    if found is None or callback_data.action not in ("accept", "confirm", "keep", "reject"):
        await query.answer(t("review.gone"), show_alert=True)
        return
    sub, enterprise = found
    if callback_data.action in ("accept", "keep"):
        await _swap_buttons(query, callback_data, t, viewer, session, settings, state, sub, enterprise)
        return
    await settle_press(query)
    if callback_data.action == "reject":
        await state.set_state(EvidenceRejectDialog.reason)
        await state.update_data(submission_id=sub.id)
        await ask(query.message, state, t("review.ask_reason", limit=REASON_LIMIT))
        return
    await _decide(
        query.message, t, viewer, session, settings, state, bot, sender, translator, sub, enterprise, True, ""
    )


async def _swap_buttons(
    query: CallbackQuery, callback_data: ReviewCb, t, viewer, session, settings, state, sub, enterprise
) -> None:
    """Accept asks once more (accepting changes the enterprise's compliance at once, which
    the alert says); Back brings the card's own buttons back. Either way the card stays one
    whose buttons may be typed (「确认采纳」, "back")."""
    if callback_data.action == "accept":
        ind = _names(settings).get(sub.indicator)
        indicator = ind.name(t.locale) if ind else sub.indicator
        ask_text = t.label(  # an alert is plain text, like a button's
            "confirm.accept_ask",
            name=enterprise.name,
            indicator=indicator,
            fulfilled=sub.fulfilled_on.isoformat(),
        )
        await query.answer(clip(ask_text, ALERT_LIMIT), show_alert=True)
    else:
        await query.answer()
    offset = callback_data.offset
    _, total = await ev.queue(session, jurisdictions(viewer), offset)
    text = await _card_text(t, session, settings, sub, enterprise, offset, total)
    if callback_data.action == "accept":
        markup = _confirm_buttons(t, sub.id, offset)
    else:
        markup = _card_buttons(t, sub.id, offset, total > 1)
    await show_card(query.message, state, text, markup, edit=True)


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
    if not fits(message.text, REASON_LIMIT):
        await reask(message, state, t("dialog.text_limit", limit=REASON_LIMIT))
        return
    data = await state.get_data()
    await state.clear()
    found = await ev.waiting_in(session, jurisdictions(viewer), data["submission_id"])
    if found is None:
        await message.answer(t("review.gone"))
        return
    sub, enterprise = found
    reason = message.text.strip()
    await _decide(
        message, t, viewer, session, settings, state, bot, sender, translator, sub, enterprise, False, reason
    )


async def _decide(
    message: Message,
    t,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
    translator: Translator,
    sub: EvidenceSubmission,
    enterprise: Enterprise,
    accept: bool,
    reason: str,
) -> None:
    if not await ev.decide(session, sub, accept, viewer.user_id, reason):
        await session.rollback()
        await message.answer(t("review.gone"))
        return
    ind = _names(settings).get(sub.indicator)
    expiry = expiry_of(sub.fulfilled_on, sub.expires_on, ind.validity_months if ind else None)
    owners = await users_with_role(session, Role.owner, enterprise_id=enterprise.id)
    await notify(
        session,
        translator,
        owners,
        "evidence",
        "review.notice_accepted" if accept else "review.notice_rejected",
        f"evidence:{sub.id}:{sub.status}",
        localize=lambda lt: {"indicator": ind.name(lt.locale) if ind else sub.indicator},
        name=enterprise.name,
        fulfilled=sub.fulfilled_on.isoformat(),
        expiry=expiry.isoformat() if expiry else "",
        reason=reason,
    )
    await session.commit()
    sender.kick(bot)
    indicator = ind.name(t.locale) if ind else sub.indicator
    await message.answer(
        t("review.accepted" if accept else "review.rejected", name=enterprise.name, indicator=indicator)
    )
    await _show(message, t, viewer, session, settings, state, 0)


def build_router() -> Router:
    router = Router(name="review")
    router.message.filter(HasRole(Role.regulator))
    router.callback_query.filter(HasRole(Role.regulator))
    router.message.register(review_command, Command("review"))
    router.callback_query.register(review_from_notice, ListCb.filter(F.what == "review"))
    router.callback_query.register(review_pressed, ReviewCb.filter())
    router.message.register(reject_reason, EvidenceRejectDialog.reason, ~F.text.startswith("/"))
    return router
