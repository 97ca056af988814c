"""`db upgrade`: Alembic migrations to head, on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from storage.db import create_engine

INI = Path(__file__).with_name("alembic.ini")


def alembic_config(url: str) -> Config:
    cfg = Config(str(INI))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(url: str) -> None:
    # Creates the SQLite file's folder first; env.py runs its own loop, hence the thread.
    await create_engine(url).dispose()
    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
