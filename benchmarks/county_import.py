"""Generate a county and import it: seconds for each step, on SQLite and (with
BENCH_DATABASE_URL, an empty PostgreSQL database) on PostgreSQL.

    python benchmarks/county_import.py [--enterprises 30000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from domain.synthetic import generate
from storage.db import create_engine, session_factory
from storage.importer import import_directory
from storage.migrate import upgrade


async def _import(url: str, folder: Path) -> tuple[float, float, int]:
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        async with sessions() as session:
            results = await import_directory(session, folder)
        timings.append(time.perf_counter() - start)
    await engine.dispose()
    changed = sum(r.inserted + r.updated for r in results)
    return timings[0], timings[1], changed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=30000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "county"
        start = time.perf_counter()
        counts = generate(folder, args.enterprises, seed=1)
        gen = time.perf_counter() - start
        print(f"generate: {gen:.1f} s for {counts}")
        targets = {"sqlite": f"sqlite+aiosqlite:///{tmp}/bench.db"}
        if os.environ.get("BENCH_DATABASE_URL"):
            targets["postgresql"] = os.environ["BENCH_DATABASE_URL"]
        for name, url in targets.items():
            first, second, changed = asyncio.run(_import(url, folder))
            print(
                f"{name}: first import {first:.1f} s, second import {second:.1f} s "
                f"({changed} rows changed by the second; ratio second/first {second / first:.2f})"
            )


if __name__ == "__main__":
    main()
