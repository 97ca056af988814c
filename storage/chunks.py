"""A jurisdiction's enterprises a bounded number at a time: each chunk is a range of ids (not a
list), so the queries stay small and the memory flat whatever the county's size."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Enterprise

CHUNK = 2000  # enterprises at a time: a few MB of their records


async def enterprise_chunks(session: AsyncSession, where, chunk: int = CHUNK) -> AsyncIterator:
    """WHERE clauses, each selecting the next `chunk` enterprises of `where` by ascending id."""
    after = 0
    while True:
        upto = await session.scalar(
            select(Enterprise.id)
            .where(where, Enterprise.id > after)
            .order_by(Enterprise.id)
            .offset(chunk - 1)
            .limit(1)
        )
        if upto is None:
            yield and_(where, Enterprise.id > after)
            return
        yield and_(where, Enterprise.id > after, Enterprise.id <= upto)
        after = upto
