"""Reminder planning on a generated county (30,000 enterprises, ~300,000 hazards) with an
owner for every enterprise, five staff per agency and a regulator per township: seconds for a
first run (plan, log, one outbox row per recipient) and a second run the same day (nothing
new), side by side with the floor: the same items written by hand with one INSERT … SELECT
per occasion into the reminder log and one into the outbox (a row per recipient), rolled
back before the first run. On SQLite and, with BENCH_DATABASE_URL (an empty database), on
PostgreSQL. Targets: first run ≤ 3× the floor, second run ≤ 1 s.

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
from sqlalchemy import func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.i18n import Translator
from domain.enums import OutboxStatus, Role
from domain.indicators import load_catalogue
from domain.reminders import ReminderSettings
from domain.synthetic import generate
from notifications.reminder_items import not_logged, occasion_queries
from notifications.reminders import run_reminders
from storage.clock import utcnow
from storage.db import create_engine, session_factory
from storage.importer import import_directory
from storage.migrate import upgrade
from storage.models import Agency, Enterprise, Outbox, ReminderLog, RoleGrant, User


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


async def _floor(session, today: date, validity: dict[str, int]) -> tuple[float, int, int]:
    """The same items by hand: INSERT … SELECT into the log and the outbox; then rolled back."""
    now = utcnow()
    upsert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    start = time.perf_counter()
    for _occasion, key, stmt in occasion_queries(session, today, ReminderSettings(), validity):
        cols = list(stmt.where(not_logged(key)).subquery().c)
        await session.execute(
            upsert(ReminderLog)
            .from_select(["user_id", "item", "at"], select(cols[0], cols[4], literal(now)).where(cols[0] > 0))
            .on_conflict_do_nothing()
        )
    recipients = select(ReminderLog.user_id).where(ReminderLog.at == now).distinct().subquery()
    await session.execute(
        insert(Outbox).from_select(
            [
                "chat_id",
                "kind",
                "dedupe_key",
                "payload",
                "status",
                "attempts",
                "not_before",
                "created_at",
                "claimed_by",
            ],
            select(
                recipients.c.user_id,
                literal("reminder"),
                literal("rem:") + recipients.c.user_id.cast(Outbox.dedupe_key.type),
                literal('{"text": "⏰"}'),
                literal(OutboxStatus.pending.value),
                literal(0),
                literal(now),
                literal(now),
                literal(""),
            ),
        )
    )
    elapsed = time.perf_counter() - start
    items = await session.scalar(select(func.count()).select_from(ReminderLog))
    rows = await session.scalar(select(func.count()).select_from(Outbox))
    await session.rollback()
    return elapsed, items, rows


async def _bench(url: str, folder: Path, today: date) -> None:
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session:
        await import_directory(session, folder)
        people = await _people(session)
    translator = Translator("zh")
    catalogue = load_catalogue()
    validity = {i.code: i.validity_months for i in catalogue if i.validity_months}
    async with sessions() as session:
        floor, floor_items, floor_rows = await _floor(session, today, validity)
    print(f"  floor (INSERT … SELECT): {floor:.2f} s, {floor_items} items, {floor_rows} outbox rows")
    took = []
    for label in ("first run", "second run"):
        start = time.perf_counter()
        async with sessions() as session:
            recipients, items = await run_reminders(session, translator, today, ReminderSettings(), catalogue)
        took.append(time.perf_counter() - start)
        print(f"  {label}: {took[-1]:.2f} s, {items} items for {recipients} of {people} people")
    async with sessions() as session:
        print(f"  outbox rows: {await session.scalar(select(func.count()).select_from(Outbox))}")
    print(
        f"  first run / floor = {took[0] / floor:.1f}× (target ≤ 3×) · "
        f"second run = {took[1]:.2f} s (target ≤ 1 s), / floor = {took[1] / floor:.2f}×"
    )
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
