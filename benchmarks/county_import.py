"""Generate a county and import it: seconds for each step and the import's peak memory, on
SQLite and (with BENCH_DATABASE_URL, an empty PostgreSQL database) on PostgreSQL.

Memory is measured in a fresh process per import, twice: as the command line runs it, and in
a process that has first built the whole bot (aiogram, handlers, dispatcher), as when an
administrator sends a file in the chat. Peak RSS is the process's high-water mark
(ru_maxrss); "before" is its RSS once loaded, before the first row is read.

    python benchmarks/county_import.py [--enterprises 30000]

Run it with another checkout on PYTHONPATH to compare two versions of the importer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import empty_postgres

from domain.synthetic import generate
from storage.db import create_engine, session_factory
from storage.importer import import_directory
from storage.migrate import upgrade


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _child(url: str, folder: Path, with_bot: bool) -> dict:
    """One import in this process (a fresh one), as the parent asked."""
    if with_bot:
        from bot.app import build_app
        from bot.config import Settings

        app = build_app(Settings(_env_file=None, database_url=url))
        engine = app.engine
    else:
        engine = create_engine(url)
    before = _rss_mib()
    start = time.perf_counter()
    async with session_factory(engine)() as session:
        results = await import_directory(session, folder)
    seconds = time.perf_counter() - start
    await engine.dispose()
    return {
        "seconds": seconds,
        "before": before,
        "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "changed": sum(r.inserted + r.updated for r in results),
        "rows": sum(r.rows for r in results),
        "written": all(r.written for r in results),
    }


def _in_fresh_process(url: str, folder: Path, with_bot: bool) -> dict:
    args = [sys.executable, __file__, "--child", url, str(folder)] + (["--with-bot"] if with_bot else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _reset(name: str, url: str) -> None:
    if name == "postgresql":
        asyncio.run(empty_postgres(url))
    else:
        Path(url.split("///", 1)[1]).unlink(missing_ok=True)
        asyncio.run(upgrade(url))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=30000)
    parser.add_argument("--child", nargs=2, metavar=("URL", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--with-bot", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_child(args.child[0], Path(args.child[1]), args.with_bot))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "county"
        start = time.perf_counter()
        counts = generate(folder, args.enterprises, seed=1)
        print(f"generate: {time.perf_counter() - start:.1f} s for {counts}")
        targets = {"sqlite": f"sqlite+aiosqlite:///{tmp}/bench.db"}
        if os.environ.get("BENCH_DATABASE_URL"):
            targets["postgresql"] = os.environ["BENCH_DATABASE_URL"]
        for name, url in targets.items():
            for with_bot in (False, True):
                _reset(name, url)
                first = _in_fresh_process(url, folder, with_bot)
                second = _in_fresh_process(url, folder, with_bot)
                where = "in the bot's process" if with_bot else "command line"
                print(
                    f"{name}, {where}: first import {first['seconds']:.1f} s "
                    f"({first['rows'] / first['seconds']:,.0f} rows/s), peak RSS {first['peak']:.0f} MiB "
                    f"(loaded {first['before']:.0f} MiB, import +{first['peak'] - first['before']:.0f}); "
                    f"second import {second['seconds']:.1f} s, peak RSS {second['peak']:.0f} MiB, "
                    f"{second['changed']} rows changed; ratio second/first "
                    f"{second['seconds'] / first['seconds']:.2f}"
                )


if __name__ == "__main__":
    main()
