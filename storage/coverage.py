"""Coverage per township as of a day (seed 001's measures, `domain.coverage`): the one count
behind /coverage and the digest."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.coverage import Coverage, CoverageSettings, count
from storage.chunks import CHUNK, enterprise_chunks
from storage.models import Contract, Enterprise


def year_before(day: date) -> date:
    return (
        day.replace(year=day.year - 1)
        if not (day.month == 2 and day.day == 29)
        else day - timedelta(days=365)
    )


async def coverage_by_division(
    session: AsyncSession, where, day: date, s: CoverageSettings, chunk: int = CHUNK
) -> dict[str, Coverage]:
    """`where` selects enterprises (a clause on Enterprise); counted a chunk at a time."""
    out: dict[str, Coverage] = defaultdict(Coverage)
    async for part in enterprise_chunks(session, where, chunk):
        ents = (
            await session.execute(
                select(Enterprise.id, Enterprise.division, Enterprise.industry, Enterprise.tags).where(part)
            )
        ).all()

        async def covered_on(when: date, part=part) -> set[int]:
            return set(
                (
                    await session.scalars(
                        select(Contract.enterprise_id)
                        .join(Enterprise, Enterprise.id == Contract.enterprise_id)
                        .where(part, Contract.start_date <= when, Contract.end_date >= when)
                        .distinct()
                    )
                ).all()
            )

        now, before = await covered_on(day), await covered_on(year_before(day))
        groups: dict[str, list] = defaultdict(list)
        for eid, division, industry, tags in ents:
            groups[division].append((eid, industry, tags))
        for division, members in groups.items():
            out[division].add(
                count(
                    [(i, t) for _, i, t in members],
                    [eid in now for eid, _, _ in members],
                    [eid in before for eid, _, _ in members],
                    s,
                )
            )
    return dict(sorted(out.items()))


def total(by_division: dict[str, Coverage]) -> Coverage:
    out = Coverage()
    for c in by_division.values():
        out.add(c)
    return out
