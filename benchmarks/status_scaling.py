"""The cost of one enterprise's status must not grow with the county.

Generates a small county (1,000 enterprises) and a full one (30,000 enterprises, ~300,000
hazards), imports each, then times building the status of sampled enterprises and prints the
medians and their ratio (goal: under 1.5). SQLite always; PostgreSQL too with
BENCH_DATABASE_URL (an empty database; it is reused for both sizes, emptied in between).

    python benchmarks/status_scaling.py [--samples 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from common import empty_postgres
from sqlalchemy import select

from domain.compliance import Thresholds
from domain.indicators import load_catalogue
from domain.synthetic import generate
from storage.db import create_engine, session_factory
from storage.importer import import_directory
from storage.migrate import upgrade
from storage.models import Enterprise
from storage.profiles import build_profile

SIZES = (1_000, 30_000)


async def _median_status_ms(url: str, folder: Path, samples: int, today: date) -> tuple[float, int]:
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session:
        await import_directory(session, folder)
    catalogue, th = load_catalogue(), Thresholds()
    async with sessions() as session:
        ids = list((await session.scalars(select(Enterprise.id))).all())
        picks = random.Random(0).sample(ids, min(samples, len(ids)))
        for eid in picks[:20]:  # warm the caches alike at both sizes
            await build_profile(
                session, await session.get(Enterprise, eid), today, catalogue, th, detailed=True
            )
        times = []
        for eid in picks:
            ent = await session.get(Enterprise, eid)
            start = time.perf_counter()
            await build_profile(session, ent, today, catalogue, th, detailed=True)
            times.append((time.perf_counter() - start) * 1000)
    await engine.dispose()
    return statistics.median(times), len(ids)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    today = date.today()
    with tempfile.TemporaryDirectory() as tmp:
        results: dict[str, list[float]] = {}
        for n in SIZES:
            folder = Path(tmp) / f"county{n}"
            generate(folder, n, seed=1, today=today)
            targets = {"sqlite": f"sqlite+aiosqlite:///{tmp}/status{n}.db"}
            if os.environ.get("BENCH_DATABASE_URL"):
                targets["postgresql"] = os.environ["BENCH_DATABASE_URL"]
            for name, url in targets.items():
                if name == "postgresql":
                    asyncio.run(empty_postgres(url))
                ms, count = asyncio.run(_median_status_ms(url, folder, args.samples, today))
                results.setdefault(name, []).append(ms)
                print(
                    f"{name:10s} {count:6d} enterprises: median status {ms:.2f} ms ({args.samples} samples)"
                )
        for name, (small, large) in results.items():
            print(f"{name:10s} ratio 30,000 / 1,000 = {large / small:.2f} (goal < 1.5)")


if __name__ == "__main__":
    main()
