"""One import file streamed chunk by chunk: rows are read, checked and written a chunk at a
time in the session's transaction, which is committed only at the end, or rolled back when
a row was bad (unless bad rows are skipped): every problem is reported and a file with any
bad row still writes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.importer.fields import RowProblem
from storage.importer.kinds import KINDS, SPECS
from storage.importer.lookups import Lookups
from storage.importer.spec import KindSpec, Record
from storage.importer.writing import Writer
from storage.table_files import FileProblem, open_table

CHUNK = 2000  # rows read, checked and written at a time: memory stays that of one chunk

Progress = Callable[[str, int, int | None], None]


@dataclass
class RowError:
    line: int
    reason: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False


async def import_file(
    session: AsyncSession,
    kind: str,
    filename: str,
    data: bytes | Path,
    *,
    skip_bad_rows: bool = False,
    catalogue: str = "",
    progress: Progress | None = None,
) -> ImportResult:
    """Check and write a file (its bytes, or its path to stream it from disk) in the session's
    transaction, committed here when the file is written. `progress(kind, rows done, rows
    expected)` hears how far it is."""
    spec = SPECS.get(kind)
    if spec is None:
        raise FileProblem("kind", value=kind, allowed=", ".join(KINDS))
    # Reading and checking rows is CPU work: done in a thread so other users are answered.
    table = await asyncio.to_thread(open_table, filename, data)
    result = ImportResult(kind=kind)
    try:
        missing = [c for c in spec.columns if c not in table.header]
        if missing:
            raise FileProblem("columns", missing=", ".join(missing))
        lookups = Lookups(session, catalogue)
        await lookups.load(kind)
        writer = Writer(session, spec)
        rows = iter(table)
        while chunk := await asyncio.to_thread(_take, rows):
            await lookups.prefetch(chunk)
            bad_before = len(result.errors)
            records = await asyncio.to_thread(_check, spec, chunk, lookups, result)
            # Written even once a row is bad: the rows written find later duplicates, and
            # the whole file is rolled back at the end.
            duplicates = await writer.write(records)
            if duplicates:
                result.errors += [RowError(line, "duplicate", {"first": first}) for line, first in duplicates]
                result.errors[bad_before:] = sorted(result.errors[bad_before:], key=lambda e: e.line)
            if progress is not None:
                progress(kind, result.rows, _expected(result.rows, table.fraction()))
    except BaseException:
        await session.rollback()
        raise
    finally:
        table.close()
    if result.errors and not skip_bad_rows:
        await session.rollback()  # nothing of a file with a bad row is kept
        return result
    await session.commit()
    result.inserted, result.updated, result.unchanged = writer.inserted, writer.updated, writer.unchanged
    result.written = True
    if progress is not None:
        progress(kind, result.rows, result.rows)
    return result


def _take(rows: Iterator[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
    return list(islice(rows, CHUNK))


def _check(
    spec: KindSpec, chunk: list[tuple[int, dict[str, str]]], lookups: Lookups, result: ImportResult
) -> list[tuple[int, Record]]:
    """The chunk's good records with their lines; each bad row is added to the result's errors."""
    records = []
    for line, row in chunk:
        result.rows += 1
        try:
            records.append((line, spec.parse(row, lookups)))
        except RowProblem as p:
            result.errors.append(RowError(line, p.reason, p.params))
    return records


def _expected(done: int, fraction: float | None) -> int | None:
    """Rows the whole file should hold, from the share of its bytes read so far."""
    if not fraction:
        return None
    return max(done, round(done / fraction))


async def import_directory(session: AsyncSession, folder: Path, **kw: Any) -> list[ImportResult]:
    """Every `<kind>.csv` (or .xlsx) of a folder, in dependency order, each streamed from disk."""
    results = []
    for kind in KINDS:
        for suffix in (".csv", ".xlsx"):
            path = folder / f"{kind}{suffix}"
            if path.exists():
                results.append(await import_file(session, kind, path.name, path, **kw))
    return results
