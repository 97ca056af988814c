"""Fixtures: a real database (a SQLite file, or PostgreSQL when TEST_DATABASE_URL is set),
the emulator with the bot polling it, and a small generated county."""

from __future__ import annotations

import asyncio
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.emulator.harness import LocalRun, TgUser
from domain.anonymity import TipKeys
from domain.synthetic import generate
from storage.clock import today
from storage.db import create_engine, session_factory
from storage.importer import import_directory
from storage.migrate import upgrade
from tests.web_site import Site
from web.server import site_url, start_web

ADMIN = TgUser(910000001, "Ada", "Admin", "ada_admin", "en")
# 48 random bytes, base64url, as `secrets.token_urlsafe(48)` makes them (fixed for the tests).
TIP_SECRET = "q3Yl0vJ2m8Rk5TzW1xHc7bNf4GpLs9EaD6uVwKiQoZyXtBgMjCrUe_hA-nPdF0Ss"
TIP_KEYS = TipKeys.from_secret(TIP_SECRET)
TZ_SETTINGS = Settings(_env_file=None)

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL unset")),
]


def _pg_dsn(url: str, database: str | None = None) -> str:
    u = make_url(url).set(drivername="postgresql")
    if database:
        u = u.set(database=database)
    return u.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> str:
    """TEST_DATABASE_URL's database, migrated once; every test gets a fresh copy of it."""
    # Requested from inside a running loop: migrate in a thread with its own.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(upgrade(PG_URL))).result()
    return make_url(PG_URL).database


@pytest.fixture(params=BACKENDS)
async def db_url(request, tmp_path: Path):
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
        await upgrade(url)
        yield url
        return
    template = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_pg_dsn(PG_URL, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    admin = await asyncpg.connect(_pg_dsn(PG_URL, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=db_url,
        admin_ids=str(ADMIN.id),
        tip_secret=TIP_SECRET,
        redis_url="",
        file_store_dir=str(tmp_path / "files"),
    )


@pytest.fixture
async def sessions(db_url: str):
    engine = create_engine(db_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
def county(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("county")
    generate(folder, 120, seed=3, today=today(TZ_SETTINGS.tz))
    return folder


@pytest.fixture
async def seeded(sessions, county: Path):
    async with sessions() as session:
        results = await import_directory(session, county)
    assert all(r.written and not r.errors for r in results)
    return sessions


@pytest.fixture
async def local(settings: Settings, seeded):
    async with LocalRun(settings) as run:
        yield run


@pytest.fixture
async def site(local):
    """The public site of the running bot; a test module asks for it with `settings` made
    `with_site`."""
    runner = await start_web(local.app)
    async with aiohttp.ClientSession() as http:
        yield Site(site_url(local.app, runner), http)
    await runner.cleanup()


async def grant(sessions, user: TgUser, role: str, target: str) -> None:
    """Give a person a role the way production does: an invite, accepted."""
    from storage.clock import utcnow
    from storage.users import accept_invite, create_invite

    async with sessions() as s:
        _, code = await create_invite(s, TIP_KEYS, role, target, None, 1, utcnow())
        await accept_invite(s, TIP_KEYS, code, user.id, user.first_name, utcnow(), user.language_code)


def rows(county: Path, kind: str) -> list[dict]:
    import csv

    with (county / f"{kind}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
