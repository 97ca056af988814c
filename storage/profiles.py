"""What one enterprise's status is built from: a handful of indexed, aggregate queries whose
cost does not grow with the size of the county."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain import uscc
from domain.compliance import Compliance, HazardCounts, Thresholds
from domain.divisions import prefix_range
from domain.enums import EvidenceStatus, HazardStatus
from domain.indicators import Indicator
from storage.compliance import decision as decision_of
from storage.compliance import hazard_figures, open_at
from storage.evidence import latest_rejections_query
from storage.models import (
    Agency,
    Contract,
    Enterprise,
    EvidenceSubmission,
    Hazard,
    IndicatorRecord,
    Rating,
    Tip,
    Visit,
)
from storage.users import OWNED

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
    """Two statements, whatever the enterprise has (each one costs a round trip to the
    database thread on every /status): one row of figures, and its lists in one UNION ALL."""
    eid = enterprise.id
    figures_of, lists_of = _statements(detailed)
    params = {"eid": eid, "day": today}
    figures = (await session.execute(figures_of, params)).one()
    lists: dict[str, list] = {kind: [] for kind in _LISTS}
    for kind, *row in await session.execute(lists_of, params):
        lists[kind].append(row)
    records = {code: (fulfilled, expires) for _n, code, _, _, fulfilled, expires in lists["record"]}
    pending = {code for _n, code, *_ in lists["pending"]}
    decision = decision_of(
        eid, enterprise.tags, enterprise.industry, records, figures[:6], pending,
        today, catalogue, thresholds,
    )  # fmt: skip
    profile = Profile(
        enterprise=enterprise,
        compliance=decision.compliance,
        hazards=decision.hazards,
        next_deadlines=[(d, level, dl) for _n, d, level, _, dl, _ in sorted(lists["due"], key=_by_date)],
        contracts=[
            (name, code, kind, start, end)
            for _n, name, code, kind, start, end in sorted(lists["contract"], key=lambda r: (r[5], r[0]))
        ],
        last_visit=figures[6],
        rejected={code: reason for _n, code, reason, *_ in lists["rejected"]},
    )
    if detailed:
        visits = sorted(lists["visit"], key=_by_date, reverse=True)
        profile.recent_visits = [(d, kind, agency) for _n, agency, kind, _, d, _ in visits]
        count, avg, tips = figures[7:]
        profile.ratings = (int(count), float(avg) if avg is not None else None)
        profile.tips = int(tips or 0)
    return profile


def _by_date(row) -> tuple:
    return row[4], row[0]  # d1, then id


@cache
def _statements(detailed: bool) -> tuple:
    """Built once, with the enterprise and the day as parameters: building these statements
    costs more than running them."""
    eid, day = bindparam("eid", type_=Integer), bindparam("day", type_=Date)
    return _figures(eid, day, detailed), _lists(eid, day, detailed)


def _figures(eid, today, detailed: bool):
    """One row: `hazard_figures` over the open hazards, the last visit, and (detailed) the
    ratings and tips. Uncorrelated scalar subqueries beside an aggregate without GROUP BY."""
    columns = [
        *hazard_figures(today),
        select(func.max(Visit.date)).where(Visit.enterprise_id == eid).scalar_subquery(),
    ]
    if detailed:

        def rated(aggregate):
            ratings = select(aggregate).join(Visit, Visit.id == Rating.visit_id)
            return ratings.where(Visit.enterprise_id == eid).scalar_subquery()

        columns += [
            rated(func.count(Rating.id)),
            rated(func.avg(Rating.stars)),
            select(func.count(Tip.id)).where(Tip.enterprise_id == eid).scalar_subquery(),
        ]
    return select(*columns).where(Hazard.enterprise_id == eid, open_at(today))


_LISTS = ("record", "pending", "due", "contract", "rejected", "visit")


def _lists(eid, today, detailed: bool):
    """Every list of the profile as rows of (kind, id, text, text, text, date, date): one
    shape, so one UNION ALL reads them all. Limited lists are subqueries (SQLite allows no
    LIMIT on a member); the order is restored in Python from the dates and ids."""

    def row(kind: str, n, t1=None, t2=None, t3=None, d1=None, d2=None) -> list:
        texts = [cast(t, String) if t is not None else cast(null(), String) for t in (t1, t2, t3)]
        dates = [d if d is not None else cast(null(), Date) for d in (d1, d2)]
        return [literal_column(f"'{kind}'").label("kind"), n, *texts, *dates]

    rec, sub, haz, con = IndicatorRecord, EvidenceSubmission, Hazard, Contract
    due = (
        select(haz.id, haz.description, haz.level, haz.deadline)
        .where(haz.enterprise_id == eid, haz.status.in_(UNCLOSED))
        .order_by(haz.deadline, haz.id)
        .limit(3)
        .subquery()
    )
    rejected = latest_rejections_query(eid).subquery()
    parts = [
        select(*row("record", rec.id, rec.indicator, d1=rec.fulfilled_on, d2=rec.expires_on)).where(
            rec.enterprise_id == eid, rec.fulfilled_on <= today
        ),
        select(*row("pending", sub.id, sub.indicator)).where(
            sub.enterprise_id == eid, sub.status == EvidenceStatus.submitted
        ),
        select(*row("due", due.c.id, due.c.description, due.c.level, d1=due.c.deadline)),
        select(*row("contract", con.id, Agency.name, Agency.code, con.kind, con.start_date, con.end_date))
        .join(Agency, Agency.id == con.agency_id)
        .where(con.enterprise_id == eid, con.end_date >= today, con.start_date <= today),
        select(*row("rejected", rejected.c.id, rejected.c.indicator, rejected.c.reason)),
    ]
    if detailed:
        visits = (
            select(Visit.id, Agency.name, Visit.kind, Visit.date)
            .join(Agency, Agency.id == Visit.agency_id)
            .where(Visit.enterprise_id == eid)
            .order_by(Visit.date.desc(), Visit.id.desc())
            .limit(5)
            .subquery()
        )
        parts.append(select(*row("visit", visits.c.id, visits.c.name, visits.c.kind, d1=visits.c.date)))
    return union_all(*parts)


_BY_IDS = (
    select(Enterprise).where(Enterprise.id.in_(bindparam("ids", expanding=True))).order_by(Enterprise.name)
)


async def enterprises_by_ids(session: AsyncSession, ids: list[int]) -> list[Enterprise]:
    """An owner's enterprises, on every /status and /qr (the statement is built once). One
    enterprise was most often loaded with the owner's grants (`load_user`): no statement."""
    if not ids:
        return []
    if len(ids) == 1 and (known := session.info.get(OWNED, {}).get(ids[0])):
        return [known]
    return list((await session.scalars(_BY_IDS, {"ids": ids})).all())


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
