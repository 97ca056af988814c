"""Send slots within Telegram's limits: one message every 1/rate seconds overall (no burst),
one a second per chat, nothing while a flood wait (429 retry_after) runs. `LocalPacer` paces
one process; `RedisPacer` gives every process one shared budget through a Lua script that
reads the clock of Redis itself, so replicas on different hosts agree.

Chats are keyed by a keyed hash and forgotten once their spacing has passed: neither the
process nor Redis keeps a list of who was written to."""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections import deque
from typing import Protocol

GLOBAL_RATE = 30.0  # messages a second, Telegram's broadcast limit
CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
# Slots a little wider than the limits, for the jitter of a send's start (the chat's margin
# costs no rate). 0.5% is 5 ms per 30 messages; a larger delay (a stalled process or network)
# is caught by `WindowGuard`, so the margin need not cover it and the rate stays near the cap.
MARGIN = 1.005
CHAT_MARGIN = 1.05
# Replicas share no window guard: between a slot taken in Redis and the request reaching
# Telegram, each process has its own delays, so their shared gap keeps a wider margin
# (35 ms, 28.6 messages/s together).
SHARED_MARGIN = 1.05


class Pacer(Protocol):
    async def reserve(self, chat_id: int) -> tuple[bool, float]:
        """(True, delay): send after `delay` seconds, the slot is taken. (False, wait): the chat
        (or everyone) is not free for `wait` seconds; nothing was taken."""

    async def pause(self, seconds: float) -> None:
        """Nobody sends for `seconds` (a 429's retry_after)."""

    async def paused(self) -> float:
        """Seconds left of a running pause."""

    async def release(self, chat_id: int) -> None:
        """The send in the chat's last slot failed (5xx, network): it was not a message, so
        the chat may have its next one without waiting the chat's second."""


class LocalPacer:
    def __init__(self, secret: bytes, rate: float = GLOBAL_RATE, chat_interval: float = CHAT_INTERVAL):
        self.gap = MARGIN / rate
        self.chat_interval = chat_interval * CHAT_MARGIN
        self._key = _chat_key(secret)
        self._next = 0.0
        self._paused_until = 0.0
        self._chats: dict[bytes, tuple[float, float]] = {}  # key -> (free at, free before)
        self._sweep_at = 0.0

    async def reserve(self, chat_id: int) -> tuple[bool, float]:
        now = time.monotonic()
        self._forget(now)
        key = self._key(chat_id)
        slot = max(now, self._next, self._paused_until)
        free = self._chats.get(key, (0.0, 0.0))[0]
        if free > slot:
            return False, free - now
        self._next = slot + self.gap
        self._chats[key] = (slot + self.chat_interval, free)
        return True, slot - now

    async def release(self, chat_id: int) -> None:
        key = self._key(chat_id)
        if key in self._chats:
            before = self._chats[key][1]
            self._chats[key] = (before, before)

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def paused(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    def _forget(self, now: float) -> None:
        if now >= self._sweep_at:
            self._chats = {k: t for k, t in self._chats.items() if t[0] > now}
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
        self.gap_ms = math.ceil(1000 * SHARED_MARGIN / rate)  # milliseconds round up, never under
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

    async def release(self, chat_id: int) -> None:
        """Kept: another process may have reserved the chat since; the chat waits its second."""


STUCK = 5.0  # seconds after which a send still unanswered no longer holds the others back


class WindowGuard:
    """The last check before a request leaves: at most `limit` sends in any `period` as
    Telegram counts them, on arrival. Paced slots alone assume every request arrives on
    time; when one is held up (this process or the network stalled), the send `limit`
    later waits as long. A send cannot arrive before it starts plus the shortest round trip
    seen (its way there and the earlier one's way back), so waiting until the earlier
    send's answer plus `period` minus that round trip is enough, and costs nothing while
    answers come back on time. One process's sends only: replicas keep to the margin."""

    def __init__(
        self, limit: int = int(GLOBAL_RATE), period: float = 1.0, clock=time.monotonic, sleep=asyncio.sleep
    ) -> None:
        self.period = period
        self.clock, self.sleep = clock, sleep
        self.sends: deque[list[float]] = deque(maxlen=limit)  # [started, answered] per send
        self.fastest = math.inf  # shortest round trip seen

    async def enter(self) -> list[float]:
        while len(self.sends) == self.sends.maxlen:
            now = self.clock()
            oldest = self.sends[0]
            if oldest[1] == math.inf and now < oldest[0] + STUCK:
                # Still out: its arrival is unknown until its answer comes.
                await self.sleep(max(oldest[0] + self.period - now, 0.005))
                continue
            oldest[1] = min(oldest[1], now)  # a send out for long counts as arriving now
            floor = max(0.0, self.fastest - 0.002) if self.fastest < math.inf else 0.0
            wait = max(oldest[0] + self.period, oldest[1] + self.period - floor) - now
            if wait <= 0:
                break
            await self.sleep(wait)
        send = [self.clock(), math.inf]
        self.sends.append(send)
        return send

    def leave(self, send: list[float]) -> None:
        send[1] = self.clock()
        self.fastest = min(self.fastest, send[1] - send[0])


def _chat_key(secret: bytes):
    def key(chat_id: int) -> bytes:
        return hashlib.blake2b(str(chat_id).encode(), key=secret[:64], digest_size=12).digest()

    return key
