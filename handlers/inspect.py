"""/inspect USCC|name for regulators: a government inspection (检查) with its date, kind, the
tip it followed up, findings as hazards (photos, level, deadline) and an optional enforcement
document (执法文书). Nothing is stored before the last step; the jurisdiction is checked at
the start and again when saving."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from enum import StrEnum

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator, Translator
from bot.ui import (
    StepCb,
    ask,
    ask_again,
    choice_buttons,
    collect_photo,
    date_hint,
    fits,
    hint_and_question,
    parse_day,
    reask,
    settle_press,
    step_button,
)
from bot.viewer import Viewer
from domain.enums import HazardLevel, InspectionKind, Role
from domain.lifecycle import default_deadline
from handlers import files_step
from handlers.lookup import choices, covering, jurisdictions
from handlers.typed_press import typed_first
from notifications.notices import hazards_to_owners
from notifications.sender import Sender
from storage import gov_inspections as gov
from storage.clock import today as local_today
from storage.inspections import users_with_role
from storage.models import Enterprise
from storage.profiles import search

MAX_PHOTOS = 5


class InspCb(CallbackData, prefix="insp"):
    action: str  # ent | kind | tip | add | finish | level
    value: str = ""


class InspectDialog(StatesGroup):
    day = State()
    kind = State()
    tip = State()
    note = State()
    findings = State()
    description = State()
    photos = State()
    level = State()
    deadline = State()
    document = State()


def _choices(t, action: str, values: type[StrEnum], label: str, per_row: int = 8) -> InlineKeyboardMarkup:
    return choice_buttons(t, values, label, lambda value: InspCb(action=action, value=value), per_row)


async def inspect_command(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    query = (command.args or "").strip()
    if not query or len(query) > 100:
        await message.answer(t("inspect.usage"))
        return
    result = await search(session, jurisdictions(viewer), query)
    if not result.found:  # outside the jurisdiction reads exactly as not existing
        await message.answer(t("lookup.none", query=query))
    elif len(result.found) == 1:
        await _start(message, t, state, result.found[0])
    else:
        text, markup = choices(t, result, lambda ent: InspCb(action="ent", value=str(ent.id)))
        await message.answer(text, reply_markup=markup)


async def enterprise_pressed(
    query: CallbackQuery,
    callback_data: InspCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    enterprise = (
        await session.get(Enterprise, int(callback_data.value)) if callback_data.value.isdigit() else None
    )
    if covering(viewer, enterprise) is None:
        await query.answer(t("lookup.outside"), show_alert=True)
        return
    await settle_press(query)
    await _start(query.message, t, state, enterprise)


async def _start(message: Message, t, state: FSMContext, enterprise: Enterprise) -> None:
    await state.set_state(InspectDialog.day)
    await state.update_data(enterprise_id=enterprise.id, findings=[])
    await ask(
        message, state, t("inspect.ask_date", name=enterprise.name), step_button(t("visit.today"), "today")
    )


async def day_text(message: Message, t: BoundTranslator, settings: Settings, state: FSMContext) -> None:
    day = parse_day(message.text or "", local_today(settings.tz))
    if day is None:
        await reask(message, state, date_hint(t, local_today(settings.tz), past=True))
        return
    await _day(message, t, settings, state, day)


async def day_today(query: CallbackQuery, t: BoundTranslator, settings: Settings, state: FSMContext) -> None:
    await settle_press(query)
    await _day(query.message, t, settings, state, local_today(settings.tz))


async def _day(message: Message, t, settings, state: FSMContext, day: date) -> None:
    if day > local_today(settings.tz):
        await reask(message, state, t("evidence.date_future"))
        return
    await state.update_data(day=day.isoformat())
    await state.set_state(InspectDialog.kind)
    await ask(message, state, t("inspect.ask_kind"), _choices(t, "kind", InspectionKind, "inspect.kind_", 1))


async def kind_pressed(
    query: CallbackQuery, callback_data: InspCb, t: BoundTranslator, session: AsyncSession, state: FSMContext
) -> None:
    if callback_data.value not in InspectionKind.__members__:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await settle_press(query)
    await state.update_data(kind=callback_data.value)
    data = await state.get_data()
    tips = (
        await gov.open_tips(session, data["enterprise_id"]) if callback_data.value == "tip_followup" else []
    )
    if tips:
        await state.set_state(InspectDialog.tip)
        kb = InlineKeyboardBuilder()
        for tip in tips:
            label = t.label("inspect.tip_button", id=tip.id, date=tip.created_hour.date().isoformat())
            kb.button(text=label, callback_data=InspCb(action="tip", value=str(tip.id)))
        kb.button(text=t.label("inspect.no_tip"), callback_data=InspCb(action="tip", value="0"))
        kb.adjust(1)
        await ask(query.message, state, t("inspect.ask_tip"), kb.as_markup())
        return
    await _ask_note(query.message, t, state)


async def tip_pressed(
    query: CallbackQuery, callback_data: InspCb, t: BoundTranslator, session: AsyncSession, state: FSMContext
) -> None:
    data = await state.get_data()
    allowed = {str(tip.id) for tip in await gov.open_tips(session, data["enterprise_id"])} | {"0"}
    if callback_data.value not in allowed:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await settle_press(query)
    await state.update_data(tip_id=int(callback_data.value) or None)
    await _ask_note(query.message, t, state)


async def _ask_note(message: Message, t, state: FSMContext) -> None:
    await state.set_state(InspectDialog.note)
    await ask(message, state, t("inspect.ask_note"), step_button(t("inspect.skip"), "skip"))


async def note_text(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    if not fits(message.text, 2000):
        await reask(message, state, t("dialog.text_limit", limit=2000))
        return
    await state.update_data(note=message.text.strip())
    await _findings_menu(message, t, state)


async def note_skipped(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    await settle_press(query)
    await _findings_menu(query.message, t, state)


async def _findings_menu(message: Message, t, state: FSMContext) -> None:
    await state.set_state(InspectDialog.findings)
    findings = (await state.get_data())["findings"]
    kb = InlineKeyboardBuilder()
    kb.button(text=t.label("inspect.add_hazard"), callback_data=InspCb(action="add"))
    kb.button(text=t.label("inspect.finish"), callback_data=InspCb(action="finish"))
    kb.adjust(1)
    await ask(
        message, state, t("inspect.findings", items=[f["description"] for f in findings]), kb.as_markup()
    )


async def add_pressed(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    await settle_press(query)
    await state.set_state(InspectDialog.description)
    await ask(query.message, state, t("hazard.ask_description"))


async def description_text(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    if not fits(message.text, 2000):
        await reask(message, state, t("dialog.text_limit", limit=2000))
        return
    await state.update_data(description=message.text.strip(), photos=[])
    await state.set_state(InspectDialog.photos)
    await ask(message, state, t("hazard.ask_photos", limit=MAX_PHOTOS), step_button(t("dialog.done"), "done"))


async def photo_received(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    if await collect_photo(message, t, state, message.photo[-1].file_id, MAX_PHOTOS):
        await _ask_level(message, t, state)


async def photos_done(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    await settle_press(query)
    await _ask_level(query.message, t, state)


async def _ask_level(message: Message, t, state: FSMContext) -> None:
    await state.set_state(InspectDialog.level)
    await ask(message, state, t("hazard.ask_level"), _choices(t, "level", HazardLevel, "level."))


async def level_pressed(
    query: CallbackQuery, callback_data: InspCb, t: BoundTranslator, settings: Settings, state: FSMContext
) -> None:
    if callback_data.value not in HazardLevel.__members__:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await settle_press(query)
    day = date.fromisoformat((await state.get_data())["day"])
    proposed = default_deadline(callback_data.value, day, settings.lifecycle())
    await state.update_data(level=callback_data.value, proposed=proposed.isoformat())
    await state.set_state(InspectDialog.deadline)
    default = step_button(t("hazard.use_default", date=proposed.isoformat()), "default")
    await ask(query.message, state, t("hazard.ask_deadline", default=proposed.isoformat()), default)


async def deadline_text(message: Message, t: BoundTranslator, settings: Settings, state: FSMContext) -> None:
    deadline = parse_day(message.text or "", local_today(settings.tz))
    data = await state.get_data()
    if deadline is None:
        await reask(message, state, date_hint(t, local_today(settings.tz)))
        return
    if deadline < date.fromisoformat(data["day"]):
        await reask(message, state, t("hazard.deadline_too_early", found=data["day"]))
        return
    await _add_finding(message, t, state, deadline.isoformat())


async def deadline_default(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    await settle_press(query)
    await _add_finding(query.message, t, state, (await state.get_data())["proposed"])


async def _add_finding(message: Message, t, state: FSMContext, deadline: str) -> None:
    data = await state.get_data()
    finding = {
        "description": data["description"],
        "level": data["level"],
        "deadline": deadline,
        "photos": data["photos"],
    }
    await state.update_data(findings=[*data["findings"], finding])
    await _findings_menu(message, t, state)


async def finish_pressed(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    await settle_press(query)
    await state.set_state(InspectDialog.document)
    await ask(query.message, state, t("inspect.ask_document"), step_button(t("inspect.skip"), "skip"))


async def document_received(
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
    item = await files_step.taken_file(message, t, settings, "inspect.document_expected")
    if item is None:
        await ask_again(message, state)
        return
    await _save(message, t, viewer, session, settings, state, bot, sender, translator, item)


async def document_skipped(
    query: CallbackQuery,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
    translator: Translator,
) -> None:
    await settle_press(query)
    await _save(query.message, t, viewer, session, settings, state, bot, sender, translator, None)


async def _save(message, t, viewer, session, settings, state, bot, sender, translator, document) -> None:
    data = await state.get_data()
    await state.clear()
    enterprise = await session.get(Enterprise, data["enterprise_id"])
    prefix = covering(viewer, enterprise)
    if prefix is None:
        await message.answer(t("lookup.outside"))
        return
    kept, note = await files_step.keep(bot, session, settings, t, [asdict(document)] if document else [])
    inspection, hazards = await gov.record(
        session,
        enterprise=enterprise,
        division_prefix=prefix,
        day=date.fromisoformat(data["day"]),
        kind=data["kind"],
        note=data.get("note", ""),
        findings=data["findings"],
        document_id=kept[0].id if kept else None,
        tip_id=data.get("tip_id"),
        actor=viewer.user_id,
    )
    owners = await users_with_role(session, Role.owner, enterprise_id=enterprise.id)
    await hazards_to_owners(session, translator, owners, enterprise.name, hazards)
    await session.commit()
    sender.kick(bot)
    await message.answer(
        t(
            "inspect.saved",
            name=enterprise.name,
            date=inspection.date.isoformat(),
            kind=t(f"inspect.kind_{inspection.kind}"),
            hazards=len(hazards),
            major=sum(h.level == HazardLevel.major for h in hazards),
            document=bool(kept),
            tip=inspection.tip_id or "",
            owners=len(owners),
        )
        + note
    )


def build_router() -> Router:
    router = Router(name="inspect")
    router.message.filter(HasRole(Role.regulator))
    router.callback_query.filter(HasRole(Role.regulator))
    m, c = router.message.register, router.callback_query.register
    text = F.text & ~F.text.startswith("/")
    m(inspect_command, Command("inspect"))
    c(enterprise_pressed, InspCb.filter(F.action == "ent"))
    typed_first(
        router, InspectDialog.day, InspectDialog.photos, InspectDialog.deadline, InspectDialog.document
    )
    typed_first(router, InspectDialog.note, exact=True)
    m(day_text, InspectDialog.day, text)
    c(day_today, InspectDialog.day, StepCb.filter(F.action == "today"))
    c(kind_pressed, InspectDialog.kind, InspCb.filter(F.action == "kind"))
    c(tip_pressed, InspectDialog.tip, InspCb.filter(F.action == "tip"))
    m(note_text, InspectDialog.note, text)
    c(note_skipped, InspectDialog.note, StepCb.filter(F.action == "skip"))
    c(add_pressed, InspectDialog.findings, InspCb.filter(F.action == "add"))
    c(finish_pressed, InspectDialog.findings, InspCb.filter(F.action == "finish"))
    m(description_text, InspectDialog.description, text)
    m(photo_received, InspectDialog.photos, F.photo)
    c(photos_done, InspectDialog.photos, StepCb.filter(F.action == "done"))
    m(hint_and_question("dialog.photo_expected"), InspectDialog.photos, ~F.text.startswith("/"))
    c(level_pressed, InspectDialog.level, InspCb.filter(F.action == "level"))
    m(deadline_text, InspectDialog.deadline, text)
    c(deadline_default, InspectDialog.deadline, StepCb.filter(F.action == "default"))
    m(document_received, InspectDialog.document, ~F.text.startswith("/"))
    c(document_skipped, InspectDialog.document, StepCb.filter(F.action == "skip"))
    return router
