"""Sending the outbox within Telegram's limits (≤ 30 messages/s overall, ≤ 1/s per chat),
honouring 429 retry_after, retrying 5xx and network errors with backoff, and stopping for
users who blocked the bot (403). One sender per process: the scheduled job and the "send now"
kick after a change share a lock; several processes share the work through leases."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import uuid
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile
from aiolimiter import AsyncLimiter
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import OutboxStatus
from notifications.outbox import claim, next_due, settle
from storage.clock import utcnow
from storage.models import Outbox, User

log = logging.getLogger(__name__)

GLOBAL_RATE = 30  # messages a second, Telegram's broadcast limit
CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
MAX_ATTEMPTS = 8


class Sender:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, lease: float = 60.0, batch: int = 20
    ) -> None:
        self.sessions = sessions
        self.lease = lease
        self.batch = batch
        self.token = uuid.uuid4().hex[:16]
        # One message per 1/30 s and no burst: never more than 30 in any one-second window.
        self._limiter = AsyncLimiter(1, 1.0 / GLOBAL_RATE * 1.01)
        self._chat_last: dict[int, float] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self.stats = {"sent": 0, "retry_after": 0, "failed": 0, "unreachable": 0}

    async def flush(self, bot: Bot, horizon: float = 0.0) -> int:
        """Send every row due now; keep going for rows that come due within `horizon` seconds
        (per-chat spacing, retry_after, leases of dead senders). Returns messages sent."""
        sent = 0
        async with self._lock:
            unreachable = await self._unreachable()
            while True:
                rows = await claim(self.sessions, self.token, self.batch, self.lease)
                if rows:
                    for row in rows:
                        sent += await self._send(bot, row, unreachable)
                    continue
                due = await next_due(self.sessions, self.lease)
                wait = (due - utcnow()).total_seconds() if due else None
                if wait is None or wait > horizon:
                    return sent
                await asyncio.sleep(max(0.0, wait) + 0.01)

    def kick(self, bot: Bot) -> None:
        """Send soon, without making the user wait for it."""
        task = asyncio.create_task(self._quiet_flush(bot))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _quiet_flush(self, bot: Bot) -> None:
        try:
            await self.flush(bot, horizon=2 * CHAT_INTERVAL)
        except Exception:
            log.exception("outbox flush failed; the scheduled job will retry")

    async def close(self) -> None:
        for task in list(self._tasks):
            await task

    async def _unreachable(self) -> set[int]:
        async with self.sessions() as session:
            return set((await session.scalars(select(User.id).where(User.unreachable.is_(True)))).all())

    async def _send(self, bot: Bot, row: Outbox, unreachable: set[int]) -> int:
        now = time.monotonic()
        if row.chat_id in unreachable:
            await settle(self.sessions, row, self.token, status=OutboxStatus.unreachable, error="blocked")
            return 0
        last = self._chat_last.get(row.chat_id)
        if last is not None and now - last < CHAT_INTERVAL:
            # Another message went to this chat less than a second ago: later, not now.
            later = utcnow() + timedelta(seconds=CHAT_INTERVAL - (now - last))
            await settle(
                self.sessions,
                row,
                self.token,
                status=OutboxStatus.pending,
                not_before=later,
                attempts=row.attempts - 1,
            )
            return 0
        if self._paused_until > now:
            await asyncio.sleep(self._paused_until - now)
        payload = json.loads(row.payload)
        async with self._limiter:
            try:
                await _deliver(bot, row.chat_id, payload)
            except TelegramRetryAfter as exc:
                self.stats["retry_after"] += 1
                self._paused_until = time.monotonic() + exc.retry_after
                await settle(
                    self.sessions,
                    row,
                    self.token,
                    status=OutboxStatus.pending,
                    attempts=row.attempts - 1,
                    not_before=utcnow() + timedelta(seconds=exc.retry_after),
                )
                return 0
            except TelegramForbiddenError:
                self.stats["unreachable"] += 1
                unreachable.add(row.chat_id)
                await self._mark_unreachable(row)
                return 0
            except TelegramBadRequest as exc:
                self.stats["failed"] += 1
                await settle(self.sessions, row, self.token, status=OutboxStatus.failed, error=str(exc)[:500])
                return 0
            except (TelegramServerError, TelegramNetworkError, OSError, TimeoutError) as exc:
                retry = row.attempts < MAX_ATTEMPTS
                await settle(
                    self.sessions,
                    row,
                    self.token,
                    status=OutboxStatus.pending if retry else OutboxStatus.failed,
                    not_before=utcnow() + timedelta(seconds=min(300, 2**row.attempts)),
                    error=type(exc).__name__,
                )
                log.warning("outbox row %s: %s, attempt %s", row.id, type(exc).__name__, row.attempts)
                return 0
        self._chat_last[row.chat_id] = time.monotonic()
        if len(self._chat_last) > 10_000:
            cutoff = time.monotonic() - CHAT_INTERVAL
            self._chat_last = {c: t for c, t in self._chat_last.items() if t > cutoff}
        await settle(self.sessions, row, self.token, status=OutboxStatus.sent, sent_at=utcnow(), error="")
        self.stats["sent"] += 1
        return 1

    async def _mark_unreachable(self, row: Outbox) -> None:
        await settle(self.sessions, row, self.token, status=OutboxStatus.unreachable, error="forbidden")
        async with self.sessions() as session:
            await session.execute(update(User).where(User.id == row.chat_id).values(unreachable=True))
            await session.commit()


async def _deliver(bot: Bot, chat_id: int, payload: dict) -> None:
    markup = payload.get("reply_markup")
    if payload.get("attach"):
        file = BufferedInputFile(base64.b64decode(payload["data"]), filename=payload["name"])
        send = bot.send_photo if payload["attach"] == "photo" else bot.send_document
        await send(chat_id, file, caption=payload["text"] or None, reply_markup=markup)
        return
    await bot.send_message(chat_id, payload["text"], reply_markup=markup)
