"""Many rows into one table in a few statements: on PostgreSQL one INSERT … SELECT over arrays
(unnest), on SQLite an executemany in large batches. A row whose unique key exists already
is skipped, so writing the same notice or log entry twice adds nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

BATCH = 5000  # rows per statement on SQLite


async def insert_new(
    session: AsyncSession,
    model: type,
    names: Sequence[str],
    rows: Sequence[tuple],
    fixed: Mapping[str, object],
    unique: list[str],
) -> None:
    """Insert `rows` (values for the columns `names`), each also getting the `fixed` values;
    rows clashing on the `unique` columns are skipped."""
    if not rows:
        return
    table = model.__table__
    if session.bind.dialect.name == "postgresql":
        columns = zip(*rows, strict=True)
        arrays = [
            func.unnest(bindparam(f"col_{name}", list(values), type_=ARRAY(table.c[name].type))).label(name)
            for name, values in zip(names, columns, strict=True)
        ]
        src = select(*arrays).subquery()
        values = select(*src.c, *(literal(v, table.c[k].type) for k, v in fixed.items()))
        stmt = pg_insert(table).from_select([*names, *fixed], values)
        await session.execute(stmt.on_conflict_do_nothing(index_elements=unique))
        return
    stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=unique)
    for start in range(0, len(rows), BATCH):
        batch = [dict(zip(names, row, strict=True)) | fixed for row in rows[start : start + BATCH]]
        await session.execute(stmt, batch)
