"""Dialog state names nobody, is sealed, is forgotten, and cannot be grown without bound; tip
limits count under keys derived from the secret and the date, expiring at a fixed time."""

import os
from datetime import datetime, timedelta

import pytest
from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis

from bot.config import Settings
from bot.memory_fsm import ForgetfulMemoryStorage
from bot.sealed_fsm import SealedStorage
from bot.tip_guard import TipGuard
from tests.conftest import TIP_KEYS, TIP_SECRET

TIPSTER_ID = 987654321987
KEY = StorageKey(bot_id=1, chat_id=TIPSTER_ID, user_id=TIPSTER_ID)
DRAFT = {"text": "仓库里堆放了大量油漆桶-编号8841", "photos": ["aGVsbG8="], "target_id": 7}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_sealed_state_holds_neither_the_id_nor_the_draft():
    memory = ForgetfulMemoryStorage()
    storage = SealedStorage(memory, TIP_KEYS)
    await storage.set_state(KEY, "TipDialog:review")
    await storage.set_data(KEY, DRAFT)
    assert await storage.get_data(KEY) == DRAFT
    assert await storage.get_state(KEY) == "TipDialog:review"
    held = repr(memory.storage)
    assert str(TIPSTER_ID) not in held and "油漆桶" not in held and "aGVsbG8" not in held
    other = StorageKey(bot_id=1, chat_id=TIPSTER_ID + 1, user_id=TIPSTER_ID + 1)
    assert await storage.get_data(other) == {}  # another person's dialog is separate
    await storage.set_data(KEY, {})
    await storage.set_state(KEY, None)
    assert memory.storage == {}


async def test_an_idle_dialog_is_forgotten_after_its_ttl():
    clock = Clock()
    memory = ForgetfulMemoryStorage(ttl=1800, clock=clock)
    await memory.set_data(KEY, DRAFT)
    clock.now += 1799
    assert await memory.get_data(KEY) == DRAFT
    await memory.set_state(KEY, "TipDialog:review")  # a step renews it
    clock.now += 1801
    assert await memory.get_data(KEY) == {} and await memory.get_state(KEY) is None
    assert memory.storage == {}


async def test_a_flood_of_new_senders_cannot_grow_memory_without_bound():
    clock = Clock()
    memory = ForgetfulMemoryStorage(ttl=1800, limit=100, clock=clock)
    for n in range(10_000):
        await memory.set_state(StorageKey(bot_id=1, chat_id=n, user_id=n), "TipDialog:target")
    assert len(memory.storage) == 100
    clock.now += 1801
    await memory.get_state(KEY)
    assert memory.storage == {}


def _guard(redis=None) -> TipGuard:
    settings = Settings(_env_file=None, tip_secret=TIP_SECRET, tip_daily_limit=2, follow_miss_limit=2)
    return TipGuard(settings, TIP_KEYS, redis)


async def test_daily_limit_and_throttle_in_memory():
    guard = _guard()
    assert await guard.tips_left(TIPSTER_ID) == 2
    await guard.count_tip(TIPSTER_ID)
    await guard.count_tip(TIPSTER_ID)
    assert await guard.tips_left(TIPSTER_ID) == 0 and await guard.tips_left(1) == 2
    assert not await guard.throttled(TIPSTER_ID)
    await guard.miss(TIPSTER_ID)
    await guard.miss(TIPSTER_ID)
    assert await guard.throttled(TIPSTER_ID) and not await guard.throttled(1)
    assert str(TIPSTER_ID) not in repr(vars(guard))


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL unset")
async def test_redis_counters_expire_at_a_fixed_time_and_no_key_is_stored():
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    try:
        guard = _guard(redis)
        await guard.count_tip(TIPSTER_ID)
        await guard.miss(TIPSTER_ID)
        names = [k.decode() async for k in redis.scan_iter("*")]
        assert sorted(n.split(":")[0] for n in names) == ["tipcount", "tipmiss"]  # no key beside them
        now = datetime.now(guard.tz)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), guard.tz)
        count = next(n for n in names if n.startswith("tipcount:"))
        miss = next(n for n in names if n.startswith("tipmiss:"))
        assert await redis.expiretime(count) == int(midnight.timestamp())
        window_end = (int(now.timestamp()) // guard.miss_window + 1) * guard.miss_window
        assert await redis.expiretime(miss) == window_end
        await guard.count_tip(TIPSTER_ID)  # a second tip does not move the expiry
        assert await redis.expiretime(count) == int(midnight.timestamp())
        assert await guard.tips_left(TIPSTER_ID) == 0
        dump = b"".join([k + (await redis.get(k) or b"") async for k in redis.scan_iter("*")])
        assert str(TIPSTER_ID).encode() not in dump
    finally:
        await redis.flushdb()
        await redis.aclose()
