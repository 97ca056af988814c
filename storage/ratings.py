"""Ratings of visits by the enterprise's owners: one per visit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inspections import PAGE
from storage.models import (
    Agency,
    Enterprise,
    Rating,
    Visit,
)


async def unrated_visits(session: AsyncSession, enterprise_ids: list[int], since: date) -> list[tuple]:
    rows = await session.execute(
        select(Visit, Enterprise.name, Agency.name)
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .join(Agency, Agency.id == Visit.agency_id)
        .outerjoin(Rating, Rating.visit_id == Visit.id)
        .where(Visit.enterprise_id.in_(enterprise_ids), Visit.date >= since, Rating.id.is_(None))
        .order_by(Visit.date.desc(), Visit.id.desc())
        .limit(PAGE)
    )
    return list(rows.all())


async def save_rating(session: AsyncSession, visit_id: int, stars: int, comment: str, user_id: int) -> bool:
    """False when the visit was rated already: one rating per visit."""
    session.add(Rating(visit_id=visit_id, stars=stars, comment=comment, rated_by=user_id))
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return False
    return True


async def comment_rating(session: AsyncSession, visit_id: int, user_id: int, comment: str) -> None:
    """The comment added after the stars, by the person who gave them."""
    await session.execute(
        update(Rating)
        .where(Rating.visit_id == visit_id, Rating.rated_by == user_id, Rating.comment == "")
        .values(comment=comment)
    )


async def is_rated(session: AsyncSession, visit_id: int) -> bool:
    return await session.scalar(select(Rating.id).where(Rating.visit_id == visit_id)) is not None
