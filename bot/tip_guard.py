"""Limits on tipsters without knowing who they are: counters keyed by a keyed hash of the
Telegram id, under a key that changes every day and lives only in memory or Redis."""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque
from datetime import datetime
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from domain.anonymity import sender_tag

TWO_DAYS = 2 * 86400


class TipGuard:
    def __init__(
        self, tz: ZoneInfo, daily_limit: int, miss_limit: int, miss_window: int, redis: Redis | None = None
    ) -> None:
        self.tz = tz
        self.daily_limit = daily_limit
        self.miss_limit = miss_limit
        self.miss_window = miss_window
        self.redis = redis
        self._keys: dict[str, bytes] = {}
        self._counts: dict[tuple[str, str], int] = defaultdict(int)
        self._misses: dict[str, deque] = defaultdict(deque)

    def _day(self) -> str:
        return datetime.now(self.tz).strftime("%Y%m%d")

    async def _tag(self, user_id: int) -> tuple[str, str]:
        day = self._day()
        if self.redis is not None:
            await self.redis.set(f"tipkey:{day}", secrets.token_hex(32), nx=True, ex=TWO_DAYS)
            key = bytes.fromhex((await self.redis.get(f"tipkey:{day}")).decode())
        else:
            if day not in self._keys:
                self._keys = {day: secrets.token_bytes(32)}  # yesterday's key is forgotten
                self._counts.clear()
            key = self._keys[day]
        return day, sender_tag(key, user_id)

    async def tips_left(self, user_id: int) -> int:
        day, tag = await self._tag(user_id)
        if self.redis is not None:
            used = int(await self.redis.get(f"tipcount:{day}:{tag}") or 0)
        else:
            used = self._counts.get((day, tag), 0)
        return max(0, self.daily_limit - used)

    async def count_tip(self, user_id: int) -> None:
        day, tag = await self._tag(user_id)
        if self.redis is not None:
            name = f"tipcount:{day}:{tag}"
            await self.redis.incr(name)
            await self.redis.expire(name, TWO_DAYS)
        else:
            self._counts[(day, tag)] += 1

    async def throttled(self, user_id: int) -> bool:
        """Too many wrong receipts lately from this sender."""
        _, tag = await self._tag(user_id)
        if self.redis is not None:
            return int(await self.redis.get(f"tipmiss:{tag}") or 0) >= self.miss_limit
        window = self._misses.get(tag)
        if not window:
            return False
        while window and time.monotonic() - window[0] > self.miss_window:
            window.popleft()
        if not window:
            del self._misses[tag]
        return len(window) >= self.miss_limit

    async def miss(self, user_id: int) -> None:
        _, tag = await self._tag(user_id)
        if self.redis is not None:
            name = f"tipmiss:{tag}"
            await self.redis.incr(name)
            await self.redis.expire(name, self.miss_window)
        else:
            self._misses[tag].append(time.monotonic())
