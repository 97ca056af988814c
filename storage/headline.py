"""Seed 003's headline figures for a jurisdiction (企业主体落实率, 培训率, 应急演练完成率,
检查次数, reviews waiting) per area, the responsibility and indicator figures through each
enterprise's one decision, and the yearly enforcement list (seed 000: enterprises that neither
inspect themselves nor engage an agency are 「列入年度执法范围」), whose rule is domain.enforcement's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.compliance import IndicatorState, Thresholds
from domain.enforcement import Conduct, listed
from domain.enums import EvidenceStatus
from domain.indicators import Indicator
from storage.compliance import stream_decisions
from storage.models import Contract, Enterprise, EvidenceSubmission, IndicatorRecord, Inspection, Visit
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
    session: AsyncSession, prefixes: list[str], today: date, months: int, self_check: str
) -> list[tuple]:
    """(division, USCC, name, industry) of the jurisdiction's enterprises that neither
    inspected themselves (indicator `self_check`) nor engaged an agency, and were not inspected
    by a regulator, in the last `months` months (domain.enforcement), by township."""

    def latest(column, *where):
        return select(func.max(column)).where(*where).correlate(Enterprise).scalar_subquery()

    rows = await session.execute(
        select(
            Enterprise.division,
            Enterprise.uscc,
            Enterprise.name,
            Enterprise.industry,
            latest(
                IndicatorRecord.fulfilled_on,
                IndicatorRecord.enterprise_id == Enterprise.id,
                IndicatorRecord.indicator == self_check,
                IndicatorRecord.fulfilled_on <= today,
            ),
            latest(Contract.end_date, Contract.enterprise_id == Enterprise.id, Contract.start_date <= today),
            latest(Visit.date, Visit.enterprise_id == Enterprise.id, Visit.date <= today),
            latest(Inspection.date, Inspection.enterprise_id == Enterprise.id, Inspection.date <= today),
        )
        .where(in_jurisdiction(prefixes))
        .order_by(Enterprise.division, Enterprise.name)
    )
    return [tuple(r[:4]) for r in rows if listed(Conduct(*r[4:]), today, months)]
