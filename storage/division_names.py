"""Names of townships and counties (the `divisions` import), shown instead of their codes."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Division


async def names(session: AsyncSession, codes: Iterable[str]) -> dict[str, str]:
    """Code → name for the codes that have one."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await session.execute(select(Division.code, Division.name).where(Division.code.in_(wanted)))
    return dict(rows.all())


def label(code: str, known: dict[str, str]) -> str:
    """ "name (code)" when the name is known, else the code."""
    return f"{known[code]} ({code})" if code in known else code
