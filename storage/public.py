"""What the public site shows beyond one enterprise's status: published agency grades and the
agency directory (seed 002: 及时公开机构清单和信用评级结果). Only published grades appear here,
never live scores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agency, AgencyGrade, Contract, Rating, Staff, Visit


@dataclass
class PublishedGrade:
    period: str
    grade: str  # empty: not graded


async def latest_grades(session: AsyncSession, agency_ids: list[int]) -> dict[int, PublishedGrade]:
    """Each agency's most recently published half-year grade."""
    if not agency_ids:
        return {}
    newest = (
        select(AgencyGrade.agency_id, func.max(AgencyGrade.period).label("period"))
        .where(AgencyGrade.agency_id.in_(agency_ids))
        .group_by(AgencyGrade.agency_id)
        .subquery()
    )
    rows = await session.execute(
        select(AgencyGrade.agency_id, AgencyGrade.period, AgencyGrade.grade).join(
            newest, (newest.c.agency_id == AgencyGrade.agency_id) & (newest.c.period == AgencyGrade.period)
        )
    )
    return {aid: PublishedGrade(period, grade) for aid, period, grade in rows}


async def agency_ids_by_code(session: AsyncSession, codes: list[str]) -> dict[str, int]:
    if not codes:
        return {}
    return dict((await session.execute(select(Agency.code, Agency.id).where(Agency.code.in_(codes)))).all())


@dataclass
class DirectoryRow:
    code: str
    name: str
    grade: PublishedGrade | None
    ratings: int  # this year
    stars: float | None  # average this year
    enterprises: int  # served under a contract active today
    staff: int


async def agency_directory(session: AsyncSession, today: date) -> list[DirectoryRow]:
    start = date(today.year, 1, 1)
    ratings = {
        aid: (int(n), float(avg) if avg is not None else None)
        for aid, n, avg in await session.execute(
            select(Visit.agency_id, func.count(Rating.id), func.avg(Rating.stars))
            .join(Visit, Visit.id == Rating.visit_id)
            .where(Visit.date.between(start, today))
            .group_by(Visit.agency_id)
        )
    }
    served = dict(
        (
            await session.execute(
                select(Contract.agency_id, func.count(func.distinct(Contract.enterprise_id)))
                .where(Contract.start_date <= today, Contract.end_date >= today)
                .group_by(Contract.agency_id)
            )
        ).all()
    )
    staff = dict(
        (await session.execute(select(Staff.agency_id, func.count()).group_by(Staff.agency_id))).all()
    )
    agencies = (
        await session.execute(select(Agency.id, Agency.code, Agency.name).order_by(Agency.code))
    ).all()
    grades = await latest_grades(session, [a.id for a in agencies])
    return [
        DirectoryRow(
            code,
            name,
            grades.get(aid),
            *ratings.get(aid, (0, None)),
            int(served.get(aid, 0)),
            int(staff.get(aid, 0)),
        )
        for aid, code, name in agencies
    ]
