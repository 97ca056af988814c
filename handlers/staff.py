"""Agency staff: /clients, /visit, /hazard, /report, /verify, /due.

Every step re-checks that the agency may act for the enterprise (an active contract; for
reports and verification, one that ended less than the grace period ago)."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator, Translator
from bot.status_view import days_text
from bot.ui import (
    StepCb,
    collect_photo,
    date_hint,
    fits,
    parse_day,
    settle_press,
    step_button,
    typed_choice,
)
from bot.viewer import Viewer
from channels import fanout
from domain.enums import HazardLevel, Role, VisitKind
from domain.lifecycle import (
    Action,
    check_visit_date,
    deadline_range,
    default_deadline,
    report_due,
    report_state,
)
from handlers.callbacks import ListCb, list_button, stars_keyboard
from notifications.notices import notify
from notifications.sender import Sender
from storage import inspections as q
from storage.clock import today as local_today
from storage.models import Agency, Enterprise, Hazard, Visit

MAX_PHOTOS = 5
PICK_PAGE = 8  # enterprises per page of a picker
QUICK_DEADLINES = (7, 30)  # days from today, offered as buttons beside the level's default
DEADLINE_BUTTONS = ("default", *(f"in{d}" for d in QUICK_DEADLINES))
REPORT_TYPES = (
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
REPORT_SUFFIXES = (".pdf", ".doc", ".docx", ".jpg", ".jpeg", ".png")


class ClientCb(CallbackData, prefix="cli"):
    enterprise_id: int


class PageCb(CallbackData, prefix="pg"):
    page: int


class KindCb(CallbackData, prefix="vk"):
    kind: str


class VisitCb(CallbackData, prefix="pv"):
    purpose: str  # hazard | report
    visit_id: int


class LevelCb(CallbackData, prefix="lv"):
    level: str


class VerifyCb(CallbackData, prefix="vf"):
    action: str  # verify | reject
    hazard_id: int


class WaitingCb(CallbackData, prefix="vw"):
    enterprise_id: int


class WaitingPageCb(CallbackData, prefix="vwp"):
    page: int


class VisitDialog(StatesGroup):
    client = State()
    kind = State()
    day = State()


class HazardDialog(StatesGroup):
    visit = State()
    description = State()
    location = State()
    photos = State()
    level = State()
    suggestion = State()
    deadline = State()
    confirm = State()


class ReportDialog(StatesGroup):
    visit = State()
    file = State()


class VerifyPick(StatesGroup):
    enterprise = State()  # the picker is shown: a typed text searches names


class RejectDialog(StatesGroup):
    reason = State()


def agency_of(viewer: Viewer) -> int | None:
    grants = [g.agency_id for g in viewer.targets(Role.staff) if g.agency_id]
    return grants[0] if grants else None


def _refuse(t: BoundTranslator):
    return t("staff.no_contract")


# ---------------------------------------------------------------- /clients


async def clients_command(
    message: Message, t: BoundTranslator, viewer: Viewer, session: AsyncSession, settings: Settings
) -> None:
    text, markup = await _clients_page(t, viewer, session, settings, 0)
    await message.answer(text, reply_markup=markup)


async def clients_page(
    query: CallbackQuery,
    callback_data: PageCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    text, markup = await _clients_page(t, viewer, session, settings, max(0, callback_data.page))
    await query.answer()
    if query.message.text != text:
        await query.message.edit_text(text, reply_markup=markup)


async def _clients_page(t, viewer, session, settings, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    today = local_today(settings.tz)
    rows, total = await q.clients(session, agency_of(viewer), today, settings.lifecycle(), page)
    pages = max(1, -(-total // q.PAGE))
    items = [
        {
            "name": r.enterprise.name,
            "kinds": "、".join(t(f"contract.{k}") for k in sorted(set(r.kinds))),
            "end": r.end.isoformat(),
            "open": r.open,
            "overdue": r.overdue,
            "last": r.last_visit.isoformat() if r.last_visit else "",
            "missing": r.missing_reports,
        }
        for r in rows
    ]
    text = t("clients.page", items=items, total=total, page=page + 1, pages=pages)
    kb = InlineKeyboardBuilder()
    if page > 0:
        kb.button(text="‹", callback_data=PageCb(page=page - 1))
    if page + 1 < pages:
        kb.button(text="›", callback_data=PageCb(page=page + 1))
    return text, kb.as_markup() if page > 0 or page + 1 < pages else None


# ---------------------------------------------------------------- /visit


async def _client_keyboard(
    t, viewer, session, settings, query: str = ""
) -> tuple[str, InlineKeyboardMarkup | None]:
    rows, total = await q.clients(
        session, agency_of(viewer), local_today(settings.tz), settings.lifecycle(), 0, query
    )
    if not rows:
        return t("visit.no_match" if query else "visit.no_clients"), None
    kb = InlineKeyboardBuilder()
    for r in rows:
        kb.button(text=r.enterprise.name[:60], callback_data=ClientCb(enterprise_id=r.enterprise.id))
    kb.adjust(1)
    return t("visit.choose_client", more=total > len(rows)), kb.as_markup()


async def visit_command(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    text, markup = await _client_keyboard(t, viewer, session, settings)
    if markup is None:
        await message.answer(text)
        return
    await state.set_state(VisitDialog.client)
    await message.answer(text, reply_markup=markup)


async def visit_search(
    message: Message, t: BoundTranslator, viewer: Viewer, session: AsyncSession, settings: Settings
) -> None:
    query = (message.text or "").strip()
    if not fits(query, 100, least=1):
        await message.answer(t("visit.search_hint"))
        return
    text, markup = await _client_keyboard(t, viewer, session, settings, query)
    await message.answer(text, reply_markup=markup)


async def visit_client(
    query: CallbackQuery,
    callback_data: ClientCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    contract = await q.serving_contract(
        session, agency_of(viewer), callback_data.enterprise_id, local_today(settings.tz)
    )
    if contract is None:
        await query.answer(_refuse(t), show_alert=True)
        return
    await query.answer()
    await state.update_data(enterprise_id=callback_data.enterprise_id, start=contract.start_date.isoformat())
    await state.set_state(VisitDialog.kind)
    await query.message.edit_text(t("visit.choose_kind"), reply_markup=_kind_buttons(t))


def _kind_buttons(t):
    kb = InlineKeyboardBuilder()
    for kind in VisitKind:
        kb.button(text=t(f"visit.{kind}"), callback_data=KindCb(kind=kind))
    kb.adjust(2)
    return kb.as_markup()


async def visit_kind(
    query: CallbackQuery, callback_data: KindCb, t: BoundTranslator, state: FSMContext
) -> None:
    if callback_data.kind not in VisitKind.__members__:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await query.answer()
    await state.update_data(kind=callback_data.kind)
    await state.set_state(VisitDialog.day)
    await query.message.edit_text(t("visit.ask_date"), reply_markup=step_button(t("visit.today"), "today"))


async def visit_kind_typed(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    """「全面排查」 typed instead of pressed counts as the press; anything else re-asks with the buttons."""
    kind = typed_choice(message.text, t, {k: f"visit.{k}" for k in VisitKind})
    if kind is None:
        await message.answer(t("visit.choose_kind"), reply_markup=_kind_buttons(t))
        return
    await state.update_data(kind=kind)
    await state.set_state(VisitDialog.day)
    await message.answer(t("visit.ask_date"), reply_markup=step_button(t("visit.today"), "today"))


async def visit_day_text(
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
    day = parse_day(message.text or "", local_today(settings.tz))
    if day is None:
        hint = date_hint(t, local_today(settings.tz))
        await message.answer(hint, reply_markup=step_button(t("visit.today"), "today"))
        return
    await _save_visit(message, day, t, viewer, session, settings, state, bot, sender, translator)


async def visit_today(
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
    await _save_visit(
        query.message, local_today(settings.tz), t, viewer, session, settings, state, bot, sender, translator
    )


async def _save_visit(
    message: Message, day, t, viewer, session, settings, state, bot, sender, translator
) -> None:
    data = await state.get_data()
    today = local_today(settings.tz)
    agency_id = agency_of(viewer)
    contract = await q.serving_contract(session, agency_id, data["enterprise_id"], today)
    if contract is None:
        await state.clear()
        await message.answer(_refuse(t))
        return
    problem = check_visit_date(day, today, contract.start_date)
    if problem is not None:
        await message.answer(
            t(f"visit.date_{problem}", start=contract.start_date.isoformat()),
            reply_markup=step_button(t("visit.today"), "today"),
        )
        return
    staff = await q.staff_row(session, agency_id, viewer.user_id)
    visit = await q.record_visit(
        session, agency_id, staff.id if staff else None, data["enterprise_id"], day, data["kind"]
    )
    enterprise = await session.get(Enterprise, visit.enterprise_id)
    agency = await session.get(Agency, agency_id)
    owners = await q.users_with_role(session, Role.owner, enterprise_id=visit.enterprise_id)
    await notify(
        session,
        translator,
        owners,
        "rating_request",
        "rate.request",
        f"rate:{visit.id}",
        markup=lambda _t: stars_keyboard(visit.id),
        localize=lambda tt: {"kind": tt(f"visit.{visit.kind}")},
        agency=agency.name,
        name=enterprise.name,
        date=day.isoformat(),
    )
    await session.commit()
    await state.clear()
    sender.kick(bot)
    await message.answer(
        t(
            "visit.saved",
            name=enterprise.name,
            date=day.isoformat(),
            kind=t(f"visit.{visit.kind}"),
            owners=len(owners),
        )
    )


# ---------------------------------------------------------------- /hazard


async def hazard_command(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    staff = await q.staff_row(session, agency_of(viewer), viewer.user_id)
    visits = (
        await q.recent_visits(session, staff.id, local_today(settings.tz) - timedelta(days=60))
        if staff
        else []
    )
    if not visits:
        await message.answer(t("hazard.no_visits"))
        return
    kb = InlineKeyboardBuilder()
    for visit, name in visits:
        kb.button(
            text=f"{visit.date.isoformat()} {name[:40]}",
            callback_data=VisitCb(purpose="hazard", visit_id=visit.id),
        )
    kb.adjust(1)
    await state.set_state(HazardDialog.visit)
    await message.answer(t("hazard.choose_visit"), reply_markup=kb.as_markup())


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
        and visit.staff_id == staff.id
        and await q.serving_contract(session, agency_id, visit.enterprise_id, local_today(settings.tz))
        is not None
    )
    if not allowed:
        await query.answer(_refuse(t), show_alert=True)
        return
    await query.answer()
    await state.update_data(visit_id=visit.id, found_on=visit.date.isoformat(), photos=[])
    await state.set_state(HazardDialog.description)
    await query.message.edit_text(t("hazard.ask_description"))


async def hazard_description(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    if not fits(message.text, 2000):
        await message.answer(t("dialog.text_limit", limit=2000))
        return
    await state.update_data(description=message.text.strip())
    await state.set_state(HazardDialog.location)
    await message.answer(t("hazard.ask_location"))


async def hazard_location(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    if not fits(message.text, 200):
        await message.answer(t("dialog.text_limit", limit=200))
        return
    await state.update_data(location=message.text.strip())
    await state.set_state(HazardDialog.photos)
    await message.answer(
        t("hazard.ask_photos", limit=MAX_PHOTOS), reply_markup=step_button(t("dialog.done"), "done")
    )


async def hazard_photo(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    if await collect_photo(message, t, state, message.photo[-1].file_id, MAX_PHOTOS):
        await _ask_level(message, t, state)


async def hazard_photos_done(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    await settle_press(query)
    await _ask_level(query.message, t, state)


async def hazard_photo_expected(message: Message, t: BoundTranslator) -> None:
    await message.answer(t("dialog.photo_expected"), reply_markup=step_button(t("dialog.done"), "done"))


async def _ask_level(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    await state.set_state(HazardDialog.level)
    kb = InlineKeyboardBuilder()
    for level in HazardLevel:
        kb.button(text=t(f"level.{level}"), callback_data=LevelCb(level=level))
    await message.answer(t("hazard.ask_level"), reply_markup=kb.as_markup())


async def hazard_level_typed(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    level = typed_choice(message.text, t, {lv: f"level.{lv}" for lv in HazardLevel})
    if level is None:
        await _ask_level(message, t, state)
        return
    await state.update_data(level=level)
    await state.set_state(HazardDialog.suggestion)
    await message.answer(t("hazard.ask_suggestion"))


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
    await query.message.answer(t("hazard.ask_suggestion"))


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
    kb.button(text=t("hazard.use_default", date=proposed.isoformat()), callback_data=StepCb(action="default"))
    for days in QUICK_DEADLINES:
        label = t("hazard.in_days", n=days, date=(today + timedelta(days=days)).isoformat())
        kb.button(text=label, callback_data=StepCb(action=f"in{days}"))
    kb.adjust(1, len(QUICK_DEADLINES))
    await message.answer(t("hazard.ask_deadline", default=proposed.isoformat()), reply_markup=kb.as_markup())


async def hazard_deadline_text(
    message: Message, t: BoundTranslator, settings: Settings, state: FSMContext
) -> None:
    day = parse_day(message.text or "", local_today(settings.tz))
    if day is None:
        await message.answer(date_hint(t, local_today(settings.tz)))
        await _ask_deadline(message, t, settings, state)
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
    kb.button(text=t("hazard.confirm_save"), callback_data=StepCb(action="save"))
    kb.button(text=t("hazard.change_deadline"), callback_data=StepCb(action="redo"))
    await message.answer(
        t(
            "hazard.review",
            description=data["description"],
            location=data["location"],
            level=t(f"level.{data['level']}"),
            suggestion=data["suggestion"],
            deadline=deadline.isoformat(),
            photos=len(data["photos"]),
        ),
        reply_markup=kb.as_markup(),
    )


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
        await message.answer(_refuse(t))
        return
    hazard = await q.record_hazard(
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
        markup=_to_hazards,
        localize=localize,
        **params,
    )
    alerted = []
    if hazard.level == HazardLevel.major:
        alerted = await q.regulators_covering(session, enterprise.division)
        await notify(
            session,
            translator,
            alerted,
            "hazard_major",
            "hazard.notice_major",
            f"hazard:{hazard.id}:major",
            localize=localize,
            uscc=enterprise.uscc,
            division=enterprise.division,
            **params,
        )
        await fanout.major_hazard(
            session,
            translator,
            enterprise.division,
            f"hazard:{hazard.id}:major",
            uscc=enterprise.uscc,
            division=enterprise.division,
            **localize(translator.bind(translator.default_locale)),
            **params,
        )
    await session.commit()
    await state.clear()
    sender.kick(bot)
    await message.answer(t("hazard.saved", owners=len(owners), regulators=len(alerted), **params, **level))


def _to_hazards(t: BoundTranslator) -> InlineKeyboardMarkup:
    return list_button(t, "hazards")


# ---------------------------------------------------------------- /report


async def report_command(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    today = local_today(settings.tz)
    grace = settings.lifecycle().contract_grace_days
    agency_id = agency_of(viewer)
    staff = await q.staff_row(session, agency_id, viewer.user_id)
    kinds = settings.report_visit_kinds
    own = (  # the member's own visits first, then the agency's (unassigned ones among them)
        await q.visits_without_report(session, agency_id, kinds, staff.id, limit=q.PAGE, unassigned=False)
        if staff
        else []
    )
    rest = await q.visits_without_report(session, agency_id, kinds, limit=q.PAGE)
    seen, choices = set(), []
    for visit, name in [*own, *rest]:
        if (
            visit.id in seen
            or await q.serving_contract(session, agency_id, visit.enterprise_id, today, grace) is None
        ):
            continue
        seen.add(visit.id)
        choices.append((visit, name))
    if not choices:
        await message.answer(t("report.none"))
        return
    kb = InlineKeyboardBuilder()
    for visit, name in choices[: q.PAGE]:
        due = report_due(visit.date, settings.lifecycle())
        unassigned = f" · {t('due.unassigned')}" if visit.staff_id is None else ""
        kb.button(
            text=f"{visit.date.isoformat()} {name[:30]} · {days_text(t, due, today)}{unassigned}",
            callback_data=VisitCb(purpose="report", visit_id=visit.id),
        )
    kb.adjust(1)
    await state.set_state(ReportDialog.visit)
    await message.answer(t("report.choose_visit"), reply_markup=kb.as_markup())


async def report_visit(
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
    grace = settings.lifecycle().contract_grace_days
    if (
        visit is None
        or visit.agency_id != agency_id
        or await q.serving_contract(session, agency_id, visit.enterprise_id, local_today(settings.tz), grace)
        is None
    ):
        await query.answer(_refuse(t), show_alert=True)
        return
    await query.answer()
    await state.update_data(visit_id=visit.id)
    await state.set_state(ReportDialog.file)
    await query.message.edit_text(t("report.ask_file", date=visit.date.isoformat()))


async def report_file(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    if message.document is not None:
        mime = message.document.mime_type or ""
        name = (message.document.file_name or "").lower()
        if mime not in REPORT_TYPES and not mime.startswith("image/") and not name.endswith(REPORT_SUFFIXES):
            await message.answer(t("report.bad_type"))
            return
        file_id = message.document.file_id
    else:
        file_id = message.photo[-1].file_id
    visit = await session.get(Visit, (await state.get_data())["visit_id"])
    today = local_today(settings.tz)
    saved = await q.record_report(session, visit.id, today, file_id, viewer.user_id)
    await state.clear()
    if saved is None:
        await message.answer(t("report.already"))
        return
    if visit.staff_id is None:  # an agency's unassigned visit: whoever reports it takes it
        staff = await q.staff_row(session, visit.agency_id, viewer.user_id)
        if staff is not None:
            await q.take_visit(session, visit.id, staff.id)
    await session.commit()
    s = settings.lifecycle()
    due = report_due(visit.date, s)
    state_ = report_state(visit.date, today, today, s)
    await message.answer(
        t(f"report.saved_{state_}", date=visit.date.isoformat(), due=due.isoformat(), late=(today - due).days)
    )


async def report_file_expected(message: Message, t: BoundTranslator) -> None:
    await message.answer(t("report.bad_type"))


# ---------------------------------------------------------------- /verify


async def verify_command(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    groups, _ = await q.waiting_by_enterprise(session, agency_of(viewer), limit=q.PAGE + 1)
    if not groups:
        await message.answer(t("verify.none"))
        return
    if sum(n for _, _, n in groups) <= q.PAGE:
        await _send_waiting(message, t, viewer, session, settings, None)
        return
    await state.set_state(VerifyPick.enterprise)
    await state.update_data(search="")
    text, markup = await _waiting_picker(t, viewer, session, 0, "")
    await message.answer(text, reply_markup=markup)


async def _waiting_picker(t, viewer, session, page: int, search: str):
    """One page of the enterprises with rectifications waiting, with page buttons; every
    enterprise can be reached by paging or by typing part of its name."""
    groups, total = await q.waiting_by_enterprise(
        session, agency_of(viewer), limit=PICK_PAGE, offset=page * PICK_PAGE, name=search
    )
    pages = max(1, -(-total // PICK_PAGE))
    kb = InlineKeyboardBuilder()
    for eid, name, n in groups:
        kb.button(text=f"{name[:40]} ({n})", callback_data=WaitingCb(enterprise_id=eid))
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(text="◀️", callback_data=WaitingPageCb(page=page - 1).pack()))
    if page + 1 < pages:
        nav.append(InlineKeyboardButton(text="▶️", callback_data=WaitingPageCb(page=page + 1).pack()))
    kb.adjust(1)
    if nav:
        kb.row(*nav)
    text = t("verify.choose_enterprise", n=total, page=page + 1, pages=pages, search=search)
    return text, kb.as_markup()


async def verify_page(
    query: CallbackQuery,
    callback_data: WaitingPageCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    await query.answer()
    search = (
        (await state.get_data()).get("search", "") if await state.get_state() == VerifyPick.enterprise else ""
    )
    text, markup = await _waiting_picker(t, viewer, session, max(0, callback_data.page), search)
    await query.message.edit_text(text, reply_markup=markup)


async def verify_search(
    message: Message, t: BoundTranslator, viewer: Viewer, session: AsyncSession, state: FSMContext
) -> None:
    search = (message.text or "").strip()[:40]
    _, found = await q.waiting_by_enterprise(session, agency_of(viewer), limit=1, name=search)
    if not found:
        await message.answer(t("verify.no_match", search=search))
        search = ""
    await state.update_data(search=search)
    text, markup = await _waiting_picker(t, viewer, session, 0, search)
    await message.answer(text, reply_markup=markup)


async def verify_enterprise(
    query: CallbackQuery,
    callback_data: WaitingCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    grace = settings.lifecycle().contract_grace_days
    if (
        await q.serving_contract(
            session, agency_of(viewer), callback_data.enterprise_id, local_today(settings.tz), grace
        )
        is None
    ):
        await query.answer(_refuse(t), show_alert=True)
        return
    await query.answer()
    if await state.get_state() == VerifyPick.enterprise:
        await state.clear()
    await _send_waiting(query.message, t, viewer, session, settings, callback_data.enterprise_id)


async def _send_waiting(message: Message, t, viewer, session, settings, enterprise_id: int | None) -> None:
    agency_id = agency_of(viewer)
    today, grace = local_today(settings.tz), settings.lifecycle().contract_grace_days
    waiting = [
        (h, name)
        for h, name in await q.waiting_verification(session, agency_id, enterprise_id)
        if await q.serving_contract(session, agency_id, h.enterprise_id, today, grace) is not None
    ]
    if not waiting:
        await message.answer(t("verify.none"))
        return
    await message.answer(t("verify.header", n=len(waiting)))
    for hazard, name in waiting:
        event, photos = await q.latest_event(session, hazard.id, "submitted")
        _, before = await q.latest_event(session, hazard.id, "created")
        await _before_and_after(message, t, hazard.description, before, photos)
        await message.answer(
            t(
                "verify.item",
                name=name,
                description=hazard.description,
                deadline=hazard.deadline.isoformat(),
                note=event.note if event else "",
                photos=len(photos),
                level=t(f"level.{hazard.level}"),
            ),
            reply_markup=_verify_buttons(t, hazard.id),
        )


async def _before_and_after(
    message: Message, t, description: str, before: list[str], after: list[str]
) -> None:
    """The hazard's photos and the rectification's, side by side in one album captioned with
    the hazard (an album holds at most 10: the newest of each side are kept)."""
    keep = min(len(before), 5 if after else 10)
    files = before[len(before) - keep :] + after[-(10 - keep) :] if after else before[-keep:]
    if not files:
        return
    caption = t("verify.album", description=description[:300], before=len(before), after=len(after))
    if len(files) == 1:
        await message.answer_photo(files[0], caption=caption)
        return
    media = [InputMediaPhoto(media=f, caption=caption if i == 0 else None) for i, f in enumerate(files)]
    await message.answer_media_group(media)


def _verify_buttons(t, hazard_id: int):
    kb = InlineKeyboardBuilder()
    kb.button(text=t("verify.approve"), callback_data=VerifyCb(action="verify", hazard_id=hazard_id))
    kb.button(text=t("verify.reject"), callback_data=VerifyCb(action="reject", hazard_id=hazard_id))
    return kb.as_markup()


def _confirm_close(t, hazard_id: int):
    kb = InlineKeyboardBuilder()
    kb.button(text=t("verify.confirm_close"), callback_data=VerifyCb(action="confirm", hazard_id=hazard_id))
    kb.button(text=t("verify.keep_open"), callback_data=VerifyCb(action="keep", hazard_id=hazard_id))
    return kb.as_markup()


async def _verifiable(session, viewer, settings, hazard_id: int) -> Hazard | None:
    agency_id = agency_of(viewer)
    hazard = await session.get(Hazard, hazard_id)
    if hazard is None or hazard.agency_id != agency_id or hazard.status != "submitted":
        return None
    grace = settings.lifecycle().contract_grace_days
    if (
        await q.serving_contract(session, agency_id, hazard.enterprise_id, local_today(settings.tz), grace)
        is None
    ):
        return None
    return hazard


async def verify_pressed(
    query: CallbackQuery,
    callback_data: VerifyCb,
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
    if hazard is None or callback_data.action not in ("verify", "confirm", "keep", "reject"):
        await query.answer(t("verify.gone"), show_alert=True)
        return
    if callback_data.action in ("verify", "keep"):
        # Closing cannot be undone: "approve" first asks once more on the same card.
        await query.answer()
        markup = (
            _confirm_close(t, hazard.id)
            if callback_data.action == "verify"
            else _verify_buttons(t, hazard.id)
        )
        await query.message.edit_reply_markup(reply_markup=markup)
        return
    await settle_press(query)
    if callback_data.action == "reject":
        await state.set_state(RejectDialog.reason)
        await state.update_data(hazard_id=hazard.id)
        await query.message.answer(t("verify.ask_reason", description=hazard.description))
        return
    await decide_rectification(
        query.message, hazard, Action.verify, "", t, viewer, session, settings, bot, sender, translator
    )


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
    if not fits(message.text, 1000):
        await message.answer(t("dialog.text_limit", limit=1000))
        return
    hazard = await _verifiable(session, viewer, settings, (await state.get_data())["hazard_id"])
    await state.clear()
    if hazard is None:
        await message.answer(t("verify.gone"))
        return
    await decide_rectification(
        message,
        hazard,
        Action.reject,
        message.text.strip(),
        t,
        viewer,
        session,
        settings,
        bot,
        sender,
        translator,
    )


async def decide_rectification(
    message, hazard, action, reason, t, viewer, session, settings, bot, sender, translator
) -> None:
    """Close a rectification or send it back, and tell the owners: the same for the agency's
    verification and a regulator's (of a government finding)."""
    today = local_today(settings.tz)
    if not await q.move_hazard(session, hazard, action, viewer.user_id, reason, today=today):
        await session.rollback()
        await message.answer(t("verify.gone"))
        return
    enterprise = await session.get(Enterprise, hazard.enterprise_id)
    owners = await q.users_with_role(session, Role.owner, enterprise_id=hazard.enterprise_id)
    events = len(await q.history(session, hazard.id))
    await notify(
        session,
        translator,
        owners,
        f"hazard_{action}",
        f"verify.notice_{action}",
        f"hazard:{hazard.id}:{action}:{events}",
        markup=_to_hazards,
        name=enterprise.name,
        description=hazard.description,
        reason=reason,
    )
    await session.commit()
    sender.kick(bot)
    await message.answer(t(f"verify.done_{action}", description=hazard.description, name=enterprise.name))


