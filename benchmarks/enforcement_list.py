"""The yearly enforcement list over a full county: the rule's query (latest dates per
enterprise, the rule applied in Python) against the NOT EXISTS query it replaced, in one run.

Generates a county of 30,000 enterprises, imports it into SQLite (and PostgreSQL with
BENCH_DATABASE_URL, an empty database), then prints the median time of each query over the
whole county and their ratio. Goal: the rule's query under 2 s at 30,000 enterprises (it is
pressed for an export and counted in /coverage). The old query answers a different question
(it stops at any indicator record, so it lists almost no one) and is shown for scale only.

    python benchmarks/enforcement_list.py [--enterprises 30000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from common import empty_postgres
from sqlalchemy import exists, select

from domain.enforcement import window_start
from domain.synthetic import COUNTY, generate
from storage.db import create_engine, session_factory
from storage.headline import enforcement_list
from storage.importer import import_directory
from storage.migrate import upgrade
from storage.models import Contract, Enterprise, IndicatorRecord, Inspection
from storage.regulator import in_jurisdiction


async def old_list(session, prefixes: list[str], today: date, months: int) -> list[tuple]:
    """The query before the rule (contract, any indicator record, government inspection)."""
    since = window_start(today, months)
    rows = await session.execute(
        select(Enterprise.division, Enterprise.uscc, Enterprise.name, Enterprise.industry)
        .where(
            in_jurisdiction(prefixes),
            ~exists().where(
                Contract.enterprise_id == Enterprise.id,
                Contract.end_date >= since,
                Contract.start_date <= today,
            ),
            ~exists().where(
                IndicatorRecord.enterprise_id == Enterprise.id, IndicatorRecord.fulfilled_on >= since
            ),
            ~exists().where(Inspection.enterprise_id == Enterprise.id, Inspection.date >= since),
        )
        .order_by(Enterprise.division, Enterprise.name)
    )
    return [tuple(r) for r in rows]


async def _medians(url: str, folder: Path, runs: int, today: date) -> tuple[float, float, int, int]:
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session:
        await import_directory(session, folder)
    times: dict[str, list[float]] = {"new": [], "old": []}
    sizes = {}
    async with sessions() as session:
        for _ in range(runs):
            for name, query in (
                ("new", lambda: enforcement_list(session, [COUNTY], today, 12, "HAZARD")),
                ("old", lambda: old_list(session, [COUNTY], today, 12)),
            ):
                start = time.perf_counter()
                sizes[name] = len(await query())
                times[name].append(time.perf_counter() - start)
    await engine.dispose()
    return statistics.median(times["new"]), statistics.median(times["old"]), sizes["new"], sizes["old"]


async def main(enterprises: int, runs: int) -> None:
    today = date.today()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "county"
        folder.mkdir()
        generate(folder, enterprises, seed=7, today=today)
        targets = [("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db")]
        if os.environ.get("BENCH_DATABASE_URL"):
            await empty_postgres(os.environ["BENCH_DATABASE_URL"])
            targets.append(("postgresql", os.environ["BENCH_DATABASE_URL"]))
        for backend, url in targets:
            new, old, listed, listed_before = await _medians(url, folder, runs, today)
            print(
                f"{backend}: {enterprises} enterprises; rule's query {new * 1000:.0f} ms "
                f"({listed} listed), old query {old * 1000:.0f} ms ({listed_before} listed); "
                f"ratio {new / old:.2f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.enterprises, args.runs))
