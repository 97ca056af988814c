"""What one enterprise's status is built from: a handful of indexed, aggregate queries whose
cost does not grow with the size of the county."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import uscc
from domain.compliance import Compliance, HazardCounts, Thresholds
from domain.divisions import prefix_range
from domain.enums import HazardStatus
from domain.indicators import Indicator
from storage.compliance import decisions
from storage.evidence import latest_rejections
from storage.models import Agency, Contract, Enterprise, Hazard, Rating, Tip, Visit

UNCLOSED = (HazardStatus.open, HazardStatus.submitted)
SEARCH_LIMIT = 10


@dataclass
class Profile:
    enterprise: Enterprise
    compliance: Compliance
    hazards: HazardCounts
    next_deadlines: list[tuple[str, str, date]]  # description, level, deadline
    contracts: list[tuple[str, str, str, date, date]]  # agency name, agency code, kind, start, end
    last_visit: date | None
    recent_visits: list[tuple[date, str, str]] = field(default_factory=list)  # date, kind, agency
    ratings: tuple[int, float | None] = (0, None)
    tips: int = 0
    rejected: dict[str, str] = field(default_factory=dict)  # indicator code → review's reason


async def build_profile(
    session: AsyncSession,
    enterprise: Enterprise,
    today: date,
    catalogue: tuple[Indicator, ...],
    thresholds: Thresholds,
    detailed: bool = False,
) -> Profile:
    eid = enterprise.id
    decision = (await decisions(session, Enterprise.id == eid, today, catalogue, thresholds))[eid]
    deadlines = (
        await session.execute(
            select(Hazard.description, Hazard.level, Hazard.deadline)
            .where(Hazard.enterprise_id == eid, Hazard.status.in_(UNCLOSED))
            .order_by(Hazard.deadline, Hazard.id)
            .limit(3)
        )
    ).all()
    contracts = (
        await session.execute(
            select(Agency.name, Agency.code, Contract.kind, Contract.start_date, Contract.end_date)
            .join(Agency, Agency.id == Contract.agency_id)
            .where(Contract.enterprise_id == eid, Contract.end_date >= today, Contract.start_date <= today)
            .order_by(Contract.end_date)
        )
    ).all()
    last_visit = await session.scalar(select(func.max(Visit.date)).where(Visit.enterprise_id == eid))
    profile = Profile(
        enterprise=enterprise,
        compliance=decision.compliance,
        hazards=decision.hazards,
        next_deadlines=[tuple(r) for r in deadlines],
        contracts=[tuple(r) for r in contracts],
        last_visit=last_visit,
        rejected=await latest_rejections(session, eid),
    )
    if detailed:
        visits = await session.execute(
            select(Visit.date, Visit.kind, Agency.name)
            .join(Agency, Agency.id == Visit.agency_id)
            .where(Visit.enterprise_id == eid)
            .order_by(Visit.date.desc(), Visit.id.desc())
            .limit(5)
        )
        profile.recent_visits = [tuple(r) for r in visits]
        count, avg = (
            await session.execute(
                select(func.count(Rating.id), func.avg(Rating.stars))
                .join(Visit, Visit.id == Rating.visit_id)
                .where(Visit.enterprise_id == eid)
            )
        ).one()
        profile.ratings = (int(count), float(avg) if avg is not None else None)
        profile.tips = int(
            await session.scalar(select(func.count(Tip.id)).where(Tip.enterprise_id == eid)) or 0
        )
    return profile


async def enterprises_by_ids(session: AsyncSession, ids: list[int]) -> list[Enterprise]:
    if not ids:
        return []
    return list(
        (
            await session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)).order_by(Enterprise.name))
        ).all()
    )


async def by_public_code(session: AsyncSession, code: str) -> Enterprise | None:
    return await session.scalar(select(Enterprise).where(Enterprise.public_code == code))


def in_jurisdiction(prefixes: list[str]):
    """A WHERE clause: the enterprise's division starts with one of the prefixes."""
    ranges = [prefix_range(p) for p in prefixes]
    return or_(*(and_(Enterprise.division >= lo, Enterprise.division < hi) for lo, hi in ranges))


@dataclass
class Search:
    found: list[Enterprise]
    more: bool = False


async def search(session: AsyncSession, prefixes: list[str], query: str) -> Search:
    """By USCC (exact) or by part of the name, within the regulator's jurisdiction. An
    enterprise outside it is not found, exactly as one that does not exist."""
    query = query.strip()
    if uscc.is_valid(query):
        code = uscc.normalise(query)
        ent = await session.scalar(
            select(Enterprise).where(Enterprise.uscc == code, in_jurisdiction(prefixes))
        )
        return Search([ent] if ent is not None else [])
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = (
        await session.scalars(
            select(Enterprise)
            .where(Enterprise.name.like(pattern, escape="\\"), in_jurisdiction(prefixes))
            .order_by(Enterprise.name)
            .limit(SEARCH_LIMIT + 1)
        )
    ).all()
    return Search(list(rows[:SEARCH_LIMIT]), more=len(rows) > SEARCH_LIMIT)
