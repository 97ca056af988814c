"""Sending the outbox to Telegram within its limits (see `notifications.pacing`): several sends
in flight at once (bounded), each started in its own slot, so the rate is Telegram's cap and
not one round trip per message. 429 retry_after pauses every send; 5xx and network errors
are retried with backoff; 403 (blocked, or never started the bot) stops sending to that user;
any other 400 fails the notice, logged and counted by kind. A text over Telegram's length
limit goes out in parts cut at paragraphs.

Outcomes are written in batches. A process that dies loses nothing (claimed rows come back
when their lease runs out) and sends again at most the rows it had in flight or not yet
settled: `duplicate_bound` (the README's delivery promise).

With a shared pacer (Redis) every process sends; without one, only the process holding the
"outbox" lease in the database sends and the others just enqueue."""

from __future__ import annotations

import asyncio
import base64
import heapq
import json
import logging
import time
import uuid
from collections import Counter
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
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import OutboxStatus
from notifications.outbox import claim, next_due, settle_many
from notifications.pacing import CHAT_INTERVAL, GLOBAL_RATE, LocalPacer, Pacer, WindowGuard
from notifications.splitting import MAX_CAPTION, split_text
from storage.clock import utcnow
from storage.leases import hold_lease, release_lease
from storage.models import Outbox, User

log = logging.getLogger(__name__)

__all__ = ["CHAT_INTERVAL", "GLOBAL_RATE", "MAX_ATTEMPTS", "Sender"]

MAX_ATTEMPTS = 8
SETTLE_EVERY = 0.5  # seconds an outcome may wait before it is written


class Sender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        lease: float = 60.0,
        in_flight: int = 16,
        settle_batch: int = 32,
        pacer: Pacer | None = None,
        shared: bool = False,
    ) -> None:
        """`shared`: the pacer is shared by every process (Redis), so no database lease is
        needed to send."""
        self.sessions = sessions
        self.lease = lease
        self.in_flight = in_flight
        self.settle_batch = settle_batch
        self.token = uuid.uuid4().hex[:16]
        self.pacer = pacer or LocalPacer(self.token.encode())
        self.guard = WindowGuard()  # this process's sends, across flushes
        self.shared = shared
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self.stats = {"sent": 0, "retry_after": 0, "failed": 0, "unreachable": 0, "split": 0}
        self.refused: Counter[str] = Counter()  # notices Telegram refused (400), by kind

    @property
    def duplicate_bound(self) -> int:
        """Most messages a crash of this process can make Telegram receive twice."""
        return self.in_flight + self.settle_batch

    async def flush(self, bot: Bot, horizon: float = 0.0) -> int:
        """Send every row due now; keep going for rows that come due within `horizon` seconds
        (per-chat spacing, retry_after, leases of dead senders). Returns messages sent."""
        async with self._lock:
            run = _Run(self, bot)
            return await run.go(horizon)

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
        if not self.shared:
            await release_lease(self.sessions, self.token, "outbox")

    async def may_send(self) -> bool:
        return self.shared or await hold_lease(
            self.sessions, self.token, "outbox", timedelta(seconds=self.lease)
        )


