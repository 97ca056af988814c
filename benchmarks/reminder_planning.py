"""Reminder planning on a generated county (30,000 enterprises, ~300,000 hazards) with an
owner for every enterprise, five staff per agency and a regulator per township: seconds for a
first run (plan, log, one outbox row per recipient) and a second run the same day (nothing
new), on SQLite and, with BENCH_DATABASE_URL (an empty database), on PostgreSQL.

    python benchmarks/reminder_planning.py [--enterprises 30000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import date
from pathlib import Path

from common import empty_postgres
from sqlalchemy import func, insert, select

from bot.i18n import Translator
from domain.enums import Role
from domain.reminders import ReminderSettings
from domain.synthetic import generate
from notifications.reminders import run_reminders
from storage.db import create_engine, session_factory
from storage.importer import import_directory
from storage.migrate import upgrade
from storage.models import Agency, Enterprise, Outbox, RoleGrant, User


async def _people(session) -> int:
    """Owners, staff and regulators as role grants, in bulk."""
    grants, users = [], []
    uid = 10**9
    for (eid,) in (await session.execute(select(Enterprise.id))).all():
        uid += 1
        users.append({"id": uid})
        grants.append({"user_id": uid, "role": Role.owner, "target": "-", "enterprise_id": eid})
    for (aid,) in (await session.execute(select(Agency.id))).all():
        for _ in range(5):
            uid += 1
            users.append({"id": uid})
            grants.append({"user_id": uid, "role": Role.staff, "target": "-", "agency_id": aid})
    for (division,) in (await session.execute(select(Enterprise.division).distinct())).all():
        uid += 1
        users.append({"id": uid})
        grants.append({"user_id": uid, "role": Role.regulator, "target": division})
    for start in range(0, len(users), 5000):
        await session.execute(insert(User), users[start : start + 5000])
        await session.execute(insert(RoleGrant), grants[start : start + 5000])
    await session.commit()
    return len(users)


async def _bench(url: str, folder: Path, today: date) -> None:
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session:
        await import_directory(session, folder)
        people = await _people(session)
    translator = Translator("zh")
    for label in ("first run", "second run"):
        start = time.perf_counter()
        async with sessions() as session:
            recipients, items = await run_reminders(session, translator, today, ReminderSettings())
        elapsed = time.perf_counter() - start
        print(f"  {label}: {elapsed:.1f} s, {items} items for {recipients} of {people} people")
    async with sessions() as session:
        print(f"  outbox rows: {await session.scalar(select(func.count()).select_from(Outbox))}")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=30000)
    args = parser.parse_args()
    today = date.today()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "county"
        print(generate(folder, args.enterprises, seed=1, today=today))
        print("sqlite:")
        asyncio.run(_bench(f"sqlite+aiosqlite:///{tmp}/plan.db", folder, today))
        if os.environ.get("BENCH_DATABASE_URL"):
            print("postgresql:")
            asyncio.run(empty_postgres(os.environ["BENCH_DATABASE_URL"]))
            asyncio.run(_bench(os.environ["BENCH_DATABASE_URL"], folder, today))


if __name__ == "__main__":
    main()
