"""/report: upload the service report of a visit."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import BoundTranslator
from bot.status_view import days_text
from bot.ui import ask
from bot.viewer import Viewer
from domain.lifecycle import report_due, report_state
from handlers.staff.common import REPORT_SUFFIXES, REPORT_TYPES, ReportDialog, VisitCb, agency_of, refuse
from storage import inspections as q
from storage.clock import today as local_today
from storage.models import Visit


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
    await ask(message, state, t("report.choose_visit"), kb.as_markup())


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
    await ask(query.message, state, t("report.ask_file", date=visit.date.isoformat()), edit=True)


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
