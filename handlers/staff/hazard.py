"""/hazard: record a hazard found on a visit, reviewed once before it is saved."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import BoundTranslator, Translator
from bot.ui import (
    StepCb,
    ask,
    collect_photo,
    date_hint,
    fits,
    hint_and_question,
    parse_day,
    reask,
    settle_press,
    step_button,
    typed_choice,
)
from bot.viewer import Viewer
from channels import fanout
from domain.enums import HazardLevel, Role
from domain.lifecycle import deadline_range, default_deadline
from handlers.callbacks import list_button
from handlers.staff.common import (
    MAX_PHOTOS,
    QUICK_DEADLINES,
    HazardDialog,
    LevelCb,
    VisitCb,
    agency_of,
    refuse,
)
from notifications.notices import notify
from notifications.sender import Sender
from storage import hazards
from storage import inspections as q
from storage.clock import today as local_today
from storage.division_names import names
from storage.models import Enterprise, Visit


async def hazard_command(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    agency_id = agency_of(viewer)
    staff = await q.staff_row(session, agency_id, viewer.user_id)
    since = local_today(settings.tz) - timedelta(days=60)
    visits = await q.recent_visits(session, agency_id, staff.id, since) if staff else []
    if not visits:
        await message.answer(t("hazard.no_visits"))
        return
    kb = InlineKeyboardBuilder()
    for visit, name in visits:
        unassigned = f" · {t('due.unassigned')}" if visit.staff_id is None else ""
        kb.button(
            text=f"{visit.date.isoformat()} {name[:40]}{unassigned}",
            callback_data=VisitCb(purpose="hazard", visit_id=visit.id),
        )
    kb.adjust(1)
    await state.set_state(HazardDialog.visit)
    await ask(message, state, t("hazard.choose_visit"), kb.as_markup())


async def hazard_visit(
    query: CallbackQuery,
    callback_data: VisitCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    agency_id = agency_of(viewer)
    visit = await session.get(Visit, callback_data.visit_id)
    staff = await q.staff_row(session, agency_id, viewer.user_id)
    allowed = (
        visit is not None
        and staff is not None
        and visit.agency_id == agency_id
        and visit.staff_id in (staff.id, None)
        and await q.serving_contract(session, agency_id, visit.enterprise_id, local_today(settings.tz))
        is not None
    )
    if not allowed:
        await query.answer(refuse(t), show_alert=True)
        return
    await query.answer()
    if visit.staff_id is None:  # the agency's unassigned visit: whoever records on it takes it
        await q.take_visit(session, visit.id, staff.id)
        await session.commit()
    await state.update_data(visit_id=visit.id, found_on=visit.date.isoformat(), photos=[])
    await state.set_state(HazardDialog.description)
    await ask(query.message, state, t("hazard.ask_description"), edit=True)


async def hazard_description(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    if not fits(message.text, 2000):
        await message.answer(t("dialog.text_limit", limit=2000))
        return
    await state.update_data(description=message.text.strip())
    await state.set_state(HazardDialog.location)
    await ask(message, state, t("hazard.ask_location"))


async def hazard_location(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    if not fits(message.text, 200):
        await message.answer(t("dialog.text_limit", limit=200))
        return
    await state.update_data(location=message.text.strip())
    await state.set_state(HazardDialog.photos)
    await ask(message, state, t("hazard.ask_photos", limit=MAX_PHOTOS), step_button(t("dialog.done"), "done"))


async def hazard_photo(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    if await collect_photo(message, t, state, message.photo[-1].file_id, MAX_PHOTOS):
        await _ask_level(message, t, state)


async def hazard_photos_done(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    await settle_press(query)
    await _ask_level(query.message, t, state)


# Whatever is not a photo at the photo step: the hint, then the question with its Done button.
hazard_photo_expected = hint_and_question("dialog.photo_expected")


async def _ask_level(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    await state.set_state(HazardDialog.level)
    kb = InlineKeyboardBuilder()
    for level in HazardLevel:
        kb.button(text=t.label(f"level.{level}"), callback_data=LevelCb(level=level))
    await ask(message, state, t("hazard.ask_level"), kb.as_markup())


async def hazard_level_typed(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    level = typed_choice(message.text, t, {lv: f"level.{lv}" for lv in HazardLevel})
    if level is None:
        await _ask_level(message, t, state)
        return
    await state.update_data(level=level)
    await state.set_state(HazardDialog.suggestion)
    await ask(message, state, t("hazard.ask_suggestion"))


async def hazard_level(
    query: CallbackQuery, callback_data: LevelCb, t: BoundTranslator, state: FSMContext
) -> None:
    if callback_data.level not in HazardLevel.__members__:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await query.answer()
    await state.update_data(level=callback_data.level)
    await state.set_state(HazardDialog.suggestion)
    await query.message.edit_text(t("hazard.level_chosen", level=t(f"level.{callback_data.level}")))
    await ask(query.message, state, t("hazard.ask_suggestion"))


async def hazard_suggestion(
    message: Message, t: BoundTranslator, settings: Settings, state: FSMContext
) -> None:
    if not fits(message.text, 2000):
        await message.answer(t("dialog.text_limit", limit=2000))
        return
    await state.update_data(suggestion=message.text.strip())
    await state.set_state(HazardDialog.deadline)
    await _ask_deadline(message, t, settings, state)


async def _ask_deadline(message: Message, t, settings, state: FSMContext) -> None:
    data = await state.get_data()
    proposed = default_deadline(data["level"], parse_day(data["found_on"]), settings.lifecycle())
    today = local_today(settings.tz)
    kb = InlineKeyboardBuilder()
    kb.button(
        text=t.label("hazard.use_default", date=proposed.isoformat()), callback_data=StepCb(action="default")
    )
    for days in QUICK_DEADLINES:
        label = t.label("hazard.in_days", n=days, date=(today + timedelta(days=days)).isoformat())
        kb.button(text=label, callback_data=StepCb(action=f"in{days}"))
    kb.adjust(1, len(QUICK_DEADLINES))
    await ask(message, state, t("hazard.ask_deadline", default=proposed.isoformat()), kb.as_markup())


async def hazard_deadline_text(
    message: Message, t: BoundTranslator, settings: Settings, state: FSMContext
) -> None:
    day = parse_day(message.text or "", local_today(settings.tz))
    if day is None:
        await reask(message, state, date_hint(t, local_today(settings.tz)))
        return
    await _review_hazard(message, day, t, settings, state)


async def hazard_deadline_button(
    query: CallbackQuery, callback_data: StepCb, t: BoundTranslator, settings: Settings, state: FSMContext
) -> None:
    await settle_press(query)
    data = await state.get_data()
    if callback_data.action == "default":
        day = default_deadline(data["level"], parse_day(data["found_on"]), settings.lifecycle())
    else:
        day = local_today(settings.tz) + timedelta(days=int(callback_data.action.removeprefix("in")))
    await _review_hazard(query.message, day, t, settings, state)


async def _review_hazard(message: Message, deadline: date, t, settings, state: FSMContext) -> None:
    """Nothing is saved before the agency has seen the whole record once and confirmed it."""
    data = await state.get_data()
    earliest, latest = deadline_range(data["level"], parse_day(data["found_on"]), settings.lifecycle())
    if not earliest <= deadline <= latest:
        await message.answer(
            t("hazard.deadline_range", earliest=earliest.isoformat(), latest=latest.isoformat(),
              level=t(f"level.{data['level']}"))
        )  # fmt: skip
        await _ask_deadline(message, t, settings, state)
        return
    await state.update_data(deadline=deadline.isoformat())
    await state.set_state(HazardDialog.confirm)
    kb = InlineKeyboardBuilder()
    kb.button(text=t.label("hazard.confirm_save"), callback_data=StepCb(action="save"))
    kb.button(text=t.label("hazard.change_deadline"), callback_data=StepCb(action="redo"))
    kb.button(text=t.label("confirm.discard"), callback_data=StepCb(action="discard"))
    kb.adjust(1, 2)
    review = t(
        "hazard.review",
        description=data["description"],
        location=data["location"],
        level=t(f"level.{data['level']}"),
        suggestion=data["suggestion"],
        deadline=deadline.isoformat(),
        photos=len(data["photos"]),
    )
    await ask(message, state, review, kb.as_markup())


async def hazard_change_deadline(
    query: CallbackQuery, t: BoundTranslator, settings: Settings, state: FSMContext
) -> None:
    await settle_press(query)
    await state.set_state(HazardDialog.deadline)
    await _ask_deadline(query.message, t, settings, state)


async def hazard_confirmed(
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
    deadline = parse_day((await state.get_data())["deadline"])
    await _save_hazard(query.message, deadline, t, viewer, session, settings, state, bot, sender, translator)


async def _save_hazard(
    message: Message, deadline, t, viewer, session, settings, state, bot, sender, translator
) -> None:
    data = await state.get_data()
    agency_id = agency_of(viewer)
    visit = await session.get(Visit, data["visit_id"])
    if await q.serving_contract(session, agency_id, visit.enterprise_id, local_today(settings.tz)) is None:
        await state.clear()
        await message.answer(refuse(t))
        return
    hazard = await hazards.record_hazard(
        session,
        visit,
        description=data["description"],
        location=data["location"],
        level=data["level"],
        suggestion=data["suggestion"],
        deadline=deadline,
        photos=data["photos"],
        actor=viewer.user_id,
    )
    enterprise = await session.get(Enterprise, visit.enterprise_id)
    params = {
        "name": enterprise.name,
        "description": hazard.description,
        "location": hazard.location,
        "deadline": deadline.isoformat(),
        "suggestion": hazard.suggestion,
        "photos": len(data["photos"]),
    }
    level = {"level": t(f"level.{hazard.level}")}
    localize = lambda tt: {"level": tt(f"level.{hazard.level}")}  # noqa: E731
    owners = await q.users_with_role(session, Role.owner, enterprise_id=enterprise.id)
    await notify(
        session,
        translator,
        owners,
        "hazard_new",
        "hazard.notice_owner",
        f"hazard:{hazard.id}:created",
        markup=to_hazards,
        localize=localize,
        **params,
    )
    alerted = []
    if hazard.level == HazardLevel.major:
        alerted = await q.regulators_covering(session, enterprise.division)
        place = (await names(session, [enterprise.division])).get(enterprise.division, enterprise.division)
        await notify(
            session,
            translator,
            alerted,
            "hazard_major",
            "hazard.notice_major",
            f"hazard:{hazard.id}:major",
            localize=localize,
            uscc=enterprise.uscc,
            division=place,
            **params,
        )
        await fanout.major_hazard(
            session,
            translator,
            enterprise.division,
            f"hazard:{hazard.id}:major",
            uscc=enterprise.uscc,
            division=place,
            **localize(translator.bind(translator.default_locale)),
            **params,
        )
    await session.commit()
    await state.clear()
    sender.kick(bot)
    await message.answer(t("hazard.saved", owners=len(owners), regulators=len(alerted), **params, **level))


def to_hazards(t: BoundTranslator) -> InlineKeyboardMarkup:
    return list_button(t, "hazards")
