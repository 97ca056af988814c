"""One outbox sender per process: the scheduled job and the "send now" kick after a change
share a lock, so they never claim rows at the same time."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifications.outbox import send_due

log = logging.getLogger(__name__)


class Sender:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()

    async def flush(self, bot: Bot) -> int:
        """Send everything due now; returns how many messages went out."""
        total = 0
        async with self._lock:
            while sent := await send_due(bot, self.sessions):
                total += sent
        return total

    def kick(self, bot: Bot) -> None:
        """Send soon, without making the user wait for it."""
        task = asyncio.create_task(self._quiet_flush(bot))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _quiet_flush(self, bot: Bot) -> None:
        try:
            await self.flush(bot)
        except Exception:
            log.exception("outbox flush failed; the scheduled job will retry")

    async def close(self) -> None:
        for task in list(self._tasks):
            await task
