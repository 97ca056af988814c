"""/report: upload the service report of a visit."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import BoundTranslator
from bot.status_view import days_text
from bot.ui import ask, hint_and_question, reask
from bot.viewer import Viewer
from domain.lifecycle import report_due, report_state
from handlers.staff.common import REPORT_SUFFIXES, REPORT_TYPES, ReportDialog, VisitCb, agency_of, refuse
from storage import inspections as q
from storage.clock import today as local_today
from storage.models import Enterprise, Visit


class ReportPageCb(CallbackData, prefix="rpp"):
    page: int


async def report_command(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    text, markup = await _picker(t, viewer, session, settings, 0, "")
    if markup is None:
        await message.answer(text)
        return
    await state.set_state(ReportDialog.visit)
    await state.update_data(search="")
    await ask(message, state, text, markup)


async def report_page(
    query: CallbackQuery,
    callback_data: ReportPageCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    search = (await state.get_data()).get("search", "")
    text, markup = await _picker(t, viewer, session, settings, callback_data.page, search)
    await query.answer()
    await ask(query.message, state, text, markup, edit=True)


async def report_search(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    """A typed text while the visits are shown: the visits of enterprises named like it."""
    search = message.text.strip()[:30]
    text, markup = await _picker(t, viewer, session, settings, 0, search)
    if markup is None:  # nothing matches: say so over the whole list
        text, markup = await _picker(t, viewer, session, settings, 0, "")
        text = t("report.no_match", search=search) + "\n" + text
        search = ""
    await state.update_data(search=search)
    await ask(message, state, text, markup)


async def _reportable(viewer: Viewer, session: AsyncSession, settings: Settings) -> list[tuple]:
    """(visit, enterprise name) waiting for a report under a contract still served: the
    member's own visits first, then the agency's (unassigned ones among them)."""
    today = local_today(settings.tz)
    grace = settings.lifecycle().contract_grace_days
    agency_id = agency_of(viewer)
    staff = await q.staff_row(session, agency_id, viewer.user_id)
    kinds = settings.report_visit_kinds
    own = (
        await q.visits_without_report(session, agency_id, kinds, staff.id, limit=None, unassigned=False)
        if staff
        else []
    )
    rest = await q.visits_without_report(session, agency_id, kinds, limit=None)
    seen, choices, served = set(), [], {}
    for visit, name in [*own, *rest]:
        if visit.id in seen:
            continue
        if visit.enterprise_id not in served:
            contract = await q.serving_contract(session, agency_id, visit.enterprise_id, today, grace)
            served[visit.enterprise_id] = contract is not None
        if served[visit.enterprise_id]:
            seen.add(visit.id)
            choices.append((visit, name))
    return choices


async def _picker(
    t: BoundTranslator, viewer: Viewer, session: AsyncSession, settings: Settings, page: int, search: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    choices = await _reportable(viewer, session, settings)
    if search:
        choices = [(v, name) for v, name in choices if search.lower() in name.lower()]
    if not choices:
        return t("report.none"), None
    pages = (len(choices) + q.PAGE - 1) // q.PAGE
    page = min(max(page, 0), pages - 1)
    today = local_today(settings.tz)
    kb = InlineKeyboardBuilder()
    for visit, name in choices[page * q.PAGE : (page + 1) * q.PAGE]:
        due = report_due(visit.date, settings.lifecycle())
        unassigned = f" · {t('due.unassigned')}" if visit.staff_id is None else ""
        kb.button(
            text=f"{visit.date.isoformat()} {name[:30]} · {days_text(t.label, due, today)}{unassigned}",
            callback_data=VisitCb(purpose="report", visit_id=visit.id),
        )
    kb.adjust(1)
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(text="◀", callback_data=ReportPageCb(page=page - 1).pack()))
    if page + 1 < pages:
        nav.append(InlineKeyboardButton(text="▶", callback_data=ReportPageCb(page=page + 1).pack()))
    kb.row(*nav)
    text = t("report.choose_visit", n=len(choices), page=page + 1, pages=pages, search=search)
    return text, kb.as_markup()


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
        await query.answer(refuse(t), show_alert=True)
        return
    await query.answer()
    await state.update_data(visit_id=visit.id)
    await state.set_state(ReportDialog.file)
    name = (await session.get(Enterprise, visit.enterprise_id)).name
    await ask(query.message, state, t("report.ask_file", date=visit.date.isoformat(), name=name), edit=True)


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
            await reask(message, state, t("report.bad_type"))
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


# Whatever is not a file at the file step: the hint, then the question (which visit) again.
report_file_expected = hint_and_question("report.bad_type")
