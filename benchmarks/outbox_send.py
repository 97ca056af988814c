"""Sending through the emulator with Telegram's limits enforced.

1. Throughput: 1,000 reminders to 1,000 chats; achieved messages/s as a share of the 30/s
   cap, 429s received, duplicates and losses.
2. Crash: a `jobs run outbox` process is killed (SIGKILL) halfway through 1,000 messages while
   a send is in flight, then restarted; every chat must get its message exactly once.

    python benchmarks/outbox_send.py [--messages 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from collections import Counter

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.emulator import Emulator
from bot.emulator.harness import DEMO_TOKEN, EmulatorClient, TgUser
from notifications.outbox import enqueue
from notifications.sender import GLOBAL_RATE, Sender
from storage.db import create_engine, session_factory
from storage.migrate import upgrade


async def _setup(url: str, n: int, client: EmulatorClient) -> list[TgUser]:
    await upgrade(url)
    users = [TgUser(7_000_000_000 + i, f"U{i}") for i in range(n)]
    await client.control("users", users=[u.as_dict() for u in users])
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        for u in users:
            await enqueue(session, u.id, "reminder", f"提醒 {u.id}", dedupe_key=f"bench:{u.id}")
        await session.commit()
    await engine.dispose()
    return users


async def _delivery(client: EmulatorClient, users: list[TgUser]) -> tuple[int, int]:
    counts = Counter()
    for u in users:
        counts[u.id] = sum(1 for m in await client.chat(u.id) if m["from"]["is_bot"])
    return sum(1 for c in counts.values() if c > 1), sum(1 for c in counts.values() if c == 0)


async def throughput(n: int, tmp: str) -> None:
    emulator = Emulator()
    base = await emulator.start()
    client = EmulatorClient(base)
    url = f"sqlite+aiosqlite:///{tmp}/throughput.db"
    users = await _setup(url, n, client)
    await client.control("limits", enforce=True)
    engine = create_engine(url)
    sender = Sender(session_factory(engine))
    bot = Bot(DEMO_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
    start = time.perf_counter()
    sent = await sender.flush(bot, horizon=5)
    elapsed = time.perf_counter() - start
    stats = await client.stats()
    dup, lost = await _delivery(client, users)
    rate = sent / elapsed
    print(
        f"throughput: {sent} messages in {elapsed:.1f} s = {rate:.2f}/s = {rate / GLOBAL_RATE:.1%} of the "
        f"{GLOBAL_RATE}/s cap; 429s received {stats['too_many']}; duplicates {dup}; lost {lost}"
    )
    await bot.session.close()
    await engine.dispose()
    await client.close()
    await emulator.stop()


async def crash(n: int, tmp: str) -> None:
    emulator = Emulator()
    base = await emulator.start()
    client = EmulatorClient(base)
    url = f"sqlite+aiosqlite:///{tmp}/crash.db"
    users = await _setup(url, n, client)
    await client.control("faults", method="sendMessage", status=0, delay=600, after=n // 2)
    env = {
        "DATABASE_URL": url,
        "BOT_TOKEN": DEMO_TOKEN,
        "TELEGRAM_API_URL": base,
        "OUTBOX_LEASE_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
        "PATH": "/usr/bin:/bin",
    }
    first = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "jobs", "run", "outbox", env=env
    )
    stats = await client.stats(holding=1, timeout=600)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    await client.control("faults/clear")
    second = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "jobs", "run", "outbox", env=env
    )
    await second.wait()
    dup, lost = await _delivery(client, users)
    print(
        f"crash: killed after {stats['messages']} of {n} with one send in flight; after restart: "
        f"duplicates {dup}, lost {lost}, exit code {second.returncode}"
    )
    await client.close()
    await emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(throughput(args.messages, tmp))
        asyncio.run(crash(args.messages, tmp))


if __name__ == "__main__":
    main()
