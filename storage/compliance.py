"""Every enterprise's colour and N/M as of a day, from three grouped queries and the one domain
decision (`domain.compliance.decide`): one enterprise's status and a county's digest count
the same way. A whole jurisdiction is decided in chunks of enterprises, so memory stays bounded
whatever the county's size. Also the SQL form of "open" and "overdue for the owner" as of a day."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.compliance import Compliance, HazardCounts, Thresholds, decide
from domain.enums import EvidenceStatus, HazardLevel, HazardSource, HazardStatus
from domain.indicators import Indicator
from storage.chunks import CHUNK, enterprise_chunks
from storage.models import Enterprise, EvidenceSubmission, Hazard, IndicatorRecord


def open_at(day: date):
    """Found by `day` and not closed by then."""
    return and_(Hazard.found_on <= day, or_(Hazard.closed_on.is_(None), Hazard.closed_on > day))


def awaiting_check(day: date):
    """Rectification submitted by the deadline (and by `day`), waiting for the agency's check.
    An imported `submitted` hazard without a day is given the benefit of the doubt."""
    return or_(
        and_(Hazard.status == HazardStatus.submitted, Hazard.submitted_on.is_(None)),
        and_(
            Hazard.submitted_on.is_not(None),
            Hazard.submitted_on <= Hazard.deadline,
            Hazard.submitted_on <= day,
        ),
    )


def overdue_at(day: date):
    """Open on `day`, past its deadline, and not waiting for the agency's check."""
    return and_(open_at(day), Hazard.deadline < day, not_(awaiting_check(day)))


@dataclass
class Decision:
    enterprise_id: int
    compliance: Compliance
    hazards: HazardCounts


async def decisions(
    session: AsyncSession,
    where,
    day: date,
    catalogue: tuple[Indicator, ...],
    th: Thresholds,
) -> dict[int, Decision]:
    """`where` selects enterprises (a clause on Enterprise)."""
    ents = (
        await session.execute(select(Enterprise.id, Enterprise.tags, Enterprise.industry).where(where))
    ).all()
    records: dict[int, dict[str, tuple[date, date | None]]] = {}
    for eid, code, fulfilled, expires in await session.execute(
        select(
            IndicatorRecord.enterprise_id,
            IndicatorRecord.indicator,
            IndicatorRecord.fulfilled_on,
            IndicatorRecord.expires_on,
        )
        .join(Enterprise, Enterprise.id == IndicatorRecord.enterprise_id)
        .where(where, IndicatorRecord.fulfilled_on <= day)
    ):
        records.setdefault(eid, {})[code] = (fulfilled, expires)
    counts = {}
    for row in await session.execute(
        select(Hazard.enterprise_id, *hazard_figures(day))
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .where(where, open_at(day))
        .group_by(Hazard.enterprise_id)
    ):
        counts[row[0]] = row[1:]
    pending: dict[int, set[str]] = {}
    for eid, code in await session.execute(
        select(EvidenceSubmission.enterprise_id, EvidenceSubmission.indicator)
        .join(Enterprise, Enterprise.id == EvidenceSubmission.enterprise_id)
        .where(where, EvidenceSubmission.status == EvidenceStatus.submitted)
    ):
        pending.setdefault(eid, set()).add(code)
    return {
        eid: decision(
            eid,
            tags,
            industry,
            records.get(eid, {}),
            counts.get(eid, ()),
            pending.get(eid, ()),
            day,
            catalogue,
            th,
        )
        for eid, tags, industry in ents
    }


def hazard_figures(day: date) -> tuple:
    """Aggregates over an enterprise's open hazards, in the order `decision` reads them."""
    overdue = overdue_at(day)
    major = Hazard.level == HazardLevel.major
    gov = Hazard.source == HazardSource.regulator
    return (
        func.count(),
        func.sum(case((overdue, 1), else_=0)),
        func.sum(case((major, 1), else_=0)),
        func.sum(case((and_(major, overdue), 1), else_=0)),
        func.sum(case((and_(gov, overdue), 1), else_=0)),
        func.sum(case((and_(gov, major), 1), else_=0)),
    )


def decision(
    eid: int,
    tags: str,
    industry: str,
    records: dict[str, tuple[date, date | None]],
    figures,
    pending,
    day: date,
    catalogue: tuple[Indicator, ...],
    th: Thresholds,
) -> Decision:
    """One enterprise's decision from its rows: the digest's and the status's alike.
    `figures`: the values of `hazard_figures` (empty or NULLs when it has no open hazard)."""
    counts = [int(v or 0) for v in figures] or [0] * 6
    h = HazardCounts(*counts[:4])
    # The hazards the veto counts when it is restricted to government findings.
    veto_h = HazardCounts(overdue=counts[4], open_major=counts[5]) if th.veto_government_only else None
    c = decide(catalogue, tags, industry, records, h, day, th, pending, veto_h)
    return Decision(eid, c, h)


async def stream_decisions(
    session: AsyncSession,
    where,
    day: date,
    catalogue: tuple[Indicator, ...],
    th: Thresholds,
    chunk: int = CHUNK,
) -> AsyncIterator[Decision]:
    """Every selected enterprise's decision, by ascending id, `chunk` enterprises at a time."""
    async for part in enterprise_chunks(session, where, chunk):
        found = await decisions(session, part, day, catalogue, th)
        for eid in sorted(found):
            yield found[eid]
