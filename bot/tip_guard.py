"""Limits on tipsters without knowing who they are: counters keyed by a keyed hash of the
Telegram id under a key derived from TIP_SECRET and the date, recomputed on use and never
stored. Counters live in memory or Redis until a fixed time (the end of the day, the end of
the throttle window), never an expiry renewed on each use, which would date the last tip."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta

from redis.asyncio import Redis

from bot.config import Settings
from domain.anonymity import TipKeys, daily_key, sender_tag


class TipGuard:
    def __init__(self, settings: Settings, keys: TipKeys | None, redis: Redis | None = None) -> None:
        self.tz = settings.tz
        self.daily_limit = settings.tip_daily_limit
        self.miss_limit = settings.follow_miss_limit
        self.miss_window = settings.follow_miss_window
        self.redis = redis
        # Without TIP_SECRET (no tip can be filed then) a key of this process only.
        self._limit_key = keys.limits if keys is not None else secrets.token_bytes(32)
        # In memory: only the current day's counters and the current window's misses.
        self._counts: tuple[str, dict[str, int]] = ("", {})
        self._misses: tuple[int, dict[str, int]] = (-1, {})

    def _today(self) -> tuple[str, int]:
        """The day's name and the epoch second it ends at."""
        now = datetime.now(self.tz)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), self.tz)
        return now.strftime("%Y%m%d"), int(midnight.timestamp())

    def _tag(self, day: str, user_id: int) -> str:
        return sender_tag(daily_key(self._limit_key, day), user_id)

    async def tips_left(self, user_id: int) -> int:
        day, _ = self._today()
        tag = self._tag(day, user_id)
        if self.redis is not None:
            used = int(await self.redis.get(f"tipcount:{day}:{tag}") or 0)
        else:
            used = self._counts[1].get(tag, 0) if self._counts[0] == day else 0
        return max(0, self.daily_limit - used)

    async def count_tip(self, user_id: int) -> None:
        day, ends = self._today()
        tag = self._tag(day, user_id)
        if self.redis is not None:
            name = f"tipcount:{day}:{tag}"
            async with self.redis.pipeline(transaction=True) as pipe:
                await pipe.incr(name).expireat(name, ends).execute()
        else:
            if self._counts[0] != day:
                self._counts = (day, {})  # yesterday's counters are forgotten
            self._counts[1][tag] = self._counts[1].get(tag, 0) + 1

    def _window(self) -> tuple[int, int]:
        """The current throttle window's number and the epoch second it ends at."""
        n = int(time.time()) // self.miss_window
        return n, (n + 1) * self.miss_window

    async def throttled(self, user_id: int) -> bool:
        """Too many wrong receipts from this sender in the current window."""
        day, _ = self._today()
        window, _ = self._window()
        tag = self._tag(day, user_id)
        if self.redis is not None:
            misses = int(await self.redis.get(f"tipmiss:{window}:{tag}") or 0)
        else:
            misses = self._misses[1].get(tag, 0) if self._misses[0] == window else 0
        return misses >= self.miss_limit

    async def miss(self, user_id: int) -> None:
        day, _ = self._today()
        window, ends = self._window()
        tag = self._tag(day, user_id)
        if self.redis is not None:
            name = f"tipmiss:{window}:{tag}"
            async with self.redis.pipeline(transaction=True) as pipe:
                await pipe.incr(name).expireat(name, ends).execute()
        else:
            if self._misses[0] != window:
                self._misses = (window, {})  # earlier windows are forgotten
            self._misses[1][tag] = self._misses[1].get(tag, 0) + 1
