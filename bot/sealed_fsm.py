"""Dialog state that names nobody (contract: Anonymity, "the FSM storage, during the dialog
too"): wraps any aiogram storage so that entries are keyed by an HMAC of (chat, user) under a
key derived from TIP_SECRET, and their data (a tip's draft text and photos) is sealed with
AES-GCM. Memory or Redis then hold neither the Telegram ids nor the draft."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StateType, StorageKey

from domain.anonymity import TipKeys

_SEALED = "sealed"


def pseudonymous(keys: TipKeys, key: StorageKey) -> StorageKey:
    tag = keys.dialog_tag(f"{key.chat_id}:{key.thread_id}:{key.business_connection_id}", key.user_id)
    return StorageKey(bot_id=key.bot_id, chat_id=0, user_id=0, destiny=f"{key.destiny}:{tag}")


class SealedStorage(BaseStorage):
    def __init__(self, inner: BaseStorage, keys: TipKeys) -> None:
        self.inner = inner
        self.keys = keys

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self.inner.set_state(pseudonymous(self.keys, key), state)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self.inner.get_state(pseudonymous(self.keys, key))

    async def set_data(self, key: StorageKey, data: dict[str, Any]) -> None:
        hidden = pseudonymous(self.keys, key)
        sealed = {}
        if data:
            blob = self.keys.seal(json.dumps(data, ensure_ascii=False).encode(), hidden.destiny.encode())
            sealed = {_SEALED: base64.b64encode(blob).decode()}
        await self.inner.set_data(hidden, sealed)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        hidden = pseudonymous(self.keys, key)
        stored = await self.inner.get_data(hidden)
        if _SEALED not in stored:
            return {}
        return json.loads(self.keys.open(base64.b64decode(stored[_SEALED]), hidden.destiny.encode()))

    async def close(self) -> None:
        await self.inner.close()


class SealedEventIsolation(BaseEventIsolation):
    """Locks named by the same HMAC, so Redis never sees an id in a lock's name either."""

    def __init__(self, inner: BaseEventIsolation, keys: TipKeys) -> None:
        self.inner = inner
        self.keys = keys

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        async with self.inner.lock(pseudonymous(self.keys, key)):
            yield

    async def close(self) -> None:
        await self.inner.close()
