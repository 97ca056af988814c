"""Visits, hazards, rectification, verification, service reports and ratings.

Every change to a hazard is a guarded update (`WHERE status = old`) plus an event, so two
people acting at once cannot both move it, and nothing is overwritten without a trace."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import locale_for
from domain.enums import HazardEventKind, HazardStatus, Role
from domain.lifecycle import Action, LifecycleSettings, contract_allows, transition
from storage.compliance import overdue_at
from storage.models import (
    Agency,
    Contract,
    Enterprise,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Rating,
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


# ---------------------------------------------------------------- hazards


async def record_hazard(
    session: AsyncSession,
    visit: Visit,
    *,
    description: str,
    location: str,
    level: str,
    suggestion: str,
    deadline: date,
    photos: list[str],
    actor: int,
) -> Hazard:
    hazard = Hazard(
        agency_id=visit.agency_id,
        ref=f"{visit.ref}-H{secrets.token_hex(3)}",
        enterprise_id=visit.enterprise_id,
        visit_id=visit.id,
        found_on=visit.date,
        description=description,
        location=location,
        suggestion=suggestion,
        level=level,
        deadline=deadline,
        status=HazardStatus.open,
    )
    session.add(hazard)
    await session.flush()
    await add_event(session, hazard.id, HazardEventKind.created, actor, "", deadline, photos)
    return hazard


async def add_event(
    session: AsyncSession,
    hazard_id: int,
    kind: str,
    actor: int | None,
    note: str,
    deadline: date | None = None,
    photos: list[str] = (),
) -> HazardEvent:
    event = HazardEvent(hazard_id=hazard_id, kind=kind, actor_id=actor, note=note, deadline=deadline)
    session.add(event)
    await session.flush()
    session.add_all(HazardPhoto(event_id=event.id, file_id=f) for f in photos)
    return event


async def move_hazard(
    session: AsyncSession,
    hazard: Hazard,
    action: Action,
    actor: int,
    note: str,
    photos: list[str] = (),
    today: date | None = None,
) -> bool:
    """Apply one step of the state machine; False when someone else moved the hazard first."""
    new = transition(hazard.status, action)
    values: dict = {"status": new}
    if new == HazardStatus.verified:
        values["closed_on"] = today
    elif new == HazardStatus.submitted:
        values["submitted_on"] = today  # by the deadline: awaits the check, not overdue
    else:
        values["submitted_on"] = None  # rejected: overdue again if the deadline has passed
    moved = await session.execute(
        update(Hazard).where(Hazard.id == hazard.id, Hazard.status == hazard.status).values(**values)
    )
    if moved.rowcount != 1:
        return False
    kind = {
        Action.submit: HazardEventKind.submitted,
        Action.reject: HazardEventKind.rejected,
        Action.verify: HazardEventKind.verified,
    }[action]
    await add_event(session, hazard.id, kind, actor, note, None, list(photos))
    await session.refresh(hazard)
    return True


async def owner_hazards(session: AsyncSession, enterprise_ids: list[int]) -> list[tuple]:
    """(hazard, enterprise name) not yet closed, soonest deadline first: all of them, the
    view pages them."""
    rows = await session.execute(
        select(Hazard, Enterprise.name)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .where(Hazard.enterprise_id.in_(enterprise_ids), Hazard.status.in_(UNCLOSED))
        .order_by(Hazard.deadline, Hazard.id)
    )
    return list(rows.all())


async def waiting_verification(
    session: AsyncSession, agency_id: int, enterprise_id: int | None = None, limit: int = PAGE
) -> list[tuple]:
    """(hazard, enterprise name) with evidence waiting for the agency, soonest deadline first."""
    stmt = (
        select(Hazard, Enterprise.name)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .where(Hazard.agency_id == agency_id, Hazard.status == HazardStatus.submitted)
        .order_by(Hazard.deadline, Hazard.id)
        .limit(limit)
    )
    if enterprise_id is not None:
        stmt = stmt.where(Hazard.enterprise_id == enterprise_id)
    return list((await session.execute(stmt)).all())


async def waiting_by_enterprise(
    session: AsyncSession, agency_id: int, limit: int = 20, offset: int = 0, name: str = ""
) -> tuple[list[tuple], int]:
    """One page of (enterprise id, name, waiting count) for the agency, the soonest deadline
    first, optionally only names containing `name`; and how many enterprises there are."""
    where = [Hazard.agency_id == agency_id, Hazard.status == HazardStatus.submitted]
    if name:
        where.append(Enterprise.name.contains(name, autoescape=True))
    grouped = (
        select(
            Enterprise.id, Enterprise.name, func.count().label("n"), func.min(Hazard.deadline).label("due")
        )
        .select_from(Hazard)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .where(*where)
        .group_by(Enterprise.id, Enterprise.name)
        .subquery()
    )
    total = int(await session.scalar(select(func.count()).select_from(grouped)) or 0)
    rows = await session.execute(
        select(grouped.c.id, grouped.c.name, grouped.c.n)
        .order_by(grouped.c.due, grouped.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def latest_event(
    session: AsyncSession, hazard_id: int, kind: str
) -> tuple[HazardEvent | None, list[str]]:
    event = await session.scalar(
        select(HazardEvent)
        .where(HazardEvent.hazard_id == hazard_id, HazardEvent.kind == kind)
        .order_by(HazardEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return None, []
    photos = (
        await session.scalars(select(HazardPhoto.file_id).where(HazardPhoto.event_id == event.id))
    ).all()
    return event, list(photos)


async def history(session: AsyncSession, hazard_id: int) -> list[HazardEvent]:
    return list(
        (
            await session.scalars(
                select(HazardEvent).where(HazardEvent.hazard_id == hazard_id).order_by(HazardEvent.id)
            )
        ).all()
    )


async def overdue_by_client(session: AsyncSession, agency_id: int, today: date) -> list[tuple]:
    """(enterprise name, overdue count, oldest deadline) for each of the agency's clients
    with an overdue hazard, the oldest first. Overdue as /overdue counts it: a rectification
    submitted in time and waiting for the agency's check is not (it is in /verify)."""
    rows = await session.execute(
        select(Enterprise.name, func.count(), func.min(Hazard.deadline))
        .select_from(Hazard)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .where(Hazard.agency_id == agency_id, Hazard.status.in_(UNCLOSED), overdue_at(today))
        .group_by(Enterprise.id, Enterprise.name)
        .order_by(func.min(Hazard.deadline))
    )
    return list(rows.all())


