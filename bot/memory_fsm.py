"""In-memory dialog state that forgets people: aiogram's MemoryStorage and
SimpleEventIsolation keep an entry for every user ever seen (even on a read), which would
keep a tipster's id in memory after the dialog. These drop an entry once it is empty."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StateType, StorageKey


class ForgetfulMemoryStorage(BaseStorage):
    def __init__(self) -> None:
        self.storage: dict[StorageKey, dict[str, Any]] = {}

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        self._put(key, "state", value)

    async def get_state(self, key: StorageKey) -> str | None:
        return self.storage.get(key, {}).get("state")

    async def set_data(self, key: StorageKey, data: dict[str, Any]) -> None:
        self._put(key, "data", dict(data) or None)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict(self.storage.get(key, {}).get("data") or {})

    def _put(self, key: StorageKey, field: str, value: Any) -> None:
        record = self.storage.setdefault(key, {})
        if value is None:
            record.pop(field, None)
        else:
            record[field] = value
        if not record:
            del self.storage[key]

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