# ---------------------------------------------------------------- /due


async def due_command(
    message: Message, t: BoundTranslator, viewer: Viewer, session: AsyncSession, settings: Settings
) -> None:
    agency_id = agency_of(viewer)
    today, s = local_today(settings.tz), settings.lifecycle()
    staff = await q.staff_row(session, agency_id, viewer.user_id)
    visits = await q.visits_without_report(
        session, agency_id, s.report_kinds, staff.id if staff else None, limit=None
    )
    reports = [
        {
            "date": v.date.isoformat(),
            "name": name,
            "when": days_text(t, report_due(v.date, s), today),
            "late": report_due(v.date, s) < today,
            "unassigned": v.staff_id is None,
        }
        for v, name in visits
        if staff is not None or v.staff_id is None
    ]
    overdue = [
        {"name": name, "n": n, "oldest": oldest.isoformat(), "when": days_text(t, oldest, today)}
        for name, n, oldest in await q.overdue_by_client(session, agency_id, today)
    ]
    await message.answer(t("due.text", reports=reports[:30], more=max(0, len(reports) - 30), overdue=overdue))


async def due_from_notice(
    query: CallbackQuery, t: BoundTranslator, viewer: Viewer, session: AsyncSession, settings: Settings
) -> None:
    await query.answer()
    await due_command(query.message, t, viewer, session, settings)


