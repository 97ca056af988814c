"""Seed 003's headline figures for a jurisdiction (企业主体落实率, 培训率, 应急演练完成率,
检查次数, reviews waiting) and the yearly enforcement list (seed 000: enterprises that neither
inspect themselves nor engage an agency are 「列入年度执法范围」). Counted per area; the
responsibility and indicator figures through each enterprise's one decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.compliance import IndicatorState, Thresholds, add_months
from domain.enums import EvidenceStatus
from domain.indicators import Indicator
from storage.compliance import stream_decisions
from storage.models import Contract, Enterprise, EvidenceSubmission, IndicatorRecord, Inspection
from storage.regulator import in_jurisdiction


@dataclass
class Headline:
    enterprises: int = 0
    responsible: int = 0  # no veto: no overdue hazard, no open major hazard
    trained: int = 0
    drilled: int = 0
    reviews_waiting: int = 0
    inspections: list[tuple[str, int, int]] = field(default_factory=list)  # township, week, year

    def share(self, n: int) -> float:
        return n / self.enterprises if self.enterprises else 0.0


async def headline(
    session: AsyncSession,
    prefixes: list[str],
    today: date,
    week_start: date,
    th: Thresholds,
    catalogue: tuple[Indicator, ...],
    training: str,
    drill: str,
) -> Headline:
    """`training` and `drill` are the catalogue codes of those indicators. Responsibility and
    the two indicators come from each enterprise's one decision, exactly as its status shows."""
    area = in_jurisdiction(prefixes)

    h = Headline()
    valid = (IndicatorState.fulfilled, IndicatorState.expiring)
    async for d in stream_decisions(session, area, today, catalogue, th):
        c = d.compliance
        h.enterprises += 1
        h.responsible += c.responsibility_fulfilled
        h.trained += c.indicators.get(training) in valid
        h.drilled += c.indicators.get(drill) in valid
    h.reviews_waiting = int(
        await session.scalar(
            select(func.count())
            .select_from(EvidenceSubmission)
            .join(Enterprise, Enterprise.id == EvidenceSubmission.enterprise_id)
            .where(area, EvidenceSubmission.status == EvidenceStatus.submitted)
        )
        or 0
    )
    in_week = func.sum(case((Inspection.date >= week_start, 1), else_=0))
    rows = await session.execute(
        select(Enterprise.division, func.coalesce(in_week, 0), func.count())
        .join(Inspection, Inspection.enterprise_id == Enterprise.id)
        .where(area, Inspection.date >= date(today.year, 1, 1), Inspection.date <= today)
        .group_by(Enterprise.division)
        .order_by(Enterprise.division)
    )
    h.inspections = [(d, int(w), int(y)) for d, w, y in rows]
    return h


async def enforcement_list(
    session: AsyncSession, prefixes: list[str], today: date, months: int
) -> list[tuple]:
    """(division, USCC, name, industry) of enterprises with no service contract, no accepted
    evidence (nor imported indicator record) and no government inspection in the last
    `months` months, by township."""
    since = add_months(today, -months)
    since_at = datetime(since.year, since.month, since.day, tzinfo=UTC)
    rows = await session.execute(
        select(Enterprise.division, Enterprise.uscc, Enterprise.name, Enterprise.industry)
        .where(
            in_jurisdiction(prefixes),
            ~exists().where(
                Contract.enterprise_id == Enterprise.id,
                Contract.end_date >= since,
                Contract.start_date <= today,
            ),
            ~exists().where(
                EvidenceSubmission.enterprise_id == Enterprise.id,
                EvidenceSubmission.status == EvidenceStatus.accepted,
                EvidenceSubmission.reviewed_at >= since_at,
            ),
            ~exists().where(
                IndicatorRecord.enterprise_id == Enterprise.id, IndicatorRecord.fulfilled_on >= since
            ),
            ~exists().where(Inspection.enterprise_id == Enterprise.id, Inspection.date >= since),
        )
        .order_by(Enterprise.division, Enterprise.name)
    )
    return [tuple(r) for r in rows]
