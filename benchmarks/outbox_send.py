"""Sending through the emulator with Telegram's limits enforced, a round trip added to every
call and 1% of sends answered 502.

1. Throughput: 1,000 messages to 1,000 chats and 1,000 messages to 100 chats, round trips of
   0, 100 and 300 ms: messages/s as a share of the 30/s cap, 429s received, duplicates, lost.
   aiogram-broadcaster (when installed: `pip install aiogram-broadcaster`) in the same run as
   the reference (one mailer per round of chats, 1/30 s between sends, as its docs suggest).
2. Crash window: a `jobs run outbox` process is killed (SIGKILL) while sends are in flight and
   accepted sends are not yet recorded, then restarted; duplicates against the promised bound
   (OUTBOX_IN_FLIGHT + OUTBOX_SETTLE_BATCH) and losses.

    python benchmarks/outbox_send.py [--messages 1000] [--rtt 0,100,300] [--only outbox|reference|crash]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
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

try:
    from aiogram_broadcaster import Broadcaster
    from aiogram_broadcaster.contents import TextContent
    from aiogram_broadcaster.intervals import SimpleInterval
except ImportError:  # the reference is optional
    Broadcaster = None


def _users(chats: int) -> list[TgUser]:
    return [TgUser(7_000_000_000 + i, f"U{i}") for i in range(chats)]


def _plan(messages: int, chats: int) -> list[tuple[int, str]]:
    users = _users(chats)
    return [(users[i % chats].id, f"提醒 {i // chats}") for i in range(messages)]


def _serve(port_out) -> None:
    """The emulator in a process of its own, as Telegram is: the sender's work never delays
    its clock."""

    async def serve() -> None:
        emulator = Emulator()
        port_out.put(await emulator.start())
        await asyncio.Event().wait()

    asyncio.run(serve())


class _Remote:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        self.process = ctx.Process(target=_serve, args=(queue,), daemon=True)
        self.process.start()
        self.base = queue.get(timeout=60)

    async def stop(self) -> None:
        self.process.terminate()
        self.process.join()


async def _emulator(chats: int, rtt_ms: int) -> tuple[_Remote, EmulatorClient, Bot]:
    emulator = _Remote()
    base = emulator.base
    client = EmulatorClient(base)
    await client.control("users", users=[u.as_dict() for u in _users(chats)])
    await client.control("limits", enforce=True)
    await client.control("latency", seconds=rtt_ms / 1000)
    await client.control("faults", method="sendMessage", status=502, count=10**6, every=100)
    bot = Bot(DEMO_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
    return emulator, client, bot


async def _tally(client: EmulatorClient, plan: list[tuple[int, str]]) -> tuple[int, int, int]:
    """Duplicates, lost, and messages accepted."""
    events = [e for e in (await client.events(count=0))["events"] if e["kind"] == "message"]
    got = Counter((e["chat_id"], e["message"]["text"]) for e in events)
    want = Counter(plan)
    dup = sum(max(0, got[k] - want[k]) for k in got)
    lost = sum(max(0, want[k] - got[k]) for k in want)
    return dup, lost, len(events)


async def ours(messages: int, chats: int, rtt_ms: int, tmp: str) -> dict:
    plan = _plan(messages, chats)
    url = f"sqlite+aiosqlite:///{tmp}/ours_{messages}_{chats}_{rtt_ms}.db"
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session:
        for n, (chat, text) in enumerate(plan):
            await enqueue(session, chat, "reminder", text, dedupe_key=f"bench:{n}")
        await session.commit()
    emulator, client, bot = await _emulator(chats, rtt_ms)
    sender = Sender(sessions)
    start = time.perf_counter()
    await sender.flush(bot, horizon=10)
    elapsed = time.perf_counter() - start
    result = await _close(emulator, client, bot, plan, elapsed)
    await engine.dispose()
    return result


async def reference(messages: int, chats: int, rtt_ms: int) -> dict:
    plan = _plan(messages, chats)
    emulator, client, bot = await _emulator(chats, rtt_ms)
    broadcaster = Broadcaster(bot)
    ids = [u.id for u in _users(chats)]
    start = time.perf_counter()
    for r in range(messages // chats):  # a mailer sends one content to each of its chats once
        mailer = await broadcaster.create_mailer(
            chats=ids,
            content=TextContent(text=f"提醒 {r}"),
            interval=SimpleInterval(interval=1 / GLOBAL_RATE),
        )
        await mailer.start()
    elapsed = time.perf_counter() - start
    return await _close(emulator, client, bot, plan, elapsed)


async def _close(emulator, client, bot, plan, elapsed) -> dict:
    stats = await client.stats()
    dup, lost, accepted = await _tally(client, plan)
    await bot.session.close()
    await client.close()
    await emulator.stop()
    rate = accepted / elapsed
    return {
        "rate": rate,
        "share": rate / GLOBAL_RATE,
        "too_many": stats["too_many"],
        "dup": dup,
        "lost": lost,
        "elapsed": elapsed,
    }


def _line(who: str, messages: int, chats: int, rtt: int, r: dict) -> str:
    return (
        f"{who:<12} {messages:>5} msgs to {chats:>5} chats, rtt {rtt:>3} ms: {r['rate']:5.2f}/s = "
        f"{r['share']:6.1%} of cap in {r['elapsed']:5.1f} s; 429s {r['too_many']}; "
        f"duplicates {r['dup']}; lost {r['lost']}"
    )


async def crash(n: int, tmp: str, in_flight: int = 16, settle_batch: int = 32) -> None:
    plan = _plan(n, n)
    url = f"sqlite+aiosqlite:///{tmp}/crash.db"
    await upgrade(url)
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        for k, (chat, text) in enumerate(plan):
            await enqueue(session, chat, "reminder", text, dedupe_key=f"crash:{k}")
        await session.commit()
    await engine.dispose()
    emulator = _Remote()
    base = emulator.base
    client = EmulatorClient(base)
    await client.control("users", users=[u.as_dict() for u in _users(n)])
    await client.control("latency", seconds=0.1)
    env = {
        "DATABASE_URL": url,
        "BOT_TOKEN": DEMO_TOKEN,
        "TELEGRAM_API_URL": base,
        "OUTBOX_LEASE_SECONDS": "2",
        "OUTBOX_IN_FLIGHT": str(in_flight),
        "OUTBOX_SETTLE_BATCH": str(settle_batch),
        "LOG_LEVEL": "ERROR",
        "PATH": "/usr/bin:/bin",
    }
    first = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "jobs", "run", "outbox", env=env
    )
    # Killed right after Telegram accepted half: sends in flight, outcomes not yet written.
    stats = await client.stats(messages=n // 2, timeout=600)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    second = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "jobs", "run", "outbox", env=env
    )
    await second.wait()
    dup, lost, _ = await _tally(client, plan)
    print(
        f"crash: killed after {stats['messages']} of {n} accepted (round trip 100 ms); after restart: "
        f"duplicates {dup} (promised bound {in_flight + settle_batch}), lost {lost}, "
        f"exit code {second.returncode}"
    )
    await client.close()
    await emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rtt", default="0,100,300")
    parser.add_argument("--only", choices=["outbox", "reference", "crash"])
    args = parser.parse_args()
    n = args.messages
    with tempfile.TemporaryDirectory() as tmp:
        for chats in (n, n // 10):
            for rtt in (int(x) for x in args.rtt.split(",")):
                if args.only in (None, "outbox"):
                    r = asyncio.run(ours(n, chats, rtt, tmp))
                    print(_line("outbox", n, chats, rtt, r), flush=True)
                if Broadcaster is not None and args.only in (None, "reference"):
                    r = asyncio.run(reference(n, chats, rtt))
                    print(_line("broadcaster", n, chats, rtt, r), flush=True)
        if args.only in (None, "crash"):
            asyncio.run(crash(n, tmp))


if __name__ == "__main__":
    main()