class _Run:
    """One flush: a dispatch loop starting sends in their slots, and the outcomes to write."""

    def __init__(self, sender: Sender, bot: Bot) -> None:
        self.s = sender
        self.bot = bot
        self.ready: list[Outbox] = []
        self.later: list[tuple[float, int, Outbox]] = []  # rows back soon, held in memory
        self.tasks: set[asyncio.Task] = set()
        self.slots = asyncio.Semaphore(sender.in_flight)
        self.changes: list[dict] = []
        self.blocked: set[int] = set()
        self.unreachable: set[int] = set()
        self.first_change = 0.0
        self.settling: asyncio.Task | None = None
        self.sent = 0
        self.claim_at = 0.0
        self.claiming: asyncio.Task | None = None
        # Rows wait in memory at most this long (longer waits go back to the database), and
        # no more are claimed than can be sent well within their lease.
        self.hold = 0.0
        self.claim_size = max(1, min(2 * sender.in_flight, int(GLOBAL_RATE * sender.lease / 4)))

    async def go(self, horizon: float) -> int:
        self.hold = min(5.0, self.s.lease / 4, horizon)
        try:
            await self._loop(horizon)
        finally:
            if self.claiming is not None:
                await asyncio.wait({self.claiming})
            if self.tasks:
                await asyncio.gather(*self.tasks, return_exceptions=True)
            for row in [r for _, _, r in self.later] + self.ready:
                self._change(row, OutboxStatus.pending, not_before=utcnow(), attempts=row.attempts - 1)
            await self._settle()
        return self.sent

    async def _loop(self, horizon: float) -> None:
        s = self.s
        if not await self._hold_lease(horizon):
            return
        self.unreachable = await self._known_unreachable()
        renew_at = time.monotonic() + s.lease / 3
        while True:
            now = time.monotonic()
            if now >= renew_at:
                if not await s.may_send():
                    return
                renew_at = now + s.lease / 3
            back = []
            while self.later and self.later[0][0] <= now:
                back.append(heapq.heappop(self.later)[2])
            # Rows back from a wait go first: they were due before the rows claimed since.
            self.ready[:0] = back
            if len(self.ready) < s.in_flight and now >= self.claim_at and self.claiming is None:
                # In the background: slots keep being handed out while the database answers.
                self.claiming = asyncio.create_task(self._claim())
                if not self.ready:
                    await asyncio.wait({self.claiming})
            self._maybe_settle()
            if not self.ready:
                if await self._idle(horizon):
                    continue
                return
            row = self.ready.pop(0)
            if row.chat_id in self.unreachable:
                self._change(row, OutboxStatus.unreachable, error="blocked")
                continue
            await self.slots.acquire()
            ok, wait = await s.pacer.reserve(row.chat_id)
            if not ok:
                self.slots.release()
                self._defer(row, wait)
                continue
            task = asyncio.create_task(self._send(row, wait))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _claim(self) -> None:
        s = self.s
        try:
            rows = await claim(s.sessions, s.token, self.claim_size, s.lease)
            self.ready.extend(rows)
            # Fewer than asked: the due rows are all taken; look again a little later.
            self.claim_at = 0.0 if len(rows) == self.claim_size else time.monotonic() + 0.2
        except Exception:
            log.exception("claiming outbox rows failed; trying again shortly")
            self.claim_at = time.monotonic() + 1.0
        finally:
            self.claiming = None

    async def _idle(self, horizon: float) -> bool:
        """Nothing ready: wait for sends in flight, rows held back, or the next due row.
        False when the flush is done."""
        if self.tasks or self.later:
            timeout = max(0.0, self.later[0][0] - time.monotonic()) if self.later else None
            if self.tasks:
                await asyncio.wait(self.tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            else:
                await asyncio.sleep(timeout or 0)
            return True
        await self._settle()
        due = await next_due(self.s.sessions, self.s.lease)
        wait = (due - utcnow()).total_seconds() if due else None
        if wait is None or wait > horizon:
            return False
        await asyncio.sleep(max(0.0, wait) + 0.01)
        self.claim_at = 0.0
        self.claiming: asyncio.Task | None = None
        return True

    async def _hold_lease(self, horizon: float) -> bool:
        """Without a shared pacer only one process sends: wait up to `horizon` for the lease."""
        give_up = time.monotonic() + horizon
        while not await self.s.may_send():
            if time.monotonic() >= give_up:
                return False
            await asyncio.sleep(min(1.0, max(0.05, give_up - time.monotonic())))
        return True

    async def _known_unreachable(self) -> set[int]:
        async with self.s.sessions() as session:
            return set((await session.scalars(select(User.id).where(User.unreachable.is_(True)))).all())

    # ------------------------------------------------------------ one send

    async def _send(self, row: Outbox, delay: float) -> None:
        s = self.s
        started = time.monotonic() + max(0.0, delay)
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            left = await s.pacer.paused()
            if left > 0:  # a 429 came in after this slot was given
                self._defer(row, left)
                return
            await self._deliver(row)
        except TelegramRetryAfter as exc:
            s.stats["retry_after"] += 1
            await s.pacer.pause(exc.retry_after)
            self._defer(row, exc.retry_after)
        except TelegramForbiddenError:
            s.stats["unreachable"] += 1
            self.unreachable.add(row.chat_id)
            self.blocked.add(row.chat_id)
            self._change(row, OutboxStatus.unreachable, error="forbidden")
        except TelegramBadRequest as exc:
            s.stats["failed"] += 1
            s.refused[row.kind] += 1
            # The kind and Telegram's reason only: the text may hold what nobody should log.
            log.warning("outbox notice of kind %s refused by Telegram: %s", row.kind, exc.message)
            self._change(row, OutboxStatus.failed, error=exc.message[:200])
        except (TelegramServerError, TelegramNetworkError, OSError, TimeoutError) as exc:
            log.warning("outbox row %s: %s, attempt %s", row.id, type(exc).__name__, row.attempts)
            if isinstance(exc, TelegramServerError):
                # Telegram answered that it failed: the retry need not wait the chat's second,
                # which would hold the last rows of a batch back by a second.
                await s.pacer.release(row.chat_id)
            backoff = min(300.0, 0.25 * 2 ** (row.attempts - 1))
            if row.attempts >= MAX_ATTEMPTS:
                self._change(row, OutboxStatus.failed, error=type(exc).__name__)
            elif backoff <= self.hold:  # soon: again from memory, counted as an attempt
                row.attempts += 1
                row.error = type(exc).__name__
                # The backoff runs from the attempt's start: a slow answer has waited part of it.
                heapq.heappush(self.later, (started + backoff, row.id, row))
            else:
                self._change(
                    row,
                    OutboxStatus.pending,
                    not_before=utcnow() + timedelta(seconds=backoff),
                    error=type(exc).__name__,
                )
        except Exception as exc:
            log.exception("outbox row %s of kind %s could not be sent", row.id, row.kind)
            self._change(row, OutboxStatus.failed, error=type(exc).__name__)
        else:
            s.stats["sent"] += 1
            self.sent += 1
            self._change(row, OutboxStatus.sent)
        finally:
            self.slots.release()

    async def _deliver(self, row: Outbox) -> None:
        payload = json.loads(row.payload)
        markup = payload.get("reply_markup")
        if payload.get("attach"):
            caption, *rest = split_text(payload["text"] or "", MAX_CAPTION) or [""]
            file = BufferedInputFile(base64.b64decode(payload["data"]), filename=payload["name"])
            send = self.bot.send_photo if payload["attach"] == "photo" else self.bot.send_document
            await self._call(
                send, row.chat_id, file, caption=caption or None, reply_markup=None if rest else markup
            )
            parts = split_text("\n\n".join(rest)) if rest else []
        else:
            first, *parts = split_text(payload["text"])
            await self._call(
                self.bot.send_message, row.chat_id, first, reply_markup=None if parts else markup
            )
        if parts:
            self.s.stats["split"] += 1
        for n, part in enumerate(parts, 1):
            await self._next_slot(row.chat_id)
            last = n == len(parts)
            await self._call(self.bot.send_message, row.chat_id, part, reply_markup=markup if last else None)

    async def _call(self, send, *args, **kwargs) -> None:
        """One request to Telegram, once the window guard lets it go."""
        entry = await self.s.guard.enter()
        try:
            await send(*args, **kwargs)
        finally:
            self.s.guard.leave(entry)

    async def _next_slot(self, chat_id: int) -> None:
        """A further part of a long notice waits for the chat's next slot."""
        while True:
            ok, wait = await self.s.pacer.reserve(chat_id)
            await asyncio.sleep(wait)
            if ok:
                return

    # ------------------------------------------------------------ outcomes

    def _defer(self, row: Outbox, wait: float) -> None:
        """Try the row again after `wait` seconds; it was not an attempt."""
        if wait <= self.hold:
            heapq.heappush(self.later, (time.monotonic() + wait, row.id, row))
            return
        self._change(
            row,
            OutboxStatus.pending,
            not_before=utcnow() + timedelta(seconds=wait),
            attempts=row.attempts - 1,
        )

    def _change(self, row: Outbox, status: str, **values) -> None:
        if not self.changes:
            self.first_change = time.monotonic()
        self.changes.append({"id": row.id, "status": status, "attempts": row.attempts, **values})

    def _maybe_settle(self) -> None:
        due = self.changes and (
            len(self.changes) >= self.s.settle_batch or time.monotonic() - self.first_change >= SETTLE_EVERY
        )
        if due and (self.settling is None or self.settling.done()):
            self.settling = asyncio.create_task(self._settle())

    async def _settle(self) -> None:
        if (
            self.settling is not None
            and not self.settling.done()
            and self.settling is not asyncio.current_task()
        ):
            await self.settling
        while self.changes:
            changes, self.changes = self.changes, []
            blocked, self.blocked = self.blocked, set()
            await settle_many(self.s.sessions, self.s.token, changes, blocked)
