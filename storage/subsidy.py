"""The year's subsidy lines of a county, stored so that the approval path of seed 000 can run on
them: township check (初审), county review (审核), finance (审定), published (公示). Lines are
computed afresh until the first step is taken on any of the county's lines; from then on
they are what the regulators signed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain import subsidy as rules
from domain.divisions import prefix_range
from domain.enums import ContractKind, VisitKind
from storage.models import Agency, AgencyGrade, Contract, Enterprise, SubsidyLine, Visit


class Status(StrEnum):
    computed = "computed"
    confirmed = "confirmed"  # township check passed
    flagged = "flagged"  # township check found a problem (with a reason): not paid
    reviewed = "reviewed"  # county review
    approved = "approved"  # finance
    published = "published"


# Each county step: the status it takes lines from, the one it gives, and its who/when columns.
STEPS = {
    "review": (Status.confirmed, Status.reviewed, "reviewed"),
    "approve": (Status.reviewed, Status.approved, "approved"),
    "publish": (Status.approved, Status.published, "published"),
}
# Visits that count as the month's check for the monthly subsidy.
CHECKS = (VisitKind.comprehensive, VisitKind.monthly)


def _within(prefix: str, column=SubsidyLine.division):
    lo, hi = prefix_range(prefix)
    return (column >= lo) & (column < hi)


async def counties(session: AsyncSession, prefixes: list[str]) -> list[str]:
    """The 6-digit counties a jurisdiction touches (a township's own county too)."""
    out: set[str] = set()
    for p in prefixes:
        if len(p) >= 6:
            out.add(p[:6])
            continue
        rows = await session.scalars(
            select(func.distinct(func.substr(Enterprise.division, 1, 6))).where(
                _within(p, Enterprise.division)
            )
        )
        out.update(rows)
    return sorted(out)


async def _frozen(session: AsyncSession, county: str, year: int) -> bool:
    return bool(
        await session.scalar(
            select(func.count())
            .select_from(SubsidyLine)
            .where(SubsidyLine.year == year, _within(county), SubsidyLine.status != Status.computed)
        )
    )


async def prepare(
    session: AsyncSession, county: str, year: int, today: date, s: rules.SubsidySettings
) -> None:
    """(Re)compute the county's lines of the year unless its approval path has begun."""
    if await _frozen(session, county, year):
        return
    start, end = date(year, 1, 1), date(year, 12, 31)
    area = _within(county, Enterprise.division)
    ents = {
        eid: (size, division)
        for eid, size, division in await session.execute(
            select(Enterprise.id, Enterprise.size, Enterprise.division).where(area)
        )
    }
    inspections: dict[int, list] = defaultdict(list)
    for eid, day, aid in await session.execute(
        select(Visit.enterprise_id, Visit.date, Visit.agency_id)
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .where(area, Visit.kind == VisitKind.comprehensive, Visit.date.between(start, end))
    ):
        inspections[eid].append((day, aid))
    checked: dict[tuple[int, int], set[int]] = defaultdict(set)
    for eid, aid, day in await session.execute(
        select(Visit.enterprise_id, Visit.agency_id, Visit.date)
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .where(area, Visit.kind.in_(CHECKS), Visit.date.between(start, end))
    ):
        checked[eid, aid].add(day.month)
    contracts: dict[int, list] = defaultdict(list)
    for eid, aid, c_start, c_end in await session.execute(
        select(Contract.enterprise_id, Contract.agency_id, Contract.start_date, Contract.end_date)
        .join(Enterprise, Enterprise.id == Contract.enterprise_id)
        .where(
            area,
            Contract.kind == ContractKind.monthly,
            Contract.start_date <= end,
            Contract.end_date >= start,
        )
    ):
        contracts[eid].append((aid, c_start, c_end, frozenset(checked[eid, aid])))
    agency_ids = {a for v in inspections.values() for _, a in v} | {
        c[0] for v in contracts.values() for c in v
    }
    agencies = await _agencies(session, agency_ids, year)
    enterprises = [
        rules.Enterprise(eid, ents[eid][0], tuple(inspections[eid]), tuple(contracts[eid]))
        for eid in sorted(set(inspections) | set(contracts))
    ]
    lines, totals = rules.compute(enterprises, agencies, year, today, s)
    # Upsert by natural key, so lines keep their ids (the township check refers to them).
    existing = {
        (eid, aid, item): lid
        for lid, eid, aid, item in await session.execute(
            select(SubsidyLine.id, SubsidyLine.enterprise_id, SubsidyLine.agency_id, SubsidyLine.item).where(
                SubsidyLine.year == year, _within(county)
            )
        )
    }
    rows = [
        {
            "year": year,
            "division": ents[ln.enterprise][1],
            "enterprise_id": ln.enterprise,
            "agency_id": ln.agency,
            "item": ln.item.value,
            "amount": ln.amount,
            "reason": ln.reason.value if ln.reason else "",
            "months_done": ln.months_done,
            "months_due": ln.months_due,
            "rate": totals[ln.agency].rate if ln.agency in totals else 0.0,
            "cut": totals[ln.agency].reduction if ln.agency in totals else 0.0,
            "status": Status.computed.value,
            "flag_note": "",
        }
        for ln in lines
    ]
    fresh, changed = [], []
    for row in rows:
        lid = existing.pop((row["enterprise_id"], row["agency_id"], row["item"]), None)
        (fresh if lid is None else changed).append(row if lid is None else {"id": lid, **row})
    if existing:
        await session.execute(delete(SubsidyLine).where(SubsidyLine.id.in_(list(existing.values()))))
    for i in range(0, len(changed), 2000):
        await session.execute(update(SubsidyLine), changed[i : i + 2000])
    for i in range(0, len(fresh), 2000):
        await session.execute(insert(SubsidyLine), fresh[i : i + 2000])
    await session.flush()


async def _agencies(session: AsyncSession, ids: set[int], year: int) -> dict[int, rules.Agency]:
    """Pool membership and the latest grade published for a half year up to the year's end."""
    latest: dict[int, str] = {}
    for aid, letter in await session.execute(
        select(AgencyGrade.agency_id, AgencyGrade.grade)
        .where(AgencyGrade.agency_id.in_(ids), AgencyGrade.period <= f"{year}H2")
        .order_by(AgencyGrade.period)
    ):
        latest[aid] = letter
    return {
        aid: rules.Agency(aid, until, latest.get(aid) or None)
        for aid, until in await session.execute(
            select(Agency.id, Agency.in_pool_until).where(Agency.id.in_(ids))
        )
    }


@dataclass
class LineView:
    id: int
    division: str
    enterprise: str
    uscc: str
    agency_code: str
    agency: str
    item: str
    amount: float
    reason: str
    months_done: int
    months_due: int
    status: str
    flag_note: str
    line: SubsidyLine


async def lines(session: AsyncSession, prefixes: list[str], year: int) -> list[LineView]:
    where = [SubsidyLine.year == year]
    clause = None
    for p in prefixes:
        clause = _within(p) if clause is None else clause | _within(p)
    where.append(clause)
    rows = await session.execute(
        select(SubsidyLine, Enterprise.name, Enterprise.uscc, Agency.code, Agency.name)
        .join(Enterprise, Enterprise.id == SubsidyLine.enterprise_id)
        .join(Agency, Agency.id == SubsidyLine.agency_id)
        .where(*where)
        .order_by(SubsidyLine.division, Enterprise.name, SubsidyLine.item, Agency.code)
    )
    return [
        LineView(
            ln.id,
            ln.division,
            name,
            uscc,
            code,
            agency,
            ln.item,
            ln.amount,
            ln.reason,
            ln.months_done,
            ln.months_due,
            ln.status,
            ln.flag_note,
            ln,
        )
        for ln, name, uscc, code, agency in rows
    ]


@dataclass
class AgencySummary:
    code: str
    name: str
    inspected: int  # inspection subsidies credited
    monthly: int  # monthly subsidies earned
    rate: float
    cut: float
    amount: float
    reasons: set[str]


def summarise(views: list[LineView]) -> list[AgencySummary]:
    """Per agency: what it is paid, and why some lines are not (flagged lines are not paid)."""
    out: dict[str, AgencySummary] = {}
    for v in views:
        a = out.setdefault(
            v.agency_code, AgencySummary(v.agency_code, v.agency, 0, 0, v.line.rate, v.line.cut, 0.0, set())
        )
        if v.status == Status.flagged:
            a.reasons.add("flagged")
        elif v.reason:
            a.reasons.add(v.reason)
        elif v.amount:
            a.amount += v.amount
            if v.item == rules.Item.comprehensive:
                a.inspected += 1
            else:
                a.monthly += 1
    return sorted(out.values(), key=lambda a: a.code)


def stage(views: list[LineView]) -> str:
    """The step the lines wait for: check, review, approve, publish, or done."""
    statuses = {v.status for v in views}
    if Status.computed in statuses:
        return "check"
    for step, (source, _target, _column) in STEPS.items():
        if source in statuses:
            return step
    return "done"


async def confirm(session: AsyncSession, prefix: str, year: int, actor: int, now: datetime) -> int:
    """Township check: every line not yet checked in the township is confirmed."""
    result = await session.execute(
        update(SubsidyLine)
        .where(SubsidyLine.year == year, _within(prefix), SubsidyLine.status == Status.computed)
        .values(status=Status.confirmed, checked_by=actor, checked_at=now)
    )
    return result.rowcount or 0


async def flag(
    session: AsyncSession, prefixes: list[str], line_id: int, note: str, actor: int, now: datetime
) -> SubsidyLine | None:
    """Township check: one line flagged with its reason, before the county's review."""
    line = await session.get(SubsidyLine, line_id)
    if line is None or not any(line.division.startswith(p) for p in prefixes):
        return None
    if line.status not in (Status.computed, Status.confirmed):
        return None
    await session.execute(
        update(SubsidyLine)
        .where(SubsidyLine.id == line_id)
        .values(status=Status.flagged, flag_note=note, checked_by=actor, checked_at=now)
    )
    return line


async def advance(session: AsyncSession, county: str, year: int, step: str, actor: int, now: datetime) -> int:
    """A county step over all the county's lines; refused (0) while a township has not checked."""
    source, target, column = STEPS[step]
    base = (SubsidyLine.year == year) & _within(county)
    unchecked = await session.scalar(
        select(func.count()).select_from(SubsidyLine).where(base, SubsidyLine.status == Status.computed)
    )
    if unchecked:
        return 0
    result = await session.execute(
        update(SubsidyLine)
        .where(base, SubsidyLine.status == source)
        .values({"status": target, f"{column}_by": actor, f"{column}_at": now})
    )
    return result.rowcount or 0


@dataclass
class PublishedLine:
    division: str
    enterprise: str
    uscc: str
    agency_code: str
    agency: str
    item: str
    amount: float
    published_at: datetime


async def published_subsidy(session: AsyncSession, year: int) -> list[PublishedLine]:
    """The published (公示) lines of the year with an amount, for the public list."""
    rows = await session.execute(
        select(
            SubsidyLine.division,
            Enterprise.name,
            Enterprise.uscc,
            Agency.code,
            Agency.name,
            SubsidyLine.item,
            SubsidyLine.amount,
            SubsidyLine.published_at,
        )
        .join(Enterprise, Enterprise.id == SubsidyLine.enterprise_id)
        .join(Agency, Agency.id == SubsidyLine.agency_id)
        .where(SubsidyLine.year == year, SubsidyLine.status == Status.published, SubsidyLine.amount > 0)
        .order_by(SubsidyLine.division, Enterprise.name, SubsidyLine.item)
    )
    return [PublishedLine(*r) for r in rows]
