"""Upserting one chunk of checked records by natural key. Only the rows the chunk names are
read back (one indexed join on the key per chunk), so memory follows the chunk, not the table."""

from __future__ import annotations

import json
from array import array
from datetime import date
from typing import Any

from sqlalchemy import ARRAY, Select, Table, and_, bindparam, cast, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.importer.spec import KindSpec, Record


class Writer:
    """Writes a file's chunks in turn, and knows which stored rows the file has already named
    (a row's id → the file's line that named it): a key repeated in the file, even chunks
    apart, is found when its stored row turns up again, without keeping every key in memory."""

    def __init__(self, session: AsyncSession, spec: KindSpec) -> None:
        self.session = session
        self.spec = spec
        self.dialect = session.get_bind().dialect.name
        self.value_cols: list[str] = []
        self.inserted = self.updated = self.unchanged = 0
        self._probes: dict[tuple[str, ...], Select] = {}
        self._line_of = array("I")  # by row id; 0: not named by this file
        self._unnest: tuple[list[str], Any] | None = None

    async def write(self, records: list[tuple[int, Record]]) -> list[tuple[int, int]]:
        """Upsert a chunk of (line, record); returns the (line, first line) of duplicates."""
        spec, table = self.spec, self.spec.table
        duplicates, chunk = [], {}
        for line, rec in records:
            key = tuple(rec[k] for k in spec.key)
            if key in chunk:
                duplicates.append((line, chunk[key][0]))
            else:
                chunk[key] = (line, rec)
        if not chunk:
            return duplicates
        if not self.value_cols:
            self.value_cols = [c for c in records[0][1] if c not in spec.key]
        existing = await self._existing([rec for _, rec in chunk.values()])
        new, changed = [], []
        for key, (line, rec) in chunk.items():
            old = existing.get(key)
            if old is None:
                if spec.fill_new is not None:
                    spec.fill_new(rec)
                new.append(rec)
            elif self._first_line(old[0]):
                duplicates.append((line, self._first_line(old[0])))
            else:
                self._name(old[0], line)
                if tuple(rec[c] for c in self.value_cols) != old[1:]:
                    changed.append((old[0], dict(zip(self.value_cols, old[1:], strict=True)), rec))
                else:
                    self.unchanged += 1
        inserted: list[tuple[int, Record]] = []
        if new:
            # Matched back by key: asking for the rows' order makes SQLite insert one by one.
            for row in await self._insert(new):
                line, rec = chunk[tuple(row[1:])]
                self._name(row[0], line)
                inserted.append((row[0], rec))
        if changed:
            stmt = (
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values({c: bindparam(c) for c in self.value_cols})
            )
            await self.session.execute(
                stmt, [{"_id": i, **{c: rec[c] for c in self.value_cols}} for i, _, rec in changed]
            )
        if spec.history is not None:
            await spec.history(self.session, inserted, changed)
        self.inserted += len(new)
        self.updated += len(changed)
        return duplicates

    async def _insert(self, new: list[Record]):
        """Insert and return (id, key...) of each new row."""
        table, keys = self.spec.table, [self.spec.table.c[k] for k in self.spec.key]
        if self.dialect != "postgresql":
            return await self.session.execute(insert(table).returning(table.c.id, *keys), new)
        # PostgreSQL: one array a column, unnested server-side, instead of parameters a value.
        cols = list(new[0])
        if self._unnest is None or self._unnest[0] != cols:
            arrays = [cast(bindparam(f"c{i}"), ARRAY(table.c[c].type)) for i, c in enumerate(cols)]
            rows = select(
                func.unnest(*arrays).table_valued(*[f"c{i}" for i in range(len(cols))]).render_derived()
            )
            stmt = insert(table).from_select(cols, rows).returning(table.c.id, *keys)
            self._unnest = (cols, stmt)
        params = {f"c{i}": [rec[c] for rec in new] for i, c in enumerate(cols)}
        return await self.session.execute(self._unnest[1], params)

    def _first_line(self, row_id: int) -> int:
        return self._line_of[row_id] if row_id < len(self._line_of) else 0

    def _name(self, row_id: int, line: int) -> None:
        if row_id >= len(self._line_of):  # ids are dense: grow by doubling, 4 bytes a row
            self._line_of.extend(bytes(4 * max(row_id + 1 - len(self._line_of), len(self._line_of))))
        self._line_of[row_id] = line

    async def _existing(self, records: list[Record]) -> dict[tuple, tuple]:
        """Key → (id, value columns) of the stored rows among the records' keys. A key column
        without a value (a hazard has an agency or an inspection) is matched as NULL."""
        by_shape: dict[tuple[str, ...], list[tuple]] = {}
        for rec in records:
            on = tuple(k for k in self.spec.key if rec[k] is not None)
            by_shape.setdefault(on, []).append(tuple(rec[k] for k in on))
        found: dict[tuple, tuple] = {}
        n_key = len(self.spec.key)
        for on, keys in by_shape.items():
            if on not in self._probes:
                self._probes[on] = self._probe(on)
            query = self._probes[on]
            for row in await self.session.execute(query, self._params(on, keys)):
                found[tuple(row[:n_key])] = tuple(row[n_key:])
        return found

    def _probe(self, on: tuple[str, ...]) -> Select:
        table: Table = self.spec.table
        fetch = [table.c[k] for k in self.spec.key] + [table.c.id] + [table.c[c] for c in self.value_cols]
        if self.dialect == "postgresql":
            keys = func.unnest(*[cast(bindparam(f"k{i}"), ARRAY(table.c[c].type)) for i, c in enumerate(on)])
            k = keys.table_valued(*[f"k{i}" for i in range(len(on))]).render_derived(name="k")
            exprs = [k.c[f"k{i}"] for i in range(len(on))]
        else:  # SQLite: the keys as one JSON array, joined row by row on the unique index
            k = func.json_each(bindparam("keys")).table_valued("value").alias("k")
            exprs = [func.json_extract(k.c.value, f"$[{i}]") for i in range(len(on))]
        # "+ 0" (the nullable key columns are ids): SQLite would otherwise drive the join from
        # the index on the NULL column, reading every row without it, instead of the key's index.
        nulls = [(table.c[c] + 0).is_(None) for c in self.spec.key if c not in on]
        match = and_(*[table.c[c] == e for c, e in zip(on, exprs, strict=True)], *nulls)
        return select(*fetch).select_from(k).join(table, match)

    def _params(self, on: tuple[str, ...], keys: list[tuple]) -> dict[str, Any]:
        if self.dialect == "postgresql":
            return {f"k{i}": [key[i] for key in keys] for i in range(len(on))}
        return {"keys": json.dumps(keys, default=_iso)}


def _iso(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()  # as SQLite stores a date
    raise TypeError(type(value).__name__)
