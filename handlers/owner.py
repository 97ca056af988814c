"""Enterprise owners: /hazards with rectification evidence, and /rate for agency visits."""

from __future__ import annotations

from datetime import timedelta

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
from bot.paging import PageCb, pager_buttons, paginate
from bot.status_view import days_text
from bot.ui import (
    StepCb,
    ask,
    collect_photo,
    fits,
    hint_and_question,
    reask,
    settle_press,
    show_card,
    step_button,
)
from bot.viewer import Viewer
from domain.enums import HazardSource, HazardStatus, Role
from domain.lifecycle import Action
from domain.stars import read_stars
from handlers.callbacks import ListCb, RateCb, stars_keyboard
from handlers.status import owned_ids
from handlers.typed_press import typed_first
from notifications.notices import notify
from notifications.sender import Sender
from notifications.splitting import split_text
from storage import hazards, ratings
from storage import inspections as q
from storage.clock import today as local_today
from storage.models import Agency, Enterprise, Hazard, Visit

MAX_PHOTOS = 5
ENTRY_TEXT = 1500  # of a description or suggestion in a list; two fit one message


class FixCb(CallbackData, prefix="fix"):
    hazard_id: int


class FullTextCb(CallbackData, prefix="hzt"):
    """Read in full a hazard whose description or suggestion the list clipped."""

    hazard_id: int


class FixDialog(StatesGroup):
    photos = State()
    note = State()


class RateDialog(StatesGroup):
    visit = State()
    stars = State()
    comment = State()


# ---------------------------------------------------------------- /hazards


