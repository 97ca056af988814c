"""In-memory dialog state that forgets people: aiogram's MemoryStorage and
SimpleEventIsolation keep an entry for every user ever seen (even on a read), forever. These
drop an entry once it is empty, after `ttl` seconds without use, and beyond `limit` entries
(the oldest first), so a flood of new senders cannot grow memory without bound."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StateType, StorageKey

log = logging.getLogger(__name__)


class ForgetfulMemoryStorage(BaseStorage):
    def __init__(
        self, ttl: float = 1800, limit: int = 10000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.limit = limit
        self.clock = clock
        # key -> (expires at, record); ordered by last write, so the oldest is first.
        self.storage: OrderedDict[StorageKey, tuple[float, dict[str, Any]]] = OrderedDict()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        self._put(key, "state", value)

    async def get_state(self, key: StorageKey) -> str | None:
        return self._record(key).get("state")

    async def set_data(self, key: StorageKey, data: dict[str, Any]) -> None:
        self._put(key, "data", dict(data) or None)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict(self._record(key).get("data") or {})

    def _record(self, key: StorageKey) -> dict[str, Any]:
        self._expire()
        entry = self.storage.get(key)
        return entry[1] if entry else {}

    def _put(self, key: StorageKey, field: str, value: Any) -> None:
        record = dict(self._record(key))
        if value is None:
            record.pop(field, None)
        else:
            record[field] = value
        self.storage.pop(key, None)
        if record:
            self.storage[key] = (self.clock() + self.ttl, record)
        while len(self.storage) > self.limit:
            self.storage.popitem(last=False)
            log.warning("dialog memory full: the oldest dialog was dropped")

    def _expire(self) -> None:
        now = self.clock()
        while self.storage:
            expires, _ = next(iter(self.storage.values()))
            if expires > now:
                break
            self.storage.popitem(last=False)

    async def close(self) -> None:
        self.storage.clear()


class ForgetfulEventIsolation(BaseEventIsolation):
    """One lock per chat while events are being handled, removed when nobody holds it."""

    def __init__(self) -> None:
        self._locks: dict[StorageKey, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            held = self._locks.get(key)  # gone if close() ran while a handler still held it
            if held is not None:
                if held[1] <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (held[0], held[1] - 1)

    async def close(self) -> None:
        self._locks.clear()
