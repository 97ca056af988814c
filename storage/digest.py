"""Figures of the weekly digest for one jurisdiction and one week, as of that week's end, so
the previous week's figures are computed the same way and the change is meaningful."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.compliance import Colour, Thresholds
from domain.coverage import Coverage, CoverageSettings
from domain.divisions import prefix_range
from domain.enums import HazardLevel, Role, TipStatus
from domain.indicators import Indicator
from domain.lifecycle import LifecycleSettings
from storage.compliance import overdue_at, stream_decisions
from storage.coverage import coverage_by_division, total
from storage.models import (
    Agency,
    Enterprise,
    Hazard,
    Rating,
    RoleGrant,
    ServiceReport,
    Tip,
    User,
    Visit,
)

YEAR = timedelta(days=365)
REPORT_KINDS = LifecycleSettings().report_kinds
COVERAGE = CoverageSettings()


def in_area(prefix: str):
    lo, hi = prefix_range(prefix)
    return and_(Enterprise.division >= lo, Enterprise.division < hi)


@dataclass
class Week:
    start: date  # Monday
    end: date  # Sunday

    @classmethod
    def last_full(cls, today: date) -> Week:
        monday = today - timedelta(days=today.weekday())
        return cls(monday - timedelta(days=7), monday - timedelta(days=1))

    def previous(self) -> Week:
        return Week(self.start - timedelta(days=7), self.end - timedelta(days=7))


@dataclass
class Figures:
    enterprises: int = 0
    coverage: Coverage = field(default_factory=Coverage)
    visits: int = 0
    found: int = 0
    found_major: int = 0
    rectified: int = 0
    overdue: int = 0
    overdue_major: int = 0
    closed_in_year: int = 0
    found_in_year: int = 0
    missing_reports: int = 0
    late_reports: int = 0
    tips_received: int = 0
    tips_open: int = 0
    unreachable: int = 0
    colours: dict[str, int] = field(default_factory=dict)

    @property
    def rectification_rate(self) -> float:
        return self.closed_in_year / self.found_in_year if self.found_in_year else 0.0


async def _count(session: AsyncSession, stmt) -> int:
    return int(await session.scalar(stmt) or 0)


async def figures(
    session: AsyncSession,
    prefix: str,
    week: Week,
    due_days: int,
    catalogue: tuple[Indicator, ...],
    th: Thresholds,
    cs: CoverageSettings = COVERAGE,
    report_kinds: frozenset[str] = REPORT_KINDS,
    colours: dict[str, int] | None = None,
) -> Figures:
    """Counts of the week (visits, found, rectified, late reports, tips received) and standing
    figures as of its last day (coverage, overdue, missing reports, colours). `colours`: the
    distribution when the caller has decided every enterprise already (see `colour_list`)."""
    end, start = week.end, week.start
    area = in_area(prefix)
    ent_ids = select(Enterprise.id).where(area)
    f = Figures()
    f.enterprises = await _count(session, select(func.count()).select_from(Enterprise).where(area))
    f.coverage = total(await coverage_by_division(session, area, end, cs))
    f.visits = await _count(
        session,
        select(func.count())
        .select_from(Visit)
        .where(Visit.enterprise_id.in_(ent_ids), Visit.date.between(start, end)),
    )
    hz = Hazard.enterprise_id.in_(ent_ids)
    f.found = await _count(
        session, select(func.count()).select_from(Hazard).where(hz, Hazard.found_on.between(start, end))
    )
    f.found_major = await _count(
        session,
        select(func.count())
        .select_from(Hazard)
        .where(hz, Hazard.found_on.between(start, end), Hazard.level == HazardLevel.major),
    )
    f.rectified = await _count(
        session, select(func.count()).select_from(Hazard).where(hz, Hazard.closed_on.between(start, end))
    )
    f.overdue = await _count(session, select(func.count()).select_from(Hazard).where(hz, overdue_at(end)))
    f.overdue_major = await _count(
        session,
        select(func.count())
        .select_from(Hazard)
        .where(hz, overdue_at(end), Hazard.level == HazardLevel.major),
    )
    f.found_in_year = await _count(
        session, select(func.count()).select_from(Hazard).where(hz, Hazard.found_on.between(end - YEAR, end))
    )
    f.closed_in_year = await _count(
        session,
        select(func.count())
        .select_from(Hazard)
        .where(hz, Hazard.found_on.between(end - YEAR, end), Hazard.closed_on <= end),
    )
    report = (
        select(ServiceReport.submitted_on)
        .where(ServiceReport.visit_id == Visit.id)
        .correlate(Visit)
        .scalar_subquery()
    )
    due_by_end = Visit.date <= end - timedelta(days=due_days)
    f.missing_reports = await _count(
        session,
        select(func.count())
        .select_from(Visit)
        .where(
            Visit.enterprise_id.in_(ent_ids),
            Visit.kind.in_(report_kinds),
            due_by_end,
            Visit.date > end - YEAR - timedelta(days=due_days),
            or_(report.is_(None), report > end),
        ),
    )
    f.late_reports = await _count(
        session,
        select(func.count())
        .select_from(Visit)
        .join(ServiceReport, ServiceReport.visit_id == Visit.id)
        .where(
            Visit.enterprise_id.in_(ent_ids),
            Visit.kind.in_(report_kinds),
            ServiceReport.submitted_on.between(start, end),
            _late(session, due_days),
        ),
    )
    lo, hi = prefix_range(prefix)
    in_tips = and_(Tip.division >= lo, Tip.division < hi)
    f.tips_received = await _count(
        session,
        select(func.count())
        .select_from(Tip)
        .where(
            in_tips,
            Tip.created_hour >= _midnight(start),
            Tip.created_hour < _midnight(end + timedelta(days=1)),
        ),
    )
    f.tips_open = await _count(
        session,
        select(func.count())
        .select_from(Tip)
        .where(in_tips, Tip.status.in_((TipStatus.new, TipStatus.in_review))),
    )
    f.unreachable = await _count(
        session,
        select(func.count(func.distinct(User.id)))
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            User.unreachable.is_(True), RoleGrant.role == Role.owner, RoleGrant.enterprise_id.in_(ent_ids)
        ),
    )
    f.colours = (
        colours if colours is not None else await colour_distribution(session, prefix, end, catalogue, th)
    )
    return f


def _late(session: AsyncSession, due_days: int):
    """A report submitted more than `due_days` after its visit, on either database."""
    if session.bind.dialect.name == "sqlite":
        return func.julianday(ServiceReport.submitted_on) - func.julianday(Visit.date) > due_days
    return ServiceReport.submitted_on - Visit.date > due_days


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def colour_distribution(
    session: AsyncSession, prefix: str, end: date, catalogue: tuple[Indicator, ...], th: Thresholds
) -> dict[str, int]:
    """How many enterprises of the area have each colour as of `end`: the sum of each one's own
    decision, exactly as its status shows it (decided chunk by chunk: memory stays flat)."""
    counts = {c.value: 0 for c in Colour}
    async for d in stream_decisions(session, in_area(prefix), end, catalogue, th):
        counts[d.compliance.colour] += 1
    return counts


def colour_counts(listed: list[tuple]) -> dict[str, int]:
    """The distribution of a `colour_list`: the same decisions, counted."""
    counts = {c.value: 0 for c in Colour}
    for row in listed:
        counts[row[3]] += 1
    return counts


async def colour_list(
    session: AsyncSession, prefix: str, end: date, catalogue: tuple[Indicator, ...], th: Thresholds
) -> list[tuple]:
    """(name, USCC, division, colour, fulfilled, applicable, veto) of every enterprise as of `end`."""
    found = {
        d.enterprise_id: (
            d.compliance.colour.value,
            d.compliance.fulfilled,
            d.compliance.total,
            bool(d.compliance.veto),
        )
        async for d in stream_decisions(session, in_area(prefix), end, catalogue, th)
    }
    rows = await session.execute(
        select(Enterprise.id, Enterprise.name, Enterprise.uscc, Enterprise.division)
        .where(in_area(prefix))
        .order_by(Enterprise.division, Enterprise.name)
    )
    return [(name, uscc, division, *found[eid]) for eid, name, uscc, division in rows]


@dataclass
class AgencyRow:
    code: str
    name: str
    visits: int
    ratings: int
    stars: float | None
    on_time: float | None


async def agency_table(
    session: AsyncSession, prefix: str, week: Week, due_days: int, report_kinds: frozenset[str] = REPORT_KINDS
) -> list[AgencyRow]:
    """Agencies that served the area: visits in the week, stars and on-time share over 90 days."""
    area = in_area(prefix)
    since = week.end - timedelta(days=90)
    rows = (
        await session.execute(
            select(
                Agency.id,
                Agency.code,
                Agency.name,
                func.sum(case((Visit.date.between(week.start, week.end), 1), else_=0)),
            )
            .join(Visit, Visit.agency_id == Agency.id)
            .join(Enterprise, Enterprise.id == Visit.enterprise_id)
            .where(area, Visit.date.between(since, week.end))
            .group_by(Agency.id, Agency.code, Agency.name)
            .order_by(Agency.code)
        )
    ).all()
    out = []
    for aid, code, name, visits in rows:
        ratings, stars = (
            await session.execute(
                select(func.count(Rating.id), func.avg(Rating.stars))
                .join(Visit, Visit.id == Rating.visit_id)
                .join(Enterprise, Enterprise.id == Visit.enterprise_id)
                .where(area, Visit.agency_id == aid, Visit.date.between(since, week.end))
            )
        ).one()
        due = (
            await session.execute(
                select(
                    func.count(Visit.id),
                    func.sum(
                        case((and_(ServiceReport.id.is_not(None), ~_late(session, due_days)), 1), else_=0)
                    ),
                )
                .outerjoin(ServiceReport, ServiceReport.visit_id == Visit.id)
                .join(Enterprise, Enterprise.id == Visit.enterprise_id)
                .where(
                    area,
                    Visit.agency_id == aid,
                    Visit.kind.in_(report_kinds),
                    Visit.date.between(since - timedelta(days=due_days), week.end - timedelta(days=due_days)),
                )
            )
        ).one()
        out.append(
            AgencyRow(
                code,
                name,
                int(visits or 0),
                int(ratings),
                float(stars) if stars is not None else None,
                (int(due[1] or 0) / due[0]) if due[0] else None,
            )
        )
    return out


async def weekly_series(
    session: AsyncSession, prefix: str, week: Week, weeks: int = 8
) -> list[tuple[date, int, int]]:
    """(week start, found, rectified) for the last `weeks` weeks, oldest first."""
    area = in_area(prefix)
    ent_ids = select(Enterprise.id).where(area)
    series = []
    for back in range(weeks - 1, -1, -1):
        w = Week(week.start - timedelta(days=7 * back), week.end - timedelta(days=7 * back))
        found = await _count(
            session,
            select(func.count())
            .select_from(Hazard)
            .where(Hazard.enterprise_id.in_(ent_ids), Hazard.found_on.between(w.start, w.end)),
        )
        closed = await _count(
            session,
            select(func.count())
            .select_from(Hazard)
            .where(Hazard.enterprise_id.in_(ent_ids), Hazard.closed_on.between(w.start, w.end)),
        )
        series.append((w.start, found, closed))
    return series


async def overdue_list(session: AsyncSession, prefix: str, end: date, limit: int = 5000) -> list[tuple]:
    return list(
        (
            await session.execute(
                select(
                    Enterprise.name,
                    Enterprise.uscc,
                    Enterprise.division,
                    Hazard.description,
                    Hazard.level,
                    Hazard.found_on,
                    Hazard.deadline,
                    Agency.name,
                )
                .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
                .outerjoin(Agency, Agency.id == Hazard.agency_id)
                .where(
                    in_area(prefix),
                    overdue_at(end),
                )
                .order_by((Hazard.level == HazardLevel.major).desc(), Hazard.deadline)
                .limit(limit)
            )
        ).all()
    )


async def missing_report_list(
    session: AsyncSession,
    prefix: str,
    end: date,
    due_days: int,
    report_kinds: frozenset[str] = REPORT_KINDS,
    limit: int = 5000,
) -> list[tuple]:
    return list(
        (
            await session.execute(
                select(Enterprise.name, Enterprise.uscc, Agency.name, Visit.ref, Visit.date, Visit.kind)
                .join(Enterprise, Enterprise.id == Visit.enterprise_id)
                .join(Agency, Agency.id == Visit.agency_id)
                .outerjoin(ServiceReport, ServiceReport.visit_id == Visit.id)
                .where(
                    in_area(prefix),
                    Visit.kind.in_(report_kinds),
                    ServiceReport.id.is_(None),
                    Visit.date <= end - timedelta(days=due_days),
                    Visit.date > end - YEAR - timedelta(days=due_days),
                )
                .order_by(Visit.date)
                .limit(limit)
            )
        ).all()
    )
