"""Leases in the database: among several processes, the one holding a named lease does a
job (schedules jobs, or sends the outbox when no shared rate limiter exists)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.clock import utcnow
from storage.models import SchedulerLock

LEASE = timedelta(seconds=90)


async def hold_lease(
    sessions: async_sessionmaker[AsyncSession], owner: str, name: str = "scheduler", lease: timedelta = LEASE
) -> bool:
    """Take or renew the lease; False while another live process holds it."""
    now = utcnow()
    async with sessions() as session:
        renewed = await session.execute(
            update(SchedulerLock)
            .where(
                SchedulerLock.name == name, or_(SchedulerLock.owner == owner, SchedulerLock.expires_at < now)
            )
            .values(owner=owner, expires_at=now + lease)
        )
        if renewed.rowcount == 1:
            await session.commit()
            return True
        session.add(SchedulerLock(name=name, owner=owner, expires_at=now + lease))
        try:
            await session.commit()
        except IntegrityError:
            return False
        return True


async def release_lease(sessions: async_sessionmaker[AsyncSession], owner: str, name: str) -> None:
    """Let another process take over at once (a clean shutdown)."""
    async with sessions() as session:
        await session.execute(
            update(SchedulerLock)
            .where(SchedulerLock.name == name, SchedulerLock.owner == owner)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
