"""/due: the reports and rectifications the agency still owes."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import BoundTranslator
from bot.status_view import days_text
from bot.viewer import Viewer
from domain.lifecycle import report_due
from handlers.staff.common import agency_of
from storage import hazards
from storage import inspections as q
from storage.clock import today as local_today

REPORTS_SHOWN, CLIENTS_SHOWN = 30, 10  # the rest are in /report and /clients


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
        for name, n, oldest in await hazards.overdue_by_client(session, agency_id, today)
    ]
    await message.answer(
        t(
            "due.text",
            reports=reports[:REPORTS_SHOWN],
            more=max(0, len(reports) - REPORTS_SHOWN),
            overdue=overdue[:CLIENTS_SHOWN],
            overdue_more=max(0, len(overdue) - CLIENTS_SHOWN),
        )
    )


async def due_from_notice(
    query: CallbackQuery, t: BoundTranslator, viewer: Viewer, session: AsyncSession, settings: Settings
) -> None:
    await query.answer()
    await due_command(query.message, t, viewer, session, settings)
