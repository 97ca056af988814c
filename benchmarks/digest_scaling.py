"""The weekly digest's memory must not grow with the county (its time may: it reads every
enterprise).

Generates a small county (1,000 enterprises) and a full one (30,000), imports each into SQLite,
then for the county-wide digest prints the time and the peak of Python memory (tracemalloc,
measured in a second run) of
  figures  — this week's and last week's figures (colour counts included), as storage/digest.py
             computes them;
  workbook — the whole digest (text, chart and XLSX, whose colour sheet lists every enterprise),
and the ratios 30,000 / 1,000. Goal for the figures' memory: a ratio under 3 (enterprises are
decided 2,000 at a time, twice the small county; loading them all at once gave 30). The
workbook lists every enterprise, so its memory grows with the county by nature.

    python benchmarks/digest_scaling.py [--sizes 1000,30000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

from bot.config import Settings
from bot.i18n import Translator
from domain.indicators import load_catalogue
from domain.synthetic import COUNTY, generate
from notifications.digest import build
from storage import digest as q
from storage.db import create_engine, session_factory
from storage.importer import import_directory
from storage.migrate import upgrade

SIZES = (1_000, 30_000)


async def _figures(session, settings: Settings, today: date) -> None:
    week, catalogue, th = q.Week.last_full(today), load_catalogue(), settings.thresholds()
    for w in (week, week.previous()):
        await q.figures(session, COUNTY, w, settings.report_due_days, catalogue, th)


async def _workbook(session, settings: Settings, today: date) -> None:
    await build(session, Translator("zh", autoescape=False).bind("zh"), COUNTY, today, settings)


async def _measure(url: str, today: date, settings: Settings) -> dict[str, tuple[float, float]]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    out = {}
    for name, job in (("figures", _figures), ("workbook", _workbook)):
        async with sessions() as session:
            await job(session, settings, today)  # warm the caches alike at both sizes
        async with sessions() as session:
            start = time.perf_counter()
            await job(session, settings, today)
            seconds = time.perf_counter() - start
        async with sessions() as session:
            tracemalloc.start()
            await job(session, settings, today)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        out[name] = (seconds, peak)
    await engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    sizes = [int(n) for n in parser.parse_args().sizes.split(",")]
    today = date.today()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            folder = Path(tmp) / f"county{n}"
            generate(folder, n, seed=1, today=today)
            url = f"sqlite+aiosqlite:///{tmp}/digest{n}.db"
            asyncio.run(upgrade(url))

            async def load(url=url, folder=folder) -> None:
                engine = create_engine(url)
                async with session_factory(engine)() as session:
                    await import_directory(session, folder)
                await engine.dispose()

            asyncio.run(load())
            settings = Settings(_env_file=None, database_url=url)
            got = asyncio.run(_measure(url, today, settings))
            results.append(got)
            for name, (seconds, peak) in got.items():
                print(f"sqlite {n:6d} enterprises: {name:8s} {seconds:7.2f} s, peak {peak:7.1f} MiB")
    small, large = results
    for name in small:
        print(
            f"sqlite ratio {sizes[1]:,} / {sizes[0]:,}: {name:8s} time {large[name][0] / small[name][0]:.1f}, "
            f"peak memory {large[name][1] / small[name][1]:.2f}"
        )


if __name__ == "__main__":
    main()
