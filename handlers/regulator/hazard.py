"""An overdue hazard opened from /overdue: its history, extending its deadline, marking it for enforcement."""

from __future__ import annotations

from datetime import date

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import BoundTranslator, Translator
from bot.paging import PageCb, pager_buttons, paginate
from bot.status_view import days_text
from bot.ui import StepCb, ask, date_hint, fits, parse_day, settle_press, show_card
from domain.enums import Role
from handlers.lookup import jurisdictions
from handlers.regulator.common import ExtendDialog, OverdueCb, OverdueOpenCb, RegHazardCb
from notifications.notices import notify
from notifications.sender import Sender
from storage import regulator as q
from storage.clock import local
from storage.clock import today as local_today
from storage.hazards import history
from storage.inspections import users_with_role


def _event_note(t: BoundTranslator, event) -> str:
    """An imported event's note ("status: open → verified") in the reader's words."""
    if event.kind != "imported" or not (event.note or "").startswith("status: "):
        return event.note
    states = [t(f"hazardstate.{s.strip()}") for s in event.note.removeprefix("status: ").split("→")]
    return t("event.imported_status", states=" → ".join(states))


async def hazard_pressed(
    query: CallbackQuery,
    callback_data: RegHazardCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    found = await q.hazard_in(session, jurisdictions(viewer), callback_data.hazard_id)
    if found is None or callback_data.action not in ("open", "extend", "enforce", "enforce_yes"):
        await query.answer(t("lookup.outside"), show_alert=True)
        return
    hazard, enterprise = found
    await query.answer()
    if callback_data.action == "extend":
        await state.set_state(ExtendDialog.date)
        await state.update_data(hazard_id=hazard.id)
        await ask(query.message, state, t("overdue.ask_date", deadline=hazard.deadline.isoformat()))
        return
    if callback_data.action == "enforce":
        kb = InlineKeyboardBuilder()
        kb.button(
            text=t.label("overdue.confirm_enforce"),
            callback_data=RegHazardCb(action="enforce_yes", hazard_id=hazard.id),
        )
        kb.button(text=t.label("overdue.back"), callback_data=RegHazardCb(action="open", hazard_id=hazard.id))
        asked = t("overdue.ask_enforce", description=hazard.description, name=enterprise.name)
        await show_card(query.message, state, asked, kb.as_markup())
        return
    if callback_data.action == "enforce_yes":
        marked = await q.mark_enforcement(session, hazard, query.from_user.id)
        await session.commit()
        key = "overdue.enforced" if marked else "overdue.already_enforced"
        await query.message.edit_text(t(key, description=hazard.description, name=enterprise.name))
        return
    text, markup = await _hazard_detail(t, session, settings, hazard, enterprise, 0)
    await show_card(query.message, state, text, markup)


async def overdue_open(
    query: CallbackQuery,
    callback_data: OverdueOpenCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    found = await q.hazard_in(session, jurisdictions(viewer), callback_data.hazard_id)
    if found is None:
        await query.answer(t("lookup.outside"), show_alert=True)
        return
    await query.answer()
    back = OverdueCb(
        action="page", page=callback_data.page, township=callback_data.township, agency=callback_data.agency
    )
    text, markup = await _hazard_detail(t, session, settings, *found, 0, back)
    await query.message.answer(text, reply_markup=markup)


async def history_page(
    query: CallbackQuery,
    callback_data: PageCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    found = await q.hazard_in(session, jurisdictions(viewer), int(callback_data.arg or 0))
    if found is None:
        await query.answer(t("lookup.outside"), show_alert=True)
        return
    await query.answer()
    text, markup = await _hazard_detail(t, session, settings, *found, callback_data.page)
    await query.message.edit_text(text, reply_markup=markup)


async def _hazard_detail(t, session, settings, hazard, enterprise, page: int, back: OverdueCb | None = None):
    """A hazard with its history, the history paged when it outgrows a message; opened from a
    page of /overdue, it offers the way back to that page."""
    events = [
        {
            "kind": t(f"event.{e.kind}"),
            "at": local(e.at, settings.tz).strftime("%Y-%m-%d %H:%M"),
            "note": _event_note(t, e),
            "deadline": e.deadline.isoformat() if e.deadline else "",
        }
        for e in await history(session, hazard.id)
    ]
    params = {
        "name": enterprise.name,
        "uscc": enterprise.uscc,
        "description": hazard.description,
        "level": t(f"level.{hazard.level}"),
        "deadline": hazard.deadline.isoformat(),
        "when": days_text(t, hazard.deadline, local_today(settings.tz)),
    }
    text, shown = paginate(lambda part: t("overdue.detail", events=part, **params), events, page)
    kb = InlineKeyboardBuilder()
    kb.button(
        text=t.label("overdue.do_extend"), callback_data=RegHazardCb(action="extend", hazard_id=hazard.id)
    )
    if not await q.marked_for_enforcement(session, hazard.id):  # once marked, the history says so
        kb.button(
            text=t.label("overdue.do_enforce"),
            callback_data=RegHazardCb(action="enforce", hazard_id=hazard.id),
        )
    kb.row(*pager_buttons("odh", shown, str(hazard.id)))
    if back is not None:
        kb.row(
            InlineKeyboardButton(
                text=t.label("overdue.back_to_list", page=back.page + 1), callback_data=back.pack()
            )
        )
    return text, kb.as_markup()


async def extend_date(message: Message, t: BoundTranslator, settings: Settings, state: FSMContext) -> None:
    day = parse_day(message.text or "", local_today(settings.tz))
    if day is None:
        await message.answer(date_hint(t, local_today(settings.tz)))
        return
    if day <= local_today(settings.tz):
        await message.answer(t("overdue.date_past"))
        return
    await state.update_data(deadline=day.isoformat())
    await state.set_state(ExtendDialog.reason)
    await ask(message, state, t("overdue.ask_reason"))


async def extend_reason(
    message: Message, t: BoundTranslator, viewer, session: AsyncSession, state: FSMContext, settings: Settings
) -> None:
    if not fits(message.text, settings.extension_reason_chars):
        await message.answer(t("dialog.text_limit", limit=settings.extension_reason_chars))
        return
    data = await state.get_data()
    found = await q.hazard_in(session, jurisdictions(viewer), data["hazard_id"])
    if found is None:
        await state.clear()
        await message.answer(t("lookup.outside"))
        return
    hazard, enterprise = found
    await state.update_data(reason=message.text.strip())
    await state.set_state(ExtendDialog.confirm)
    kb = InlineKeyboardBuilder()
    kb.button(text=t.label("overdue.confirm_extend"), callback_data=StepCb(action="save"))
    kb.button(text=t.label("overdue.drop_extend"), callback_data=StepCb(action="drop"))
    check = t(
        "overdue.check_extend",
        name=enterprise.name,
        description=hazard.description,
        old=hazard.deadline.isoformat(),
        new=data["deadline"],
        reason=message.text.strip(),
    )
    await ask(message, state, check, kb.as_markup())


async def extend_dropped(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    await settle_press(query)
    await state.clear()
    await query.message.answer(t("cancel.done"))


async def extend_confirmed(
    query: CallbackQuery,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    state: FSMContext,
    translator: Translator,
    sender: Sender,
    bot: Bot,
    settings: Settings,
) -> None:
    await settle_press(query)
    data = await state.get_data()
    await state.clear()
    message = query.message
    found = await q.hazard_in(session, jurisdictions(viewer), data["hazard_id"])
    if found is None:
        await message.answer(t("lookup.outside"))
        return
    hazard, enterprise = found
    deadline = date.fromisoformat(data["deadline"])
    reason = data["reason"]
    await q.extend_deadline(session, hazard, deadline, reason, viewer.user_id)
    people = await users_with_role(session, Role.owner, enterprise_id=enterprise.id)
    if hazard.agency_id:
        people += await users_with_role(session, Role.staff, agency_id=hazard.agency_id)
    await notify(
        session,
        translator,
        people,
        "extended",
        "overdue.notice_extended",
        f"hazard:{hazard.id}:extended:{deadline.isoformat()}",
        name=enterprise.name,
        description=hazard.description,
        deadline=deadline.isoformat(),
        reason=reason,
    )
    await session.commit()
    sender.kick(bot)
    await message.answer(t("overdue.extended", description=hazard.description, deadline=deadline.isoformat()))
