"""Several processes of the bot: an update delivered twice is handled once, and two `run`
replicas on PostgreSQL + Redis send the outbox together within Telegram's limits, losing
nothing when one of them is killed mid-send."""

import asyncio
import os
import signal
import sys
import uuid
from collections import Counter

import pytest
from aiogram.types import Update
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import select

from bot.app import build_app, build_bot
from bot.emulator import Emulator
from bot.emulator.harness import DEMO_TOKEN, EmulatorClient, TgUser
from notifications.outbox import enqueue
from storage.models import Outbox
from tests.conftest import TIP_SECRET

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
USER = TgUser(960000001, "Rita", language_code="en")


def _update(update_id: int) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": USER.id, "type": "private"},
                "from": USER.as_dict() | {"is_bot": False},
                "text": "/help",
            },
        }
    )


NEEDS_REDIS = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL unset")


@pytest.mark.parametrize("shared", ["memory", pytest.param("redis", marks=NEEDS_REDIS)])
async def test_an_update_delivered_twice_is_handled_once(settings, seeded, shared):
    emulator = Emulator()
    base = await emulator.start()
    client = EmulatorClient(base)
    await client.control("users", users=[USER.as_dict()])
    redis_url = REDIS_URL if shared == "redis" else ""
    conf = settings.model_copy(
        update={"bot_token": SecretStr(DEMO_TOKEN), "telegram_api_url": base, "redis_url": redis_url}
    )
    # Behind one webhook URL with Redis the second delivery may reach another replica.
    apps = [build_app(conf) for _ in range(2 if redis_url else 1)]
    bot = build_bot(conf)
    update_id = uuid.uuid4().int % 10**9
    try:
        for n in range(3):
            await apps[n % len(apps)].dispatcher.feed_update(bot, _update(update_id))
        await apps[0].dispatcher.feed_update(bot, _update(update_id + 1))  # a new update is handled
        answers = [e for e in emulator.state.events if e["kind"] == "message" and e["chat_id"] == USER.id]
        assert len(answers) == 2
    finally:
        if redis_url:
            redis = Redis.from_url(redis_url)
            await redis.delete(f"update:{update_id}", f"update:{update_id + 1}")
            await redis.aclose()
        for app in apps:
            await app.close()
        await bot.session.close()
        await client.close()
        await emulator.stop()


NOTICES, CHATS = 200, 100
IN_FLIGHT, SETTLE_BATCH = 8, 16


async def _replica(db_url: str, base: str, *args: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    env.update(
        DATABASE_URL=db_url,
        REDIS_URL=REDIS_URL,
        BOT_TOKEN=DEMO_TOKEN,
        TELEGRAM_API_URL=base,
        TIP_SECRET=TIP_SECRET,
        OUTBOX_LEASE_SECONDS="3",
        OUTBOX_IN_FLIGHT=str(IN_FLIGHT),
        OUTBOX_SETTLE_BATCH=str(SETTLE_BATCH),
        LOG_LEVEL="ERROR",
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


@NEEDS_REDIS
async def test_two_replicas_share_the_limits_and_a_killed_one_loses_nothing(sessions, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("replicas share a PostgreSQL database")
    redis = Redis.from_url(REDIS_URL)
    async for key in redis.scan_iter("outbox:pace:*"):  # left by an interrupted run
        await redis.delete(key)
    await redis.aclose()
    users = [TgUser(961000000 + n, f"C{n}") for n in range(CHATS)]
    plan = [(users[n % CHATS].id, f"通知 {n}") for n in range(NOTICES)]  # two to each chat
    async with sessions() as s:
        for n, (chat, text) in enumerate(plan):
            await enqueue(s, chat, "reminder", text, dedupe_key=f"replica:{n}")
        await s.commit()
    emulator = Emulator()
    base = await emulator.start()
    client = EmulatorClient(base)
    await client.control("users", users=[u.as_dict() for u in users])
    await client.control("limits", enforce=True)
    await client.control("latency", seconds=0.05)
    replicas = [await _replica(db_url, base, "run") for _ in range(2)]
    try:
        await client.stats(messages=NOTICES // 2, timeout=120)
        replicas[0].send_signal(signal.SIGKILL)  # mid-send: some accepted, not yet recorded
        await replicas[0].wait()
        drain = await _replica(db_url, base, "jobs", "run", "outbox")  # returns once all is sent
        out, _ = await asyncio.wait_for(drain.communicate(), 120)
        assert drain.returncode == 0, out.decode()
        replicas[1].send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(replicas[1].communicate(), 60)
        assert replicas[1].returncode == 0, out.decode()[-2000:]
        assert "Traceback" not in out.decode(), out.decode()[-3000:]

        got = Counter(
            (e["chat_id"], e["message"]["text"]) for e in emulator.state.events if e["kind"] == "message"
        )
        assert set(got) == set(plan)  # nothing lost
        assert sum(got.values()) - NOTICES <= IN_FLIGHT + SETTLE_BATCH  # the killed one's window
        stats = await client.stats()
        assert stats["too_many"] == 0  # together never over 30/s, nor 1/s in a chat
        async with sessions() as s:
            assert set((await s.scalars(select(Outbox.status))).all()) == {"sent"}
    finally:
        for proc in replicas:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await client.close()
        await emulator.stop()
