"""One owner's /status per update against a bare aiogram echo bot, on the same emulator, in one run.

A county (default 1,000 enterprises) is generated and imported into SQLite, one enterprise is
given an owner, then two processes run one after the other, each feeding updates through its
dispatcher one at a time (as polling does) with the emulator in the same process:
- echo: `Dispatcher()` with one handler answering the text back (aiogram as it comes);
- status: the bot (`build_app`, `build_bot`) answering /status with the enterprise's card.
Each update is timed from `feed_raw_update` to its return, the bot's sendMessage round trip
to the emulator included. Prints median and p95 per update and their ratios (goal ≤ 2×), SQL
statements per /status update, and resident memory (goal ≤ 1.5× echo).

    python benchmarks/status_update.py [--enterprises 1000] [--updates 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

WARM = 200


def _rss_mib() -> tuple[float, float]:
    """(current, peak) resident memory of this process."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


async def _timed(send, updates: int) -> list[float]:
    times = []
    for n in range(WARM + updates):
        start = time.perf_counter()
        await send()
        if n >= WARM:
            times.append((time.perf_counter() - start) * 1000)
    return times


async def _both(run, send, text: str, updates: int) -> dict:
    """Per update: polled (the message goes out with getUpdates, is handled, and its offset
    is acknowledged, as in production) and fed (the dispatcher alone)."""
    polled = await _timed(lambda: send(run.user, text), updates)
    fed = await _timed(lambda: run.feed_message(run.user, text), updates)
    return {"polled": polled, "fed": fed}


class _EchoRun:
    """aiogram as it comes: `Dispatcher()`, one handler answering the text back, polling the
    same emulator the same way the bot's harness does. Nothing of the bot is imported (the
    harness imports it all), so its memory is aiogram's and the emulator's."""

    def __init__(self) -> None:
        from aiogram import Dispatcher
        from aiogram.types import Message

        from bot.emulator.server import Emulator

        self.emulator = Emulator()
        self.dispatcher = Dispatcher()

        @self.dispatcher.message()
        async def echo(message: Message) -> None:
            await message.answer(message.text)

    async def __aenter__(self) -> _EchoRun:
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        base = await self.emulator.start()
        self.bot = Bot("123456789:echo", session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
        self.http = aiohttp.ClientSession()
        self.send_url = base + "/control/send"
        self.polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot, handle_as_tasks=False, handle_signals=False, close_bot_session=False
            )
        )
        await asyncio.wait_for(self.emulator.first_poll.wait(), 30)
        return self

    async def send(self, user: dict, text: str) -> None:
        """As `EmulatorClient.send`: returns once the bot has handled the message."""
        async with self.http.post(self.send_url, json={"user": user, "text": text}) as resp:
            assert (await resp.json())["processed"]

    async def feed_message(self, user: dict, text: str) -> None:
        state = self.emulator.state
        _, update = self.emulator.message_update({"user": user, "text": text})
        update["update_id"] = state.next_update_id
        state.next_update_id += 1
        await self.dispatcher.feed_raw_update(self.bot, update)

    async def __aexit__(self, *exc: object) -> None:
        await self.dispatcher.stop_polling()
        await self.polling
        await self.http.close()
        await self.bot.session.close()
        await self.emulator.stop()


async def _echo(updates: int, _db: str, _uscc: str) -> dict:
    async with _EchoRun() as run:
        run.user = {"id": 7_100_000_001, "first_name": "Echo", "language_code": "zh"}
        return {**await _both(run, run.send, "/status", updates), "statements": 0}


async def _status(updates: int, db: str, uscc: str) -> dict:
    from sqlalchemy import event

    from bot.config import Settings
    from bot.emulator.harness import LocalRun, TgUser
    from domain.anonymity import TipKeys
    from storage.clock import utcnow
    from storage.users import accept_invite, create_invite

    secret = secrets.token_urlsafe(48)
    settings = Settings(_env_file=None, database_url=db, tip_secret=secret, redis_url="")
    owner = TgUser(7_100_000_002, "Owner")
    async with LocalRun(settings) as run:
        run.user = owner
        keys = TipKeys.from_secret(secret)
        async with run.app.sessions() as s:
            _, code = await create_invite(s, keys, "owner", uscc, None, 1, utcnow())
            await accept_invite(s, keys, code, owner.id, owner.first_name, utcnow(), owner.language_code)
        reply = await run.client.send(owner, "/status")
        assert uscc in reply.text, reply.text  # the card, not a refusal
        count = [0]

        def counted(*_args) -> None:
            count[0] += 1

        event.listen(run.app.engine.sync_engine, "before_cursor_execute", counted)
        result = await _both(run, run.client.send, "/status", updates)
    return {**result, "statements": count[0] / (2 * (WARM + updates))}


def _child(side: str, updates: int, db: str, uscc: str) -> None:
    run = {"echo": _echo, "status": _status}[side]
    result = asyncio.run(run(updates, db, uscc))
    result["rss"], result["peak"] = _rss_mib()
    print(json.dumps(result))


async def _county(tmp: str, n: int) -> tuple[str, str]:
    from sqlalchemy import func, select

    from domain.synthetic import generate
    from storage.clock import today
    from storage.db import create_engine, session_factory
    from storage.importer import import_directory
    from storage.migrate import upgrade
    from storage.models import Enterprise, Hazard

    folder = Path(tmp) / "county"
    generate(folder, n, seed=1, today=today(ZoneInfo("Asia/Shanghai")))
    url = f"sqlite+aiosqlite:///{tmp}/status.db"
    await upgrade(url)
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        await import_directory(session, folder)
        # An enterprise with hazards, so the card has deadlines to show.
        uscc = await session.scalar(
            select(Enterprise.uscc)
            .join(Hazard, Hazard.enterprise_id == Enterprise.id)
            .group_by(Enterprise.id)
            .order_by(func.count().desc())
            .limit(1)
        )
    await engine.dispose()
    return url, uscc


def _pct(times: list[float], q: float) -> float:
    return statistics.quantiles(times, n=100)[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--side", choices=["echo", "status"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--uscc", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        _child(args.side, args.updates, args.db, args.uscc)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db, uscc = asyncio.run(_county(tmp, args.enterprises))
        results = {}
        for side in ("echo", "status"):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--side",
                    side,
                    "--updates",
                    str(args.updates),
                    "--db",
                    db,
                    "--uscc",
                    uscc,
                ],
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            ).stdout
            results[side] = json.loads(out.strip().splitlines()[-1])
    for mode in ("polled", "fed"):
        figures = {}
        for side, r in results.items():
            figures[side] = (statistics.median(r[mode]), _pct(r[mode], 95))
            print(
                f"{mode:6s} {side:6s} median {figures[side][0]:6.2f} ms, p95 {figures[side][1]:6.2f} ms per update"
            )
        (em, ep), (sm, sp) = figures["echo"], figures["status"]
        print(f"{mode:6s} /status vs echo: median {sm / em:.2f}×, p95 {sp / ep:.2f}× (goal ≤ 2)")
    echo, status = results["echo"], results["status"]
    print(
        f"RSS: echo {echo['rss']:.0f} MiB (peak {echo['peak']:.0f}), /status {status['rss']:.0f} MiB "
        f"(peak {status['peak']:.0f}): {status['rss'] / echo['rss']:.2f}× (goal ≤ 1.5)"
    )
    print(
        f"SQL statements per /status update: {status['statements']:.1f} "
        f"({args.enterprises} enterprises, {args.updates} updates per mode and side)"
    )


if __name__ == "__main__":
    main()