# ---------------------------------------------------------------- ratings


async def unrated_visits(session: AsyncSession, enterprise_ids: list[int], since: date) -> list[tuple]:
    rows = await session.execute(
        select(Visit, Enterprise.name, Agency.name)
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .join(Agency, Agency.id == Visit.agency_id)
        .outerjoin(Rating, Rating.visit_id == Visit.id)
        .where(Visit.enterprise_id.in_(enterprise_ids), Visit.date >= since, Rating.id.is_(None))
        .order_by(Visit.date.desc(), Visit.id.desc())
        .limit(PAGE)
    )
    return list(rows.all())


async def save_rating(session: AsyncSession, visit_id: int, stars: int, comment: str, user_id: int) -> bool:
    """False when the visit was rated already: one rating per visit."""
    session.add(Rating(visit_id=visit_id, stars=stars, comment=comment, rated_by=user_id))
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return False
    return True


async def comment_rating(session: AsyncSession, visit_id: int, user_id: int, comment: str) -> None:
    """The comment added after the stars, by the person who gave them."""
    await session.execute(
        update(Rating)
        .where(Rating.visit_id == visit_id, Rating.rated_by == user_id, Rating.comment == "")
        .values(comment=comment)
    )


async def is_rated(session: AsyncSession, visit_id: int) -> bool:
    return await session.scalar(select(Rating.id).where(Rating.visit_id == visit_id)) is not None
