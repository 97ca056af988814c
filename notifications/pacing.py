"""Send slots within Telegram's limits: one message every 1/rate seconds overall (no burst),
one a second per chat, nothing while a flood wait (429 retry_after) runs. `LocalPacer` paces
one process; `RedisPacer` gives every process one shared budget through a Lua script that
reads the clock of Redis itself, so replicas on different hosts agree.

Chats are keyed by a keyed hash and forgotten once their spacing has passed: neither the
process nor Redis keeps a list of who was written to."""

from __future__ import annotations

import hashlib
import time
from typing import Protocol

GLOBAL_RATE = 30.0  # messages a second, Telegram's broadcast limit
CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
# Slots a little wider than the limits: a late arrival of one message then never puts 31 in
# Telegram's one-second window, nor two in a chat's second (the chat's margin costs no rate).
MARGIN = 1.02
CHAT_MARGIN = 1.05


class Pacer(Protocol):
    async def reserve(self, chat_id: int) -> tuple[bool, float]:
        """(True, delay): send after `delay` seconds, the slot is taken. (False, wait): the chat
        (or everyone) is not free for `wait` seconds; nothing was taken."""

    async def pause(self, seconds: float) -> None:
        """Nobody sends for `seconds` (a 429's retry_after)."""

    async def paused(self) -> float:
        """Seconds left of a running pause."""


class LocalPacer:
    def __init__(self, secret: bytes, rate: float = GLOBAL_RATE, chat_interval: float = CHAT_INTERVAL):
        self.gap = MARGIN / rate
        self.chat_interval = chat_interval * CHAT_MARGIN
        self._key = _chat_key(secret)
        self._next = 0.0
        self._paused_until = 0.0
        self._chats: dict[bytes, float] = {}
        self._sweep_at = 0.0

    async def reserve(self, chat_id: int) -> tuple[bool, float]:
        now = time.monotonic()
        self._forget(now)
        key = self._key(chat_id)
        slot = max(now, self._next, self._paused_until)
        free = self._chats.get(key, 0.0)
        if free > slot:
            return False, free - now
        self._next = slot + self.gap
        self._chats[key] = slot + self.chat_interval
        return True, slot - now

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def paused(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    def _forget(self, now: float) -> None:
        if now >= self._sweep_at:
            self._chats = {k: t for k, t in self._chats.items() if t > now}
            self._sweep_at = now + self.chat_interval


# KEYS: next global slot, this chat's next slot, pause end (all in ms of Redis' clock).
# ARGV: global gap ms, chat interval ms.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or 0), tonumber(redis.call('GET', KEYS[3]) or 0))
local free = tonumber(redis.call('GET', KEYS[2]) or 0)
if free > slot then return {0, free - now} end
local gap, chat = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('SET', KEYS[1], slot + gap, 'PX', slot - now + gap + 1000)
redis.call('SET', KEYS[2], slot + chat, 'PX', slot - now + chat)
return {1, slot - now}
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or 0) then
  redis.call('SET', KEYS[1], until_, 'PX', tonumber(ARGV[1]) + 1000)
end
return until_ - now
"""

_PAUSED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return math.max(0, tonumber(redis.call('GET', KEYS[1]) or 0) - now)
"""


class RedisPacer:
    def __init__(
        self,
        redis,
        secret: bytes,
        rate: float = GLOBAL_RATE,
        chat_interval: float = CHAT_INTERVAL,
        prefix: str = "outbox:pace",
    ):
        self.redis = redis
        self.gap_ms = round(1000 * MARGIN / rate)
        self.chat_ms = round(1000 * chat_interval * CHAT_MARGIN)
        self._key = _chat_key(secret)
        self.prefix = prefix
        self._reserve = redis.register_script(_RESERVE)
        self._pause = redis.register_script(_PAUSE)
        self._paused = redis.register_script(_PAUSED)

    async def reserve(self, chat_id: int) -> tuple[bool, float]:
        keys = [
            f"{self.prefix}:next",
            f"{self.prefix}:chat:{self._key(chat_id).hex()}",
            f"{self.prefix}:pause",
        ]
        ok, ms = await self._reserve(keys=keys, args=[self.gap_ms, self.chat_ms])
        return bool(ok), int(ms) / 1000

    async def pause(self, seconds: float) -> None:
        await self._pause(keys=[f"{self.prefix}:pause"], args=[round(seconds * 1000)])

    async def paused(self) -> float:
        return int(await self._paused(keys=[f"{self.prefix}:pause"])) / 1000


def _chat_key(secret: bytes):
    def key(chat_id: int) -> bytes:
        return hashlib.blake2b(str(chat_id).encode(), key=secret[:64], digest_size=12).digest()

    return key
