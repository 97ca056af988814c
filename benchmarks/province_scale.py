"""A city on PostgreSQL: 300,000 enterprises and some 3 million hazards by default, against a
county of 1,000 in a second database. One phase per run, so a shared machine is held only as
long as each phase takes; figures of a phase are printed and kept in WORK/figures.json.

    BENCH_DATABASE_URL=postgresql+asyncpg://.../city  BENCH_SMALL_DATABASE_URL=.../small \\
    python benchmarks/province_scale.py generate --enterprises 300000 --work /tmp/city
    python benchmarks/province_scale.py import   --work /tmp/city   # both databases emptied first
    python benchmarks/province_scale.py plan     --work /tmp/city   # reminder planning, first and repeat
    python benchmarks/province_scale.py digest   --work /tmp/city   # the weekly digest, every regulator
    python benchmarks/province_scale.py status   --work /tmp/city   # status view, city vs 1,000

The import adds an owner for every enterprise, five staff per agency and a regulator per
township (as benchmarks/reminder_planning.py does), then ANALYZE, as after any bulk load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import time
from datetime import date
from pathlib import Path

from common import empty_postgres
from reminder_planning import _people as add_people
from sqlalchemy import func, select, text

from bot.config import Settings
from bot.i18n import Translator
from bot.progress import Progress
from domain.compliance import Thresholds
from domain.indicators import load_catalogue
from domain.reminders import ReminderSettings
from domain.synthetic import generate
from notifications.digest import enqueue_weekly
from notifications.reminders import run_reminders
from storage.db import create_engine, session_factory
from storage.importer import import_directory
from storage.models import Enterprise, Hazard, Outbox
from storage.profiles import build_profile

SMALL = 1_000


def _urls() -> dict[str, str]:
    return {"city": os.environ["BENCH_DATABASE_URL"], "small": os.environ["BENCH_SMALL_DATABASE_URL"]}


def _keep(work: Path, **figures: object) -> None:
    path = work / "figures.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept.update(figures)
    path.write_text(json.dumps(kept, indent=1, default=str))
    for name, value in figures.items():
        print(f"{name}: {value}")


def _today(work: Path) -> date:
    return date.fromisoformat(json.loads((work / "figures.json").read_text())["today"])


def phase_generate(work: Path, enterprises: int) -> None:
    today = date.today()
    start = time.perf_counter()
    counts = generate(work / "city", enterprises, seed=1, today=today, progress=Progress())
    seconds = time.perf_counter() - start
    generate(work / "small", SMALL, seed=1, today=today)
    _keep(work, today=today, city=counts, generate_s=round(seconds, 1))


async def _import(url: str, folder: Path, progress: Progress | None) -> tuple[float, int, int]:
    await empty_postgres(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    start = time.perf_counter()
    async with sessions() as session:
        results = await import_directory(session, folder, progress=progress)
    seconds = time.perf_counter() - start
    async with sessions() as session:
        people = await add_people(session)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE"))
    await engine.dispose()
    assert all(r.written and not r.errors for r in results)
    return seconds, sum(r.rows for r in results), people


def phase_import(work: Path) -> None:
    urls = _urls()
    seconds, rows, people = asyncio.run(_import(urls["city"], work / "city", Progress()))
    asyncio.run(_import(urls["small"], work / "small", None))
    _keep(
        work,
        import_s=round(seconds, 1),
        import_rows=rows,
        import_rows_per_s=round(rows / seconds),
        import_peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        people=people,
    )


async def _plan(url: str, today: date) -> list[tuple[float, int, int]]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    runs = []
    for _ in range(2):
        start = time.perf_counter()
        async with sessions() as session:
            recipients, items = await run_reminders(session, Translator("zh"), today, ReminderSettings())
        runs.append((round(time.perf_counter() - start, 1), recipients, items))
    await engine.dispose()
    return runs


def phase_plan(work: Path) -> None:
    (first, repeat) = asyncio.run(_plan(_urls()["city"], _today(work)))
    _keep(
        work,
        plan_first_s=first[0],
        plan_first_recipients=first[1],
        plan_first_items=first[2],
        plan_repeat_s=repeat[0],
        plan_repeat_items=repeat[2],
    )


async def _digest(url: str, today: date) -> tuple[float, int, int]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    settings = Settings(_env_file=None, database_url=url)
    async with sessions() as session:
        before = await session.scalar(select(func.count()).select_from(Outbox))
        start = time.perf_counter()
        regulators = await enqueue_weekly(session, Translator("zh"), settings, today)
        seconds = time.perf_counter() - start
        queued = await session.scalar(select(func.count()).select_from(Outbox)) - before
    await engine.dispose()
    return round(seconds, 1), regulators, queued


def phase_digest(work: Path) -> None:
    seconds, regulators, queued = asyncio.run(_digest(_urls()["city"], _today(work)))
    _keep(work, digest_s=seconds, digest_regulators=regulators, digest_outbox_rows=queued)


async def _status_ms(urls: dict[str, str], today: date, samples: int) -> dict[str, tuple]:
    """Median and p95 ms of one enterprise's detailed status (what /status shows) in each
    database, sampled in turn so that the shared machine's load falls on both alike."""
    catalogue, th = load_catalogue(), Thresholds()
    engines = {name: create_engine(url) for name, url in urls.items()}
    sessions = {name: session_factory(engine)() for name, engine in engines.items()}
    picks, sizes, times = {}, {}, {name: [] for name in urls}
    for name, session in sessions.items():
        ids = list((await session.scalars(select(Enterprise.id))).all())
        sizes[name] = (len(ids), await session.scalar(select(func.count()).select_from(Hazard)))
        picks[name] = random.Random(0).sample(ids, min(samples, len(ids)))
        for eid in picks[name][:20]:  # warm the caches alike at both sizes
            await build_profile(session, await session.get(Enterprise, eid), today, catalogue, th, True)
    for i in range(samples):
        for name, session in sessions.items():
            ent = await session.get(Enterprise, picks[name][i % len(picks[name])])
            start = time.perf_counter()
            await build_profile(session, ent, today, catalogue, th, detailed=True)
            times[name].append((time.perf_counter() - start) * 1000)
    for name in urls:
        await sessions[name].close()
        await engines[name].dispose()
    return {
        name: (statistics.median(t), statistics.quantiles(t, n=20)[-1], *sizes[name])
        for name, t in times.items()
    }


def phase_status(work: Path, samples: int) -> None:
    ms = asyncio.run(_status_ms(_urls(), _today(work), samples))
    small, city = ms["small"], ms["city"]
    _keep(
        work,
        status_small=f"{small[2]:,} enterprises, {small[3]:,} hazards: median {small[0]:.2f} ms, p95 {small[1]:.2f} ms",
        status_city=f"{city[2]:,} enterprises, {city[3]:,} hazards: median {city[0]:.2f} ms, p95 {city[1]:.2f} ms",
        status_ratio_median=round(city[0] / small[0], 2),
        status_ratio_p95=round(city[1] / small[1], 2),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["generate", "import", "plan", "digest", "status"])
    parser.add_argument("--work", type=Path, required=True, help="folder for the files and figures.json")
    parser.add_argument("--enterprises", type=int, default=300_000)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.phase == "generate":
        phase_generate(args.work, args.enterprises)
    elif args.phase == "import":
        phase_import(args.work)
    elif args.phase == "plan":
        phase_plan(args.work)
    elif args.phase == "digest":
        phase_digest(args.work)
    else:
        phase_status(args.work, args.samples)


if __name__ == "__main__":
    main()
