"""Seed 003's headline figures for a jurisdiction (企业主体落实率, 培训率, 应急演练完成率,
检查次数, reviews waiting), counted in SQL per area, and the yearly enforcement list (seed 000:
enterprises that neither inspect themselves nor engage an agency are 「列入年度执法范围」), whose
rule is domain.enforcement's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.compliance import Thresholds
from domain.enforcement import Conduct, listed
from domain.enums import EvidenceStatus, HazardLevel, HazardSource, HazardStatus
from domain.evidence import fulfilled_range
from storage.models import (
    Contract,
    Enterprise,
    EvidenceSubmission,
    Hazard,
    IndicatorRecord,
    Inspection,
    Visit,
)
from storage.regulator import in_jurisdiction

UNCLOSED = (HazardStatus.open, HazardStatus.submitted)


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


def vetoed(today: date, th: Thresholds):
    """EXISTS clause: the enterprise has a hazard that vetoes its responsibility today."""
    cond = [
        Hazard.enterprise_id == Enterprise.id,
        Hazard.status.in_(UNCLOSED),
        or_(Hazard.deadline < today, Hazard.level == HazardLevel.major),
    ]
    if th.veto_government_only:
        cond.append(Hazard.source == HazardSource.regulator)
    return exists().where(*cond)


def valid_indicator(code: str, today: date, validity_months: int | None):
    """EXISTS clause: the indicator is fulfilled and not expired today (own expiry, else the
    catalogue's validity)."""
    no_own_expiry = IndicatorRecord.expires_on.is_(None)
    if validity_months:
        earliest = fulfilled_range(validity_months, today, today + timedelta(days=36500))[0]
        no_own_expiry = and_(no_own_expiry, IndicatorRecord.fulfilled_on >= earliest)
    return exists().where(
        IndicatorRecord.enterprise_id == Enterprise.id,
        IndicatorRecord.indicator == code,
        IndicatorRecord.fulfilled_on <= today,
        or_(IndicatorRecord.expires_on >= today, no_own_expiry),
    )


async def headline(
    session: AsyncSession,
    prefixes: list[str],
    today: date,
    week_start: date,
    th: Thresholds,
    indicators: dict[str, tuple[str, int | None]],
) -> Headline:
    """`indicators` maps "training" and "drill" to (catalogue code, validity months)."""
    area = in_jurisdiction(prefixes)

    async def count(*where) -> int:
        return int(
            await session.scalar(select(func.count()).select_from(Enterprise).where(area, *where)) or 0
        )

    h = Headline(enterprises=await count())
    h.responsible = h.enterprises - await count(vetoed(today, th))
    for attr, (code, months) in (("trained", indicators["training"]), ("drilled", indicators["drill"])):
        setattr(h, attr, await count(valid_indicator(code, today, months)))
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
