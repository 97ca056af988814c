"""Who is who, contracts and clients, visits and service reports."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import locale_for
from domain.enums import HazardStatus, Role
from domain.lifecycle import LifecycleSettings, contract_allows
from storage.models import (
    Contract,
    Enterprise,
    Hazard,
    RoleGrant,
    ServiceReport,
    Staff,
    User,
    Visit,
)

UNCLOSED = (HazardStatus.open, HazardStatus.submitted)
PAGE = 8


# ---------------------------------------------------------------- who is who


async def staff_row(session: AsyncSession, agency_id: int, user_id: int) -> Staff | None:
    return await session.scalar(select(Staff).where(Staff.agency_id == agency_id, Staff.user_id == user_id))


async def users_with_role(
    session: AsyncSession, role: str, *, enterprise_id: int | None = None, agency_id: int | None = None
) -> list[int]:
    stmt = select(RoleGrant.user_id).where(RoleGrant.role == role).distinct()
    if enterprise_id is not None:
        stmt = stmt.where(RoleGrant.enterprise_id == enterprise_id)
    if agency_id is not None:
        stmt = stmt.where(RoleGrant.agency_id == agency_id)
    return list((await session.scalars(stmt)).all())


async def regulators_covering(session: AsyncSession, division: str) -> list[int]:
    """Regulators whose jurisdiction (a division prefix) contains `division`."""
    stmt = (
        select(RoleGrant.user_id)
        .where(RoleGrant.role == Role.regulator, literal(division).like(RoleGrant.target + "%"))
        .distinct()
    )
    return list((await session.scalars(stmt)).all())


async def locales_of(session: AsyncSession, user_ids: list[int], default: str) -> dict[int, str]:
    """Each user's locale as a handler would choose it: saved, else Telegram's, else default."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(User.id, User.locale, User.telegram_language).where(User.id.in_(user_ids))
    )
    found = {uid: locale_for(saved, tg, default) for uid, saved, tg in rows}
    return {uid: found.get(uid, default) for uid in user_ids}


# ---------------------------------------------------------------- contracts and clients


async def serving_contract(
    session: AsyncSession, agency_id: int, enterprise_id: int, today: date, grace_days: int = 0
) -> Contract | None:
    """A contract under which the agency may act for the enterprise today (with grace after its end)."""
    contracts = (
        await session.scalars(
            select(Contract).where(Contract.agency_id == agency_id, Contract.enterprise_id == enterprise_id)
        )
    ).all()
    allowed = [c for c in contracts if contract_allows(c.start_date, c.end_date, today, grace_days)]
    return min(allowed, key=lambda c: c.start_date) if allowed else None


def _active(agency_id: int, today: date):
    return (Contract.agency_id == agency_id, Contract.start_date <= today, Contract.end_date >= today)


@dataclass
class ClientRow:
    enterprise: Enterprise
    kinds: list[str]
    end: date
    open: int = 0
    overdue: int = 0
    last_visit: date | None = None
    missing_reports: int = 0


def _urgency(agency_id: int, today: date, s: LifecycleSettings) -> tuple:
    """Most urgent client first: the most overdue hazards, then the most missing service
    reports, then the nearest open deadline (clients with none last)."""

    def per_client(column, *where):
        return select(column).where(*where).correlate(Enterprise).scalar_subquery()

    unclosed = (Hazard.enterprise_id == Enterprise.id, Hazard.status.in_(UNCLOSED))
    overdue = per_client(func.count(Hazard.id), *unclosed, Hazard.deadline < today)
    nearest = per_client(func.min(Hazard.deadline), *unclosed)
    missing = (
        select(func.count(Visit.id))
        .outerjoin(ServiceReport, ServiceReport.visit_id == Visit.id)
        .where(
            Visit.enterprise_id == Enterprise.id,
            Visit.agency_id == agency_id,
            ServiceReport.id.is_(None),
            Visit.kind.in_(s.report_kinds),
            Visit.date < today - timedelta(days=s.report_due_days),
        )
        .correlate(Enterprise)
        .scalar_subquery()
    )
    return overdue.desc(), missing.desc(), nearest.is_(None), nearest


