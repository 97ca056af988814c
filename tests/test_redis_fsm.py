"""With REDIS_URL set, dialog state lives in Redis (with a TTL) and leaves no trace after /cancel."""

import os

import pytest
from redis.asyncio import Redis

from bot.emulator.harness import LocalRun
from tests.conftest import ADMIN

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL unset")


async def test_dialog_state_lives_in_redis_with_a_ttl(settings, seeded):
    redis = Redis.from_url(REDIS_URL)
    pattern = f"fsm:{ADMIN.id}:{ADMIN.id}:*"
    async for key in redis.scan_iter(pattern):  # left by an interrupted run
        await redis.delete(key)
    try:
        async with LocalRun(settings.model_copy(update={"redis_url": REDIS_URL})) as run:
            start = await run.client.send(ADMIN, "/import")
            await run.client.press(ADMIN, start.last_with_buttons(), data="imp:agencies")
            keys = [k async for k in redis.scan_iter(pattern)]
            assert keys, "the dialog's state is in Redis"
            ttls = [await redis.ttl(k) for k in keys]
            assert all(0 < ttl <= 86400 for ttl in ttls)
            assert "Please send a CSV" in (await run.client.send(ADMIN, "still here")).text
            await run.client.send(ADMIN, "/cancel")
            assert [k async for k in redis.scan_iter(pattern)] == []
    finally:
        await redis.aclose()
