"""SQLite through aiosqlite: one hand-off to the database thread per statement (each costs
more than a small read), with the same results, counts and errors as the stock adapter."""

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from storage.db import create_engine


@pytest.fixture
async def engine(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/driver.db")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def hand_offs(monkeypatch):
    seen = []
    original = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        seen.append(fn)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_a_statement_is_one_trip_to_the_database_thread(engine, hand_offs):
    async with engine.connect() as conn:
        hand_offs.clear()
        rows = (await conn.execute(text("SELECT 1 UNION ALL SELECT 2"))).all()
        assert rows == [(1,), (2,)]
        assert len(hand_offs) == 1


async def test_counts_returning_and_errors_as_before(engine):
    async with engine.begin() as conn:
        many = await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "a"}, {"v": "b"}])
        assert many.rowcount == 2
        back = await conn.execute(text("INSERT INTO t (v) VALUES ('c') RETURNING id"))
        assert back.all() == [(3,)]
        changed = await conn.execute(text("UPDATE t SET v = v || '!' WHERE id < 3"))
        assert changed.rowcount == 2
        assert (await conn.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all() == ["a!", "b!", "c"]
        streamed = await conn.stream(text("SELECT id FROM t ORDER BY id"))  # a server-side cursor
        assert [row.id async for row in streamed] == [1, 2, 3]
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('c')"))
    with pytest.raises(OperationalError):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT * FROM missing"))


async def test_closing_after_reads_alone_costs_no_trip(engine, hand_offs):
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        hand_offs.clear()
    assert hand_offs == []  # nothing to roll back: the pool's reset stays on this thread


async def test_an_unfinished_write_is_still_rolled_back(engine, hand_offs):
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES ('gone')"))
        hand_offs.clear()
    assert len(hand_offs) == 1  # the rollback
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
