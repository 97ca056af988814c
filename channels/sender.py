"""Sending the channels' outbox rows: each robot at most CHANNEL_RATE_PER_MINUTE messages a
minute (counted from the rows sent to it, so several processes share the limit), a robot the
platform throttled paused for CHANNEL_THROTTLE_MINUTES (kept on the channel row), network and
server errors retried with backoff, permanent refusals recorded. Rows are claimed with the
same leases and dedupe keys as Telegram's."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import timedelta

import aiohttp
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from channels.platforms import DELIVER, Rejected, Retry, Throttled
from channels.store import secret_of
from domain.anonymity import TipKeys
from domain.enums import OutboxStatus
from notifications.outbox import claim, next_due, settle_many
from storage.clock import utcnow
from storage.models import Channel, Outbox

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
WINDOW = timedelta(minutes=1)
ROBOTS = ("wecom", "dingtalk")


class ChannelSender:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], settings: Settings, keys: TipKeys | None
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.keys = keys
        self.lease = settings.outbox_lease_seconds
        self.token = uuid.uuid4().hex[:16]
        self._lock = asyncio.Lock()
        self.stats = {"sent": 0, "deferred": 0, "throttled": 0, "failed": 0, "retried": 0}

    async def flush(self, horizon: float = 0.0) -> int:
        """Send every channel row due now, and those coming due within `horizon` seconds."""
        sent = 0
        async with self._lock, aiohttp.ClientSession() as http:
            while True:
                rows = await claim(self.sessions, self.token, 20, self.lease, channels=True)
                for row in rows:
                    sent += await self._send(http, row)
                if rows:
                    continue
                due = await next_due(self.sessions, self.lease, channels=True)
                wait = (due - utcnow()).total_seconds() if due else None
                if wait is None or wait > horizon:
                    return sent
                await asyncio.sleep(max(0.0, wait) + 0.01)

    async def _settle(
        self, row: Outbox, status: str, *, not_before=None, attempts=None, error="", **_
    ) -> None:
        change = {"id": row.id, "status": status, "not_before": not_before, "error": error}
        change["attempts"] = row.attempts if attempts is None else attempts
        await settle_many(self.sessions, self.token, [change], set())

    async def _later(self, row: Outbox, when, error: str = "") -> int:
        self.stats["deferred"] += 1
        await self._settle(
            row,
            status=OutboxStatus.pending,
            not_before=when,
            attempts=row.attempts - 1,
            error=error,
        )
        return 0

    async def _send(self, http: aiohttp.ClientSession, row: Outbox) -> int:
        now = utcnow()
        async with self.sessions() as session:
            channel = await session.get(Channel, row.channel_id)
            if channel is None or self.keys is None:
                await self._settle(row, status=OutboxStatus.failed, error="no channel")
                return 0
            if channel.paused_until is not None and channel.paused_until > now:
                return await self._later(row, channel.paused_until, "throttled")
            if channel.kind in ROBOTS:
                recent = (
                    await session.execute(
                        select(func.count(), func.min(Outbox.sent_at)).where(
                            Outbox.channel_id == channel.id,
                            Outbox.status == OutboxStatus.sent,
                            Outbox.sent_at > now - WINDOW,
                        )
                    )
                ).one()
                if recent[0] >= self.settings.channel_rate_per_minute:
                    return await self._later(row, recent[1] + WINDOW)
            secret = secret_of(self.keys, channel)
        try:
            await DELIVER[channel.kind](http, self.settings, secret, json.loads(row.payload))
        except Throttled as exc:
            self.stats["throttled"] += 1
            until = utcnow() + timedelta(minutes=self.settings.channel_throttle_minutes)
            async with self.sessions() as session:
                await session.execute(
                    update(Channel).where(Channel.id == channel.id).values(paused_until=until)
                )
                await session.commit()
            log.warning("channel %s throttled by the platform (%s) until %s", channel.id, exc, until)
            return await self._later(row, until, str(exc))
        except Rejected as exc:
            self.stats["failed"] += 1
            log.warning("channel %s refused row %s: %s", channel.id, row.id, exc)
            await self._settle(row, status=OutboxStatus.failed, error=str(exc)[:500])
            return 0
        except Retry as exc:
            self.stats["retried"] += 1
            retry = row.attempts < MAX_ATTEMPTS
            await self._settle(
                row,
                status=OutboxStatus.pending if retry else OutboxStatus.failed,
                not_before=utcnow() + timedelta(seconds=min(300, 2**row.attempts)),
                error=str(exc)[:500],
            )
            return 0
        await self._settle(row, status=OutboxStatus.sent)
        self.stats["sent"] += 1
        return 1
