"""What the benchmark scripts share."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import SQLModel

from storage.db import create_engine
from storage.migrate import upgrade


async def empty_postgres(url: str) -> None:
    """Migrate the benchmark database and empty every table, so sizes can follow each other."""
    await upgrade(url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        names = ", ".join(f'"{t}"' for t in SQLModel.metadata.tables)
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()