async def hazards_command(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    await _send_hazards(message, t, viewer, session, settings, state)


async def hazards_from_notice(
    query: CallbackQuery,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    await query.answer()
    await _send_hazards(query.message, t, viewer, session, settings, state)


async def hazards_page(
    query: CallbackQuery,
    callback_data: PageCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    await query.answer()
    await _send_hazards(query.message, t, viewer, session, settings, state, callback_data.page, edit=True)


async def _send_hazards(
    message: Message, t, viewer, session, settings, state: FSMContext, page: int = 0, edit: bool = False
) -> None:
    today = local_today(settings.tz)
    rows = await hazards.owner_hazards(session, owned_ids(viewer))
    if not rows:
        await message.answer(t("hazards.none"))
        return
    items = [
        {
            "n": n,
            "id": hazard.id,
            "open": hazard.status == HazardStatus.open,
            "name": name,
            "description": clip(hazard.description, ENTRY_TEXT),
            "location": hazard.location,
            "deadline": hazard.deadline.isoformat(),
            "when": days_text(t, hazard.deadline, today),
            "major": hazard.level == "major",
            "submitted": hazard.status == HazardStatus.submitted,
            "suggestion": clip(hazard.suggestion, ENTRY_TEXT),
            "clipped": max(len(hazard.description), len(hazard.suggestion or "")) > ENTRY_TEXT,
        }
        for n, (hazard, name) in enumerate(rows, start=1)
    ]
    text, shown = paginate(lambda part: t("hazards.list", items=part), items, page)
    kb = InlineKeyboardBuilder()
    for item in shown.entries:
        if item["open"]:
            kb.button(
                text=t.label("hazards.fix_button", n=item["n"]), callback_data=FixCb(hazard_id=item["id"])
            )
        if item["clipped"]:
            kb.button(
                text=t.label("hazards.full_button", n=item["n"]),
                callback_data=FullTextCb(hazard_id=item["id"]),
            )
    kb.adjust(2)
    kb.row(*pager_buttons("hz", shown))
    await show_card(
        message, state, text, kb.as_markup() if kb.buttons else None, edit=edit
    )  # 「第1项已整改」 typed


async def full_text(
    query: CallbackQuery, callback_data: FullTextCb, t: BoundTranslator, viewer: Viewer, session: AsyncSession
) -> None:
    hazard = await session.get(Hazard, callback_data.hazard_id)
    if hazard is None or hazard.enterprise_id not in owned_ids(viewer):
        await query.answer(t("hazards.gone"), show_alert=True)
        return
    await query.answer()
    text = t("hazards.full", description=hazard.description, suggestion=hazard.suggestion or "")
    for part in split_text(text):
        await query.message.answer(part)


async def _own_open_hazard(session, viewer, hazard_id: int) -> Hazard | None:
    hazard = await session.get(Hazard, hazard_id)
    if hazard is None or hazard.enterprise_id not in owned_ids(viewer) or hazard.status != HazardStatus.open:
        return None
    return hazard


async def fix_pressed(
    query: CallbackQuery,
    callback_data: FixCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    hazard = await _own_open_hazard(session, viewer, callback_data.hazard_id)
    if hazard is None:
        await query.answer(t("hazards.not_open"), show_alert=True)
        return
    await query.answer()
    await state.set_state(FixDialog.photos)
    await state.update_data(hazard_id=hazard.id, photos=[])
    await ask(query.message, state, t("fix.ask_photos", description=hazard.description, limit=MAX_PHOTOS))


async def fix_photo(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    if await collect_photo(message, t, state, message.photo[-1].file_id, MAX_PHOTOS):
        await _ask_note(message, t, state)


async def fix_photos_done(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    await settle_press(query)
    await _ask_note(query.message, t, state)


async def _ask_note(message: Message, t, state: FSMContext) -> None:
    await state.set_state(FixDialog.note)
    await ask(message, state, t("fix.ask_note"))


async def fix_note(
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
    if not fits(message.text, 1000):
        await reask(message, state, t("dialog.text_limit", limit=1000))
        return
    data = await state.get_data()
    await state.clear()
    hazard = await _own_open_hazard(session, viewer, data["hazard_id"])
    if hazard is None or not await hazards.move_hazard(
        session,
        hazard,
        Action.submit,
        viewer.user_id,
        message.text.strip(),
        data["photos"],
        today=local_today(settings.tz),
    ):
        await session.rollback()
        await message.answer(t("hazards.not_open"))
        return
    enterprise = await session.get(Enterprise, hazard.enterprise_id)
    # Who checks the rectification: the agency that found the hazard, or the regulators.
    if hazard.source == HazardSource.regulator:
        checkers, key = await q.regulators_covering(session, enterprise.division), "fix.notice_regulator"
    elif hazard.agency_id:
        checkers, key = (
            await q.users_with_role(session, Role.staff, agency_id=hazard.agency_id),
            "fix.notice_staff",
        )
    else:
        checkers, key = [], "fix.notice_staff"
    events = len(await hazards.history(session, hazard.id))
    await notify(
        session,
        translator,
        checkers,
        "evidence",
        key,
        f"hazard:{hazard.id}:submitted:{events}",
        name=enterprise.name,
        description=hazard.description,
        note=message.text.strip(),
        photos=len(data["photos"]),
    )
    await session.commit()
    sender.kick(bot)
    await message.answer(t("fix.saved", description=hazard.description))


# ---------------------------------------------------------------- /rate


async def rate_command(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    since = local_today(settings.tz) - timedelta(days=settings.lifecycle().rating_window_days)
    rows = await ratings.unrated_visits(session, owned_ids(viewer), since)
    if not rows:
        await message.answer(t("rate.none"))
        return
    kb = InlineKeyboardBuilder()
    for visit, name, agency in rows:
        kb.button(
            text=f"{visit.date.isoformat()} {name[:20]} · {agency[:20]} · {t.label(f'visit.{visit.kind}')}",
            callback_data=RateCb(visit_id=visit.id, stars=0),
        )
    kb.adjust(1)
    await state.set_state(RateDialog.visit)
    await ask(message, state, t("rate.choose"), kb.as_markup())


async def rate_pressed(
    query: CallbackQuery,
    callback_data: RateCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    visit = await session.get(Visit, callback_data.visit_id)
    since = local_today(settings.tz) - timedelta(days=settings.lifecycle().rating_window_days)
    if visit is None or visit.enterprise_id not in owned_ids(viewer) or not 0 <= callback_data.stars <= 5:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    if await ratings.is_rated(session, visit.id):
        await query.answer(t("rate.already"), show_alert=True)
        return
    if visit.date < since:
        await query.answer(t("rate.too_old"), show_alert=True)
        return
    await query.answer()
    agency = await session.get(Agency, visit.agency_id)
    about = {"agency": agency.name, "date": visit.date.isoformat(), "kind": t(f"visit.{visit.kind}")}
    if callback_data.stars == 0:
        await state.set_state(RateDialog.stars)
        await ask(query.message, state, t("rate.pick_stars", **about), stars_keyboard(visit.id), edit=True)
        return
    # The stars are saved at the press: a comment is optional, and leaving it loses nothing.
    if not await ratings.save_rating(session, visit.id, callback_data.stars, "", viewer.user_id):
        await query.message.answer(t("rate.already"))
        return
    await session.commit()
    await state.set_state(RateDialog.comment)
    await state.update_data(visit_id=visit.id, stars=callback_data.stars)
    await query.message.edit_text(t("rate.chosen", stars="★" * callback_data.stars, **about))
    await ask(query.message, state, t("rate.ask_comment"), step_button(t("rate.skip"), "skip"))


async def rate_comment(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
) -> None:
    limit = settings.rating_comment_chars
    if not fits(message.text, limit):
        await reask(message, state, t("dialog.text_limit", limit=limit))
        return
    data = await state.get_data()
    await state.clear()
    await ratings.comment_rating(session, data["visit_id"], viewer.user_id, message.text.strip())
    await session.commit()
    await message.answer(t("rate.saved", stars="★" * data["stars"]))


async def rate_skip(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    await settle_press(query)
    data = await state.get_data()
    await state.clear()
    await query.message.answer(t("rate.saved", stars="★" * data["stars"]))


def star_words(text: str) -> str | None:
    """「五星」 or "5 stars" as the star button's words."""
    n = read_stars(text)
    return "★" * n if n else None


def build_router() -> Router:
    router = Router(name="owner")
    router.message.filter(HasRole(Role.owner))
    router.callback_query.filter(HasRole(Role.owner))
    m, c = router.message.register, router.callback_query.register
    not_command = ~F.text.startswith("/")
    m(hazards_command, Command("hazards"))
    m(rate_command, Command("rate"))
    c(hazards_from_notice, ListCb.filter(F.what == "hazards"))
    c(hazards_page, PageCb.filter(F.view == "hz"))
    c(fix_pressed, FixCb.filter())
    c(full_text, FullTextCb.filter())
    typed_first(router, FixDialog.photos)
    typed_first(router, RateDialog.stars, read=star_words)
    typed_first(router, RateDialog.comment, exact=True)
    m(fix_photo, FixDialog.photos, F.photo)
    c(fix_photos_done, FixDialog.photos, StepCb.filter(F.action == "done"))
    m(hint_and_question("fix.photo_expected"), FixDialog.photos, not_command)
    m(fix_note, FixDialog.note, not_command)
    c(rate_pressed, RateCb.filter())
    m(rate_comment, RateDialog.comment, not_command)
    c(rate_skip, RateDialog.comment, StepCb.filter(F.action == "skip"))
    return router
