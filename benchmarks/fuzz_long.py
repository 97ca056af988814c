"""A long fuzz of the real dispatcher through the emulator (SQLite): the same generated
updates as tests/test_fuzz.py, many more of them. Prints updates/s and any problem found.

    python benchmarks/fuzz_long.py [--updates 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as seed_
from hypothesis import strategies as st

from tests.fuzzing import Fuzzer, actions

PER_EXAMPLE = 50


def main(updates: int, seed: int) -> None:
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory() as tmp:
        fz = Fuzzer(Path(tmp))
        loop.run_until_complete(fz.start())
        start = time.perf_counter()

        @settings(
            max_examples=updates // PER_EXAMPLE,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            st.lists(actions(len(fz.cast)), min_size=PER_EXAMPLE, max_size=PER_EXAMPLE), st.integers(0, 10**6)
        )
        def play(batch, salt):
            async def run():
                for n, a in enumerate(batch):
                    await fz.act(a, salt + n)
                await fz.reset_all()

            loop.run_until_complete(run())

        seed_(seed)(play)()
        elapsed = time.perf_counter() - start
        loop.run_until_complete(fz.stop())
    loop.close()
    print(f"{fz.updates} updates in {elapsed:.1f} s: {fz.updates / elapsed:.0f} updates/s")
    print(f"problems found: {len(fz.problems)}")
    for p in fz.problems[:20]:
        print("  ", p[:300])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    main(args.updates, args.seed)