def build_router() -> Router:
    router = Router(name="staff")
    router.message.filter(HasRole(Role.staff))
    router.callback_query.filter(HasRole(Role.staff))
    m, c = router.message.register, router.callback_query.register
    not_command = ~F.text.startswith("/")
    m(clients_command, Command("clients"))
    c(clients_page, PageCb.filter())
    m(visit_command, Command("visit"))
    m(hazard_command, Command("hazard"))
    m(report_command, Command("report"))
    m(verify_command, Command("verify"))
    m(due_command, Command("due"))
    c(due_from_notice, ListCb.filter(F.what == "due"))
    c(visit_client, VisitDialog.client, ClientCb.filter())
    m(visit_search, VisitDialog.client, F.text, not_command)
    c(visit_kind, VisitDialog.kind, KindCb.filter())
    m(visit_kind_typed, VisitDialog.kind, not_command)
    c(visit_today, VisitDialog.day, StepCb.filter(F.action == "today"))
    m(visit_day_text, VisitDialog.day, F.text, not_command)
    c(hazard_visit, HazardDialog.visit, VisitCb.filter(F.purpose == "hazard"))
    m(hazard_description, HazardDialog.description, not_command)
    m(hazard_location, HazardDialog.location, not_command)
    m(hazard_photo, HazardDialog.photos, F.photo)
    c(hazard_photos_done, HazardDialog.photos, StepCb.filter(F.action == "done"))
    m(hazard_photo_expected, HazardDialog.photos, not_command)
    c(hazard_level, HazardDialog.level, LevelCb.filter())
    m(hazard_level_typed, HazardDialog.level, not_command)
    m(hazard_suggestion, HazardDialog.suggestion, not_command)
    c(hazard_deadline_button, HazardDialog.deadline, StepCb.filter(F.action.in_(DEADLINE_BUTTONS)))
    m(hazard_deadline_text, HazardDialog.deadline, F.text, not_command)
    c(hazard_confirmed, HazardDialog.confirm, StepCb.filter(F.action == "save"))
    c(hazard_change_deadline, HazardDialog.confirm, StepCb.filter(F.action == "redo"))
    c(report_visit, ReportDialog.visit, VisitCb.filter(F.purpose == "report"))
    m(report_file, ReportDialog.file, F.document | F.photo)
    m(report_file_expected, ReportDialog.file, not_command)
    c(verify_pressed, VerifyCb.filter())
    c(verify_enterprise, WaitingCb.filter())
    c(verify_page, WaitingPageCb.filter())
    m(verify_search, VerifyPick.enterprise, F.text, not_command)
    m(reject_reason, RejectDialog.reason, not_command)
    return router
