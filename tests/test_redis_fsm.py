"""With REDIS_URL set, dialog state lives in Redis (with a TTL of DIALOG_TTL_MINUTES), under a
name that does not contain the person's id, and leaves no trace after /cancel."""

import os

import pytest
from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis

from bot.emulator.harness import DEMO_TOKEN, LocalRun
from bot.sealed_fsm import pseudonymous
from tests.conftest import ADMIN, TIP_KEYS

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL unset")


async def test_dialog_state_lives_in_redis_with_a_ttl(settings, seeded):
    redis = Redis.from_url(REDIS_URL)
    bot_id = int(DEMO_TOKEN.split(":")[0])
    hidden = pseudonymous(TIP_KEYS, StorageKey(bot_id=bot_id, chat_id=ADMIN.id, user_id=ADMIN.id))
    pattern = f"fsm:0:0:{hidden.destiny}:*"
    await redis.flushdb()  # left by an earlier run (handled update ids too)
    try:
        async with LocalRun(settings.model_copy(update={"redis_url": REDIS_URL})) as run:
            start = await run.client.send(ADMIN, "/import")
            await run.client.press(ADMIN, start.last_with_buttons(), data="imp:agencies")
            keys = [k async for k in redis.scan_iter(pattern)]
            assert keys, "the dialog's state is in Redis"
            assert not [k async for k in redis.scan_iter(f"*{ADMIN.id}*")]
            ttls = [await redis.ttl(k) for k in keys]
            assert all(0 < ttl <= settings.dialog_ttl_minutes * 60 for ttl in ttls)
            assert "Please send a CSV" in (await run.client.send(ADMIN, "still here")).text
            await run.client.send(ADMIN, "/cancel")
            assert [k async for k in redis.scan_iter(pattern)] == []
    finally:
        await redis.aclose()
