"""Regulators' toolkit: /overdue (extend a deadline, mark for enforcement, export), /agencies
(figures, grades, staff), /coverage. Every action re-checks the
jurisdiction; exports are XLSX workbooks."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clipping import clip
from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator, Translator
from bot.paging import PageCb, pager_buttons, paginate
from bot.status_view import coverage_line, coverage_targets, days_text
from bot.ui import StepCb, date_hint, fits, parse_day, settle_press
from domain.divisions import covers
from domain.enums import Role
from domain.grading import Period, eligible_for_public_money
from handlers.headline import send_headline
from handlers.lookup import jurisdictions
from notifications.notices import notify
from notifications.sender import Sender
from storage import regulator as q
from storage.clock import today as local_today
from storage.coverage import coverage_by_division, total
from storage.exports import workbook
from storage.inspections import history, users_with_role


class OverdueCb(CallbackData, prefix="ov"):
    action: str  # page | export
    page: int
    township: str
    agency: str


class RegHazardCb(CallbackData, prefix="rh"):
    action: str  # open | extend | enforce (asks) | enforce_yes (marks)
    hazard_id: int


class AgencyCb(CallbackData, prefix="ag"):
    action: str  # staff | export
    agency_id: int
    period: str


class ExtendDialog(StatesGroup):
    date = State()
    reason = State()
    confirm = State()


def _pct(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "—"


async def _send_book(message: Message, bot: Bot, name: str, sheets: dict) -> None:
    await bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_DOCUMENT)
    await message.answer_document(BufferedInputFile(workbook(sheets), filename=name))


# ---------------------------------------------------------------- /overdue


async def overdue_command(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    township, agency = "", ""
    for token in (command.args or "").split():
        if token.isdigit() and len(token) == 9:
            township = token
        else:
            agency = token[:50]
    if township and not any(covers(p, township) for p in jurisdictions(viewer)):
        await message.answer(t("lookup.outside"))
        return
    text, markup = await _overdue_page(t, viewer, session, settings, 0, township, agency)
    await message.answer(text, reply_markup=markup)


async def _overdue_page(t, viewer, session, settings, page: int, township: str, agency: str):
    today = local_today(settings.tz)
    rows, total = await q.overdue(
        session, jurisdictions(viewer), today, township=township, agency_code=agency, page=page
    )
    pages = max(1, -(-total // q.PAGE))
    items = [
        {
            "n": page * q.PAGE + i + 1,
            "name": r.enterprise,
            "description": r.hazard.description,
            "major": r.hazard.level == "major",
            "deadline": r.hazard.deadline.isoformat(),
            "when": days_text(t, r.hazard.deadline, today),
            "agency": r.agency,
            "enforcement": r.enforcement,
        }
        for i, r in enumerate(rows)
    ]
    text = t(
        "overdue.page", items=items, total=total, page=page + 1, pages=pages, township=township, agency=agency
    )
    kb = InlineKeyboardBuilder()
    for i, r in enumerate(rows):
        kb.button(
            text=f"#{page * q.PAGE + i + 1}", callback_data=RegHazardCb(action="open", hazard_id=r.hazard.id)
        )
    nav = []
    if page > 0:
        nav.append(("‹", OverdueCb(action="page", page=page - 1, township=township, agency=agency)))
    if page + 1 < pages:
        nav.append(("›", OverdueCb(action="page", page=page + 1, township=township, agency=agency)))
    for label, data in nav:
        kb.button(text=label, callback_data=data)
    if total:
        kb.button(
            text=t("overdue.export"),
            callback_data=OverdueCb(action="export", page=0, township=township, agency=agency),
        )
    kb.adjust(5)
    return text, kb.as_markup() if total else None


async def overdue_pressed(
    query: CallbackQuery,
    callback_data: OverdueCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
) -> None:
    if callback_data.township and not any(covers(p, callback_data.township) for p in jurisdictions(viewer)):
        await query.answer(t("lookup.outside"), show_alert=True)
        return
    await query.answer()
    if callback_data.action == "export":
        today = local_today(settings.tz)
        rows, _ = await q.overdue(
            session,
            jurisdictions(viewer),
            today,
            township=callback_data.township,
            agency_code=callback_data.agency,
            per_page=None,
        )
        header = [
            t(f"digest.col_{c}")
            for c in ("enterprise", "division", "description", "level", "found", "deadline", "agency")
        ] + [t("overdue.col_days"), t("overdue.col_enforcement")]
        data = [
            (
                r.enterprise,
                r.division,
                r.hazard.description,
                t(f"level.{r.hazard.level}"),
                r.hazard.found_on,
                r.hazard.deadline,
                r.agency,
                (today - r.hazard.deadline).days,
                "✓" if r.enforcement else "",
            )
            for r in rows
        ]
        scope = callback_data.township or "-".join(jurisdictions(viewer))
        await _send_book(
            query.message,
            bot,
            f"overdue-{scope}-{today.isoformat()}.xlsx",
            {t("digest.sheet_overdue"): (header, data)},
        )
        return
    text, markup = await _overdue_page(
        t, viewer, session, settings, max(0, callback_data.page), callback_data.township, callback_data.agency
    )
    if text != query.message.text:
        await query.message.edit_text(text, reply_markup=markup)


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
        await query.message.answer(t("overdue.ask_date", deadline=hazard.deadline.isoformat()))
        return
    if callback_data.action == "enforce":
        kb = InlineKeyboardBuilder()
        kb.button(
            text=t("overdue.confirm_enforce"),
            callback_data=RegHazardCb(action="enforce_yes", hazard_id=hazard.id),
        )
        kb.button(text=t("overdue.back"), callback_data=RegHazardCb(action="open", hazard_id=hazard.id))
        await query.message.answer(
            t("overdue.ask_enforce", description=hazard.description, name=enterprise.name),
            reply_markup=kb.as_markup(),
        )
        return
    if callback_data.action == "enforce_yes":
        marked = await q.mark_enforcement(session, hazard, query.from_user.id)
        await session.commit()
        key = "overdue.enforced" if marked else "overdue.already_enforced"
        await query.message.edit_text(t(key, description=hazard.description, name=enterprise.name))
        return
    text, markup = await _hazard_detail(t, session, settings, hazard, enterprise, 0)
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


async def _hazard_detail(t, session, settings, hazard, enterprise, page: int):
    """A hazard with its history, the history paged when it outgrows a message."""
    events = [
        {
            "kind": t(f"event.{e.kind}"),
            "at": e.at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
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
    kb.button(text=t("overdue.do_extend"), callback_data=RegHazardCb(action="extend", hazard_id=hazard.id))
    if not await q.marked_for_enforcement(session, hazard.id):  # once marked, the history says so
        kb.button(
            text=t("overdue.do_enforce"), callback_data=RegHazardCb(action="enforce", hazard_id=hazard.id)
        )
    kb.row(*pager_buttons("odh", shown, str(hazard.id)))
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
    await message.answer(t("overdue.ask_reason"))


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
    kb.button(text=t("overdue.confirm_extend"), callback_data=StepCb(action="save"))
    kb.button(text=t("overdue.drop_extend"), callback_data=StepCb(action="drop"))
    await message.answer(
        t(
            "overdue.check_extend",
            name=enterprise.name,
            description=hazard.description,
            old=hazard.deadline.isoformat(),
            new=data["deadline"],
            reason=message.text.strip(),
        ),
        reply_markup=kb.as_markup(),
    )


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


# ---------------------------------------------------------------- /agencies


async def agencies_command(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    today = local_today(settings.tz)
    period = Period.parse(command.args or "") if command.args else Period.of(today)
    if period is None or period.start > today:
        await message.answer(t("agencies.usage"))
        return
    page = await _agencies_page(t, viewer, session, settings, period, 0)
    if page is None:
        await message.answer(t("agencies.none", period=period.label))
        return
    await message.answer(page[0], reply_markup=page[1])


async def agencies_page(
    query: CallbackQuery,
    callback_data: PageCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    period = Period.parse(callback_data.arg)
    page = await _agencies_page(t, viewer, session, settings, period, callback_data.page) if period else None
    if page is None:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(page[0], reply_markup=page[1])


async def _agencies_page(t, viewer, session, settings, period: Period, page: int):
    today = local_today(settings.tz)
    rows = await q.agency_figures(
        session, jurisdictions(viewer), period, today, settings.report_due_days, settings.grades()
    )
    if not rows:
        return None
    stored = await q.published(session, period)
    items = [
        {
            "id": r.agency_id,
            "code": r.code,
            "name": r.name,
            "enterprises": r.enterprises,
            "visits": r.visits,
            "ratings": r.ratings,
            "stars": f"{r.stars:.2f}" if r.stars is not None else "—",
            "on_time": _pct(r.on_time),
            "closure": _pct(r.closure),
            "tips": r.tips,
            "score": r.score,
            "grade": r.grade or "",
            "published": (stored[r.agency_id].grade or "—") if r.agency_id in stored else "",
        }
        for r in rows
    ]
    text, shown = paginate(
        lambda part: t(
            "agencies.list", period=period.label, items=part, more=0, min_ratings=settings.grade_min_ratings
        ),
        items,
        page,
    )
    kb = InlineKeyboardBuilder()
    for item in shown.entries:
        kb.button(
            text=clip(item["code"], 30),
            callback_data=AgencyCb(action="staff", agency_id=item["id"], period=period.label),
        )
    kb.button(
        text=t("overdue.export"), callback_data=AgencyCb(action="export", agency_id=0, period=period.label)
    )
    kb.adjust(4)
    kb.row(*pager_buttons("ag", shown, period.label))
    return text, kb.as_markup()


async def agency_pressed(
    query: CallbackQuery,
    callback_data: AgencyCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
) -> None:
    period = Period.parse(callback_data.period)
    if period is None:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await query.answer()
    today = local_today(settings.tz)
    if callback_data.action == "export":
        rows = await q.agency_figures(
            session, jurisdictions(viewer), period, today, settings.report_due_days, settings.grades()
        )
        header = [
            t(f"agencies.col_{c}")
            for c in (
                "code",
                "name",
                "enterprises",
                "visits",
                "ratings",
                "stars",
                "on_time",
                "closure",
                "tips",
                "score",
                "grade",
                "public",
            )
        ]
        data = [
            (
                r.code,
                r.name,
                r.enterprises,
                r.visits,
                r.ratings,
                r.stars,
                r.on_time,
                r.closure,
                r.tips,
                r.score if r.grade else None,  # below the minimum ratings a score means nothing
                r.grade or t("agencies.not_graded"),
                "✓" if eligible_for_public_money(r.grade) else "✗",
            )
            for r in rows
        ]
        await _send_book(
            query.message,
            bot,
            f"agencies-{'-'.join(jurisdictions(viewer))}-{period.label}.xlsx",
            {period.label: (header, data)},
        )
        return
    staff = await q.staff_figures(session, callback_data.agency_id, jurisdictions(viewer), period, today)
    await query.message.answer(
        t(
            "agencies.staff",
            period=period.label,
            rows=[
                {
                    "name": name or t("agencies.unattributed"),
                    "visits": n,
                    "stars": f"{s:.2f}" if s is not None else "—",
                }
                for name, n, s in staff
            ],
        )
    )


# ---------------------------------------------------------------- /coverage


async def coverage_command(
    message: Message, t: BoundTranslator, viewer, session: AsyncSession, settings: Settings
) -> None:
    today, cs = local_today(settings.tz), settings.coverage()
    rows = await coverage_by_division(session, q.in_jurisdiction(jurisdictions(viewer)), today, cs)
    await message.answer(
        t(
            "coverage.text",
            as_of=today.isoformat(),
            items=[coverage_line(c, cs, division=d) for d, c in rows.items()],
            all=coverage_line(total(rows), cs) if len(rows) > 1 else None,
            **coverage_targets(cs),
        )
    )
    await send_headline(message, t, viewer, session, settings)


def build_router() -> Router:
    router = Router(name="regulator")
    router.message.filter(HasRole(Role.regulator))
    router.callback_query.filter(HasRole(Role.regulator))
    m, c = router.message.register, router.callback_query.register
    m(overdue_command, Command("overdue"))
    m(agencies_command, Command("agencies"))
    m(coverage_command, Command("coverage"))
    c(overdue_pressed, OverdueCb.filter())
    c(hazard_pressed, RegHazardCb.filter())
    c(history_page, PageCb.filter(F.view == "odh"))
    c(agencies_page, PageCb.filter(F.view == "ag"))
    c(agency_pressed, AgencyCb.filter())
    m(extend_date, ExtendDialog.date, ~F.text.startswith("/"))
    m(extend_reason, ExtendDialog.reason, ~F.text.startswith("/"))
    c(extend_confirmed, ExtendDialog.confirm, StepCb.filter(F.action == "save"))
    c(extend_dropped, ExtendDialog.confirm, StepCb.filter(F.action == "drop"))
    return router