async def clients(
    session: AsyncSession, agency_id: int, today: date, s: LifecycleSettings, page: int = 0, query: str = ""
) -> tuple[list[ClientRow], int]:
    """One page of the agency's clients under an active contract, most urgent first, and how
    many there are."""
    base = select(Contract.enterprise_id).where(*_active(agency_id, today))
    if query:
        pattern = "%" + query.replace("%", "").replace("_", "") + "%"
        base = base.join(Enterprise, Enterprise.id == Contract.enterprise_id).where(
            (Enterprise.name.like(pattern)) | (Enterprise.uscc == query.upper())
        )
    ids_q = base.distinct().subquery()
    total = await session.scalar(select(func.count()).select_from(ids_q))
    page_ids = (
        await session.scalars(
            select(Enterprise.id)
            .where(Enterprise.id.in_(select(ids_q.c.enterprise_id)))
            .order_by(*_urgency(agency_id, today, s), Enterprise.name)
            .limit(PAGE)
            .offset(page * PAGE)
        )
    ).all()
    if not page_ids:
        return [], int(total or 0)
    ents = {
        e.id: e for e in (await session.scalars(select(Enterprise).where(Enterprise.id.in_(page_ids)))).all()
    }
    out = {eid: ClientRow(ents[eid], [], date.min) for eid in page_ids}
    for eid, kind, end in await session.execute(
        select(Contract.enterprise_id, Contract.kind, Contract.end_date).where(
            *_active(agency_id, today), Contract.enterprise_id.in_(page_ids)
        )
    ):
        out[eid].kinds.append(kind)
        out[eid].end = max(out[eid].end, end)
    for eid, n_open, n_over in await session.execute(
        select(
            Hazard.enterprise_id,
            func.count(),
            func.sum(case((Hazard.deadline < today, 1), else_=0)),
        )
        .where(Hazard.enterprise_id.in_(page_ids), Hazard.status.in_(UNCLOSED))
        .group_by(Hazard.enterprise_id)
    ):
        out[eid].open, out[eid].overdue = int(n_open), int(n_over or 0)
    for eid, last in await session.execute(
        select(Visit.enterprise_id, func.max(Visit.date))
        .where(Visit.enterprise_id.in_(page_ids), Visit.agency_id == agency_id)
        .group_by(Visit.enterprise_id)
    ):
        out[eid].last_visit = last
    for eid, n in await session.execute(
        select(Visit.enterprise_id, func.count())
        .outerjoin(ServiceReport, ServiceReport.visit_id == Visit.id)
        .where(
            Visit.enterprise_id.in_(page_ids),
            Visit.agency_id == agency_id,
            ServiceReport.id.is_(None),
            Visit.kind.in_(s.report_kinds),
            Visit.date < today - timedelta(days=s.report_due_days),
        )
        .group_by(Visit.enterprise_id)
    ):
        out[eid].missing_reports = int(n)
    return [out[eid] for eid in page_ids], int(total or 0)


# ---------------------------------------------------------------- visits


async def record_visit(
    session: AsyncSession, agency_id: int, staff_id: int | None, enterprise_id: int, day: date, kind: str
) -> Visit:
    visit = Visit(
        agency_id=agency_id,
        ref=f"TG{day:%Y%m%d}-{secrets.token_hex(4)}",
        enterprise_id=enterprise_id,
        staff_id=staff_id,
        date=day,
        kind=kind,
    )
    session.add(visit)
    await session.flush()
    return visit


async def recent_visits(
    session: AsyncSession, agency_id: int, staff_id: int, since: date, limit: int = PAGE
) -> list[tuple]:
    """(visit, enterprise name) of one staff member, then the agency's unassigned visits (any
    member may take one), each newest first."""
    rows = await session.execute(
        select(Visit, Enterprise.name)
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .where(
            Visit.agency_id == agency_id,
            or_(Visit.staff_id == staff_id, Visit.staff_id.is_(None)),
            Visit.date >= since,
        )
        .order_by(Visit.staff_id.is_(None), Visit.date.desc(), Visit.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def visits_without_report(
    session: AsyncSession,
    agency_id: int,
    kinds: frozenset[str],
    staff_id: int | None = None,
    limit: int | None = PAGE,
    unassigned: bool = True,
) -> list[tuple]:
    """(visit, enterprise name) of the kinds that need a report and have none, oldest first;
    with `staff_id`, that member's visits and (with `unassigned`) the agency's visits with no
    staff member."""
    stmt = (
        select(Visit, Enterprise.name)
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .outerjoin(ServiceReport, ServiceReport.visit_id == Visit.id)
        .where(Visit.agency_id == agency_id, ServiceReport.id.is_(None), Visit.kind.in_(kinds))
        .order_by(Visit.date, Visit.id)
    )
    if staff_id is not None:
        mine = Visit.staff_id == staff_id
        stmt = stmt.where(or_(mine, Visit.staff_id.is_(None)) if unassigned else mine)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.execute(stmt)).all())


async def take_visit(session: AsyncSession, visit_id: int, staff_id: int) -> None:
    """A staff member takes one of the agency's unassigned visits."""
    await session.execute(
        update(Visit).where(Visit.id == visit_id, Visit.staff_id.is_(None)).values(staff_id=staff_id)
    )


async def record_report(
    session: AsyncSession, visit_id: int, submitted_on: date, file_id: str, user_id: int
) -> ServiceReport | None:
    """None when the visit already has its report (one report per project)."""
    report = ServiceReport(
        visit_id=visit_id, submitted_on=submitted_on, file_id=file_id, submitted_by=user_id
    )
    session.add(report)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return None
    return report
