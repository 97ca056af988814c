"""Each update handled once. Telegram delivers an update again when an answer is slow, and
behind one webhook URL the second delivery may reach another replica: the update id is
recorded (in Redis when several processes run, with a TTL) and a repeat is dropped."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from redis.asyncio import Redis

SEEN_TTL = 3600  # seconds; Telegram gives up redelivering long before


class OnceMiddleware(BaseMiddleware):
    def __init__(self, redis: Redis | None, prefix: str = "update", ttl: int = SEEN_TTL) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl
        self._seen: OrderedDict[int, float] = OrderedDict()  # this process alone, without Redis

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update) and not await self._first(event.update_id):
            return None
        return await handler(event, data)

    async def _first(self, update_id: int) -> bool:
        if self.redis is not None:
            return bool(await self.redis.set(f"{self.prefix}:{update_id}", 1, nx=True, ex=self.ttl))
        now = time.monotonic()
        while self._seen and (next(iter(self._seen.values())) < now - self.ttl or len(self._seen) > 100_000):
            self._seen.popitem(last=False)
        if update_id in self._seen:
            return False
        self._seen[update_id] = now
        return True
