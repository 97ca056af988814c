"""What regulators see beyond the digest: overdue hazards, agency figures and grades, always within a jurisdiction (a list of division prefixes)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.divisions import prefix_range
from domain.enums import HazardEventKind, HazardLevel, HazardStatus, TipStatus
from domain.grading import GradeSettings, Period, grade, score
from storage.compliance import overdue_at
from storage.models import (
    Agency,
    AgencyGrade,
    Enterprise,
    Hazard,
    HazardEvent,
    Rating,
    ServiceReport,
    Staff,
    Tip,
    Visit,
)
from storage.tips import in_jurisdiction as tips_in

UNCLOSED = (HazardStatus.open, HazardStatus.submitted)
PAGE = 10


def in_jurisdiction(prefixes: list[str], column=Enterprise.division):
    return or_(*(and_(column >= lo, column < hi) for lo, hi in map(prefix_range, prefixes)))


# ---------------------------------------------------------------- overdue hazards


@dataclass
class OverdueRow:
    hazard: Hazard
    enterprise: str
    division: str
    agency: str
    enforcement: bool


async def overdue(
    session: AsyncSession,
    prefixes: list[str],
    today: date,
    *,
    township: str = "",
    agency_code: str = "",
    page: int = 0,
    per_page: int | None = PAGE,
) -> tuple[list[OverdueRow], int]:
    """Overdue hazards, majors first, then the longest overdue; and how many there are."""
    where = [in_jurisdiction(prefixes), Hazard.status.in_(UNCLOSED), overdue_at(today)]
    if township:
        where.append(Enterprise.division == township)
    if agency_code:
        where.append(Agency.code == agency_code)
    base = (
        select(Hazard)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .outerjoin(Agency, Agency.id == Hazard.agency_id)
        .where(*where)
    )
    total = int(await session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    enforced = exists().where(
        HazardEvent.hazard_id == Hazard.id, HazardEvent.kind == HazardEventKind.enforcement
    )
    stmt = (
        select(Hazard, Enterprise.name, Enterprise.division, Agency.name, enforced)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .outerjoin(Agency, Agency.id == Hazard.agency_id)
        .where(*where)
        .order_by((Hazard.level == HazardLevel.major).desc(), Hazard.deadline, Hazard.id)
    )
    if per_page is not None:
        stmt = stmt.limit(per_page).offset(page * per_page)
    rows = [OverdueRow(h, n, d, a or "", bool(e)) for h, n, d, a, e in await session.execute(stmt)]
    return rows, total


async def hazard_in(
    session: AsyncSession, prefixes: list[str], hazard_id: int
) -> tuple[Hazard, Enterprise] | None:
    row = (
        await session.execute(
            select(Hazard, Enterprise)
            .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
            .where(Hazard.id == hazard_id, in_jurisdiction(prefixes))
        )
    ).first()
    return (row[0], row[1]) if row else None


async def extend_deadline(
    session: AsyncSession, hazard: Hazard, deadline: date, reason: str, actor: int
) -> None:
    """A new deadline is an event with who, when and why; the old one stays in the history."""
    await session.execute(update(Hazard).where(Hazard.id == hazard.id).values(deadline=deadline))
    session.add(
        HazardEvent(
            hazard_id=hazard.id, kind=HazardEventKind.extended, actor_id=actor, note=reason, deadline=deadline
        )
    )


async def mark_enforcement(session: AsyncSession, hazard: Hazard, actor: int) -> bool:
    """Mark a hazard for enforcement once; False when it was marked already."""
    if await marked_for_enforcement(session, hazard.id):
        return False
    session.add(HazardEvent(hazard_id=hazard.id, kind=HazardEventKind.enforcement, actor_id=actor))
    return True


async def marked_for_enforcement(session: AsyncSession, hazard_id: int) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    HazardEvent.hazard_id == hazard_id, HazardEvent.kind == HazardEventKind.enforcement
                )
            )
        )
    )


# ---------------------------------------------------------------- agencies


@dataclass
class AgencyFigures:
    agency_id: int
    code: str
    name: str
    enterprises: int
    visits: int
    ratings: int
    stars: float | None
    on_time: float | None
    closure: float | None
    tips: int
    score: float
    grade: str | None


async def agency_figures(
    session: AsyncSession,
    prefixes: list[str],
    period: Period,
    today: date,
    due_days: int,
    gs: GradeSettings,
) -> list[AgencyFigures]:
    """Per agency that served the jurisdiction in the half year, with its live score and grade."""
    start, end = period.start, min(period.end, today)
    area = in_jurisdiction(prefixes)
    in_period = Visit.date.between(start, end)
    visits = {
        aid: (n, ents)
        for aid, n, ents in await session.execute(
            select(Visit.agency_id, func.count(), func.count(func.distinct(Visit.enterprise_id)))
            .join(Enterprise, Enterprise.id == Visit.enterprise_id)
            .where(area, in_period)
            .group_by(Visit.agency_id)
        )
    }
    ratings = {
        aid: (n, avg)
        for aid, n, avg in await session.execute(
            select(Visit.agency_id, func.count(Rating.id), func.avg(Rating.stars))
            .join(Visit, Visit.id == Rating.visit_id)
            .join(Enterprise, Enterprise.id == Visit.enterprise_id)
            .where(area, in_period)
            .group_by(Visit.agency_id)
        )
    }
    due_cut = end - timedelta(days=due_days)
    on_time_expr = case((and_(ServiceReport.id.is_not(None), _on_time(session, due_days)), 1), else_=0)
    reports = {
        aid: (n, ok)
        for aid, n, ok in await session.execute(
            select(Visit.agency_id, func.count(Visit.id), func.sum(on_time_expr))
            .outerjoin(ServiceReport, ServiceReport.visit_id == Visit.id)
            .join(Enterprise, Enterprise.id == Visit.enterprise_id)
            .where(area, Visit.kind.in_(gs.report_kinds), Visit.date.between(start, due_cut))
            .group_by(Visit.agency_id)
        )
    }
    closure = {
        aid: (n, closed)
        for aid, n, closed in await session.execute(
            select(
                Hazard.agency_id,
                func.count(),
                func.sum(case((Hazard.status == HazardStatus.verified, 1), else_=0)),
            )
            .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
            .where(area, Hazard.found_on.between(start, end))
            .group_by(Hazard.agency_id)
        )
    }
    tips = dict(
        (
            await session.execute(
                select(Tip.agency_id, func.count())
                .where(
                    Tip.agency_id.is_not(None),
                    Tip.status == TipStatus.substantiated,
                    tips_in(prefixes),  # a tip outside the jurisdiction is not the viewer's to know
                    Tip.created_hour >= _utc(start),
                    Tip.created_hour < _utc(end + timedelta(days=1)),
                )
                .group_by(Tip.agency_id)
            )
        ).all()
    )
    agencies = (
        await session.execute(
            select(Agency.id, Agency.code, Agency.name)
            .where(Agency.id.in_(list(visits)))
            .order_by(Agency.code)
        )
    ).all()
    out = []
    for aid, code, name in agencies:
        n_visits, n_ents = visits[aid]
        n_ratings, avg = ratings.get(aid, (0, None))
        n_due, n_ok = reports.get(aid, (0, 0))
        n_found, n_closed = closure.get(aid, (0, 0))
        stars = float(avg) if avg is not None else None
        on_time = (n_ok or 0) / n_due if n_due else None
        closed = (n_closed or 0) / n_found if n_found else None
        points = score(stars, on_time, closed, tips.get(aid, 0), gs)
        out.append(
            AgencyFigures(
                aid,
                code,
                name,
                n_ents,
                n_visits,
                n_ratings,
                stars,
                on_time,
                closed,
                tips.get(aid, 0),
                points,
                grade(points, n_ratings, gs),
            )
        )
    return out


def _on_time(session: AsyncSession, due_days: int):
    if session.bind.dialect.name == "sqlite":
        return func.julianday(ServiceReport.submitted_on) - func.julianday(Visit.date) <= due_days
    return ServiceReport.submitted_on - Visit.date <= due_days


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def staff_figures(
    session: AsyncSession, agency_id: int, prefixes: list[str], period: Period, today: date
) -> list[tuple[str, int, float | None]]:
    """(staff name, visits, average stars) of one agency in the half year."""
    rows = await session.execute(
        select(func.coalesce(Staff.name, ""), func.count(func.distinct(Visit.id)), func.avg(Rating.stars))
        .select_from(Visit)
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .outerjoin(Staff, Staff.id == Visit.staff_id)
        .outerjoin(Rating, Rating.visit_id == Visit.id)
        .where(
            Visit.agency_id == agency_id,
            in_jurisdiction(prefixes),
            Visit.date.between(period.start, min(period.end, today)),
        )
        .group_by(Staff.name)
        .order_by(func.count(func.distinct(Visit.id)).desc())
    )
    return [(name, int(n), float(avg) if avg is not None else None) for name, n, avg in rows]


async def publish_grades(
    session: AsyncSession, period: Period, today: date, due_days: int, gs: GradeSettings
) -> list[AgencyFigures]:
    """Store the half year's grades once; a grade already published is never recomputed."""
    done = set(
        (await session.scalars(select(AgencyGrade.agency_id).where(AgencyGrade.period == period.label))).all()
    )
    figures = [
        f for f in await agency_figures(session, [""], period, today, due_days, gs) if f.agency_id not in done
    ]
    session.add_all(
        AgencyGrade(
            agency_id=f.agency_id,
            period=period.label,
            score=f.score,
            grade=f.grade or "",
            figures=json.dumps(asdict(f), ensure_ascii=False),
        )
        for f in figures
    )
    await session.flush()
    return figures


async def published(session: AsyncSession, period: Period) -> dict[int, AgencyGrade]:
    rows = await session.scalars(select(AgencyGrade).where(AgencyGrade.period == period.label))
    return {g.agency_id: g for g in rows}
