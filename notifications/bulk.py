"""Many rows into one table in a few statements: on PostgreSQL one INSERT … SELECT over arrays
(unnest), on SQLite an executemany in large batches. A row whose unique key exists already
is skipped, so writing the same notice or log entry twice adds nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
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
    # The rows' own values are ints and strings that the driver takes as they are, so the
    # statement goes straight to the driver: SQLAlchemy's per-row parameter handling costs
    # more than SQLite's own work for tens of thousands of rows.
    dialect = session.bind.dialect
    quote = dialect.identifier_preparer.quote
    # Column defaults live in Python (the model's), so the ones not given are spelled out here.
    given = {*names, *fixed}
    defaults = {
        c.name: c.default.arg
        for c in table.columns
        if c.name not in given and c.default is not None and c.default.is_scalar
    }
    fixed = {**fixed, **defaults}
    fixed_values = []
    for name, value in fixed.items():
        process = table.c[name].type.bind_processor(dialect)
        fixed_values.append(process(value) if process else value)
    columns = [*names, *fixed]
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(c) for c in columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in unique)}) DO NOTHING"
    )
    conn = await session.connection()
    tail = tuple(fixed_values)
    for start in range(0, len(rows), BATCH):
        await conn.exec_driver_sql(sql, [(*row, *tail) for row in rows[start : start + BATCH]])
