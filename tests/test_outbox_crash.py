"""A sender killed (SIGKILL) halfway and restarted: nothing is lost, and only messages it had
in flight or not yet recorded as sent are sent again (the delivery promise's bound)."""

import asyncio
import os
import signal
import sys

from sqlalchemy import select

from bot.emulator import Emulator
from bot.emulator.harness import DEMO_TOKEN, EmulatorClient, TgUser
from notifications.outbox import enqueue
from storage.models import Outbox

COUNT = 120
IN_FLIGHT, SETTLE_BATCH = 4, 8


async def _sender(db_url: str, base: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        DATABASE_URL=db_url,
        BOT_TOKEN=DEMO_TOKEN,
        TELEGRAM_API_URL=base,
        OUTBOX_LEASE_SECONDS="1",
        OUTBOX_IN_FLIGHT=str(IN_FLIGHT),
        OUTBOX_SETTLE_BATCH=str(SETTLE_BATCH),
        LOG_LEVEL="WARNING",
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "jobs",
        "run",
        "outbox",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_killed_sender_resumes_losing_nothing_and_repeating_at_most_its_window(sessions, db_url):
    users = [TgUser(990000000 + n, f"U{n}") for n in range(COUNT)]
    async with sessions() as s:
        for u in users:
            await enqueue(s, u.id, "reminder", f"提醒 {u.id}", dedupe_key=f"crash:{u.id}")
        await s.commit()
    emulator = Emulator()
    base = await emulator.start()
    client = EmulatorClient(base)
    try:
        await client.control("users", users=[u.as_dict() for u in users])
        # Hold the request after the first half, so the kill lands while a send is in flight.
        await client.control("faults", method="sendMessage", status=0, delay=120, after=COUNT // 2)
        first = await _sender(db_url, base)
        stats = await client.stats(holding=1, timeout=120)
        assert stats["holding"] == 1 and stats["messages"] >= COUNT // 2
        first.send_signal(signal.SIGKILL)
        await first.wait()
        await client.control("faults/clear")

        second = await _sender(db_url, base)
        out, _ = await asyncio.wait_for(second.communicate(), 120)
        assert second.returncode == 0, out.decode()

        repeated = 0
        for u in users:
            texts = [m["text"] for m in await client.chat(u.id) if m["from"]["is_bot"]]
            assert texts and set(texts) == {f"提醒 {u.id}"}, (u.id, texts)
            repeated += len(texts) - 1
        assert repeated <= IN_FLIGHT + SETTLE_BATCH
        async with sessions() as s:
            assert set((await s.scalars(select(Outbox.status))).all()) == {"sent"}
    finally:
        await client.close()
        await emulator.stop()
