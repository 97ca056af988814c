"""Import files (contract: "Import files"): CSV or XLSX, validated whole, then upserted by
natural key in one transaction. A file with any bad row writes nothing unless the caller
asks to skip bad rows. Re-importing the same file changes nothing."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain import divisions, uscc
from domain.enums import ContractKind, HazardEventKind, HazardLevel, HazardStatus, SizeClass, VisitKind
from domain.indicators import load_catalogue
from storage.clock import utcnow
from storage.models import (
    Agency,
    Contract,
    Enterprise,
    Hazard,
    HazardEvent,
    IndicatorRecord,
    ServiceReport,
    Staff,
    Visit,
)

# Import order for a whole directory: each kind refers only to kinds before it.
KINDS = ("enterprises", "agencies", "staff", "contracts", "visits", "hazards", "reports", "indicators")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CHUNK = 2000


class RowProblem(Exception):
    """A bad value in one row: `reason` is a key of the `import.err` catalogue section."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


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


class FileProblem(Exception):
    """The file as a whole cannot be read (format, header); `reason` as in RowProblem."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


# ---------------------------------------------------------------- reading files


def read_table(filename: str, data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (line number, row) pairs; the header is line 1."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FileProblem("encoding") from exc
        reader = csv.reader(io.StringIO(text, newline=""))
        raw_rows: Iterable[list[Any]] = reader
    elif suffix == ".xlsx":
        raw_rows = _xlsx_rows(data)
    else:
        raise FileProblem("format", name=filename)
    it = iter(raw_rows)
    header = [str(h or "").strip().lower() for h in next(it, [])]
    if not any(header):
        raise FileProblem("empty")
    rows = []
    for line, values in enumerate(it, start=2):
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue
        rows.append((line, dict(zip(header, cells, strict=False))))
    return header, rows


def _xlsx_rows(data: bytes) -> Iterable[list[Any]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise FileProblem("xlsx") from exc
    yield from wb.worksheets[0].iter_rows(values_only=True)
    wb.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# ---------------------------------------------------------------- field parsers


def _required(row: dict[str, str], col: str) -> str:
    value = row.get(col, "")
    if not value:
        raise RowProblem("missing", column=col)
    return value


def _date(row: dict[str, str], col: str, optional: bool = False) -> date | None:
    value = row.get(col, "")
    if not value and optional:
        return None
    value = _required(row, col)
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise RowProblem("date", column=col, value=value) from None


def _enum(row: dict[str, str], col: str, allowed: Iterable[str], default: str | None = None) -> str:
    value = row.get(col, "")
    if not value and default is not None:
        return default
    value = _required(row, col)
    options = [str(a) for a in allowed]
    if value not in options:
        raise RowProblem("enum", column=col, value=value, allowed=", ".join(options))
    return value


def _uscc(row: dict[str, str], col: str = "uscc", optional: bool = False) -> str:
    value = row.get(col, "")
    if not value and optional:
        return ""
    try:
        return uscc.validate(_required(row, col))
    except uscc.USCCError as exc:
        raise RowProblem(f"uscc_{exc}", value=value) from None


def _text(row: dict[str, str], col: str, limit: int, optional: bool = False) -> str:
    value = row.get(col, "") if optional else _required(row, col)
    if len(value) > limit:
        raise RowProblem("too_long", column=col, limit=limit)
    return value


# ---------------------------------------------------------------- lookups


class Lookups:
    """Maps from natural keys in files to database ids, loaded once per import."""

    def __init__(self, session: AsyncSession, catalogue: str = "") -> None:
        self.session = session
        self.catalogue_codes = {i.code for i in load_catalogue(catalogue)}
        self._enterprises: dict[str, int] | None = None
        self._agencies: dict[str, int] | None = None
        self._visits: dict[tuple[int, str], tuple[int, int]] | None = None

    async def load(self, kind: str) -> None:
        s = self.session
        if kind not in ("enterprises", "agencies"):
            self._agencies = dict((await s.execute(select(Agency.code, Agency.id))).all())
        if kind in ("contracts", "visits", "hazards", "indicators"):
            self._enterprises = dict((await s.execute(select(Enterprise.uscc, Enterprise.id))).all())
        if kind in ("hazards", "reports"):
            rows = await s.execute(select(Visit.agency_id, Visit.ref, Visit.id, Visit.enterprise_id))
            self._visits = {(a, r): (v, e) for a, r, v, e in rows}

    def enterprise(self, code: str) -> int:
        try:
            return self._enterprises[code]
        except KeyError:
            raise RowProblem("unknown_enterprise", value=code) from None

    def agency(self, code: str) -> int:
        try:
            return self._agencies[code]
        except KeyError:
            raise RowProblem("unknown_agency", value=code) from None

    def visit(self, agency_id: int, ref: str) -> tuple[int, int]:
        try:
            return self._visits[(agency_id, ref)]
        except KeyError:
            raise RowProblem("unknown_visit", value=ref) from None


# ---------------------------------------------------------------- kinds


def _enterprise(row: dict[str, str], lk: Lookups) -> dict[str, Any]:
    code = _uscc(row)
    division = _required(row, "division")
    if not divisions.is_division(division):
        raise RowProblem("division", value=division)
    tags = ";".join(t.strip() for t in row.get("tags", "").split(";") if t.strip())
    return {
        "uscc": code,
        "name": _text(row, "name", 200),
        "division": division,
        "industry": _text(row, "industry", 100, optional=True),
        "size": _enum(row, "size", SizeClass, default=""),
        "tags": tags[:300],
    }


def _agency(row: dict[str, str], lk: Lookups) -> dict[str, Any]:
    division = row.get("division", "")
    if division and not divisions.is_jurisdiction(division):
        raise RowProblem("division", value=division)
    return {
        "code": _text(row, "code", 50),
        "name": _text(row, "name", 200),
        "uscc": _uscc(row, optional=True),
        "division": division,
        "in_pool_until": _date(row, "in_pool_until", optional=True),
    }


def _staff(row: dict[str, str], lk: Lookups) -> dict[str, Any]:
    return {
        "agency_id": lk.agency(_required(row, "agency_code")),
        "name": _text(row, "name", 100),
        "qualification": _text(row, "qualification", 200, optional=True),
    }


def _contract(row: dict[str, str], lk: Lookups) -> dict[str, Any]:
    start, end = _date(row, "start_date"), _date(row, "end_date")
    if end < start:
        raise RowProblem("end_before_start", start=start.isoformat(), end=end.isoformat())
    return {
        "agency_id": lk.agency(_required(row, "agency_code")),
        "enterprise_id": lk.enterprise(_uscc(row)),
        "kind": _enum(row, "kind", ContractKind),
        "start_date": start,
        "end_date": end,
    }


def _visit(row: dict[str, str], lk: Lookups) -> dict[str, Any]:
    return {
        "agency_id": lk.agency(_required(row, "agency_code")),
        "ref": _text(row, "ref", 64),
        "enterprise_id": lk.enterprise(_uscc(row)),
        "date": _date(row, "date"),
        "kind": _enum(row, "kind", VisitKind),
    }


def _hazard(row: dict[str, str], lk: Lookups) -> dict[str, Any]:
    agency_id = lk.agency(_required(row, "agency_code"))
    enterprise_id = lk.enterprise(_uscc(row))
    visit_id = None
    if row.get("visit_ref"):
        visit_id, visit_enterprise = lk.visit(agency_id, row["visit_ref"])
        if visit_enterprise != enterprise_id:
            raise RowProblem("visit_other_enterprise", value=row["visit_ref"])
    found_on, deadline = _date(row, "found_on"), _date(row, "deadline")
    if deadline < found_on:
        raise RowProblem("deadline_before_found")
    status = _enum(row, "status", HazardStatus, default=HazardStatus.open)
    closed_on = _date(row, "closed_on", optional=True)
    if status == HazardStatus.verified and closed_on is None:
        raise RowProblem("closed_on_missing")
    if status != HazardStatus.verified and closed_on is not None:
        raise RowProblem("closed_on_not_verified")
    return {
        "agency_id": agency_id,
        "ref": _text(row, "ref", 64),
        "enterprise_id": enterprise_id,
        "visit_id": visit_id,
        "found_on": found_on,
        "description": _text(row, "description", 2000),
        "level": _enum(row, "level", HazardLevel),
        "deadline": deadline,
        "status": status,
        "closed_on": closed_on,
    }


def _report(row: dict[str, str], lk: Lookups) -> dict[str, Any]:
    agency_id = lk.agency(_required(row, "agency_code"))
    visit_id, _ = lk.visit(agency_id, _required(row, "visit_ref"))
    return {"visit_id": visit_id, "submitted_on": _date(row, "submitted_on")}


def _indicator(row: dict[str, str], lk: Lookups) -> dict[str, Any]:
    code = _required(row, "indicator")
    if code not in lk.catalogue_codes:
        raise RowProblem("unknown_indicator", value=code)
    fulfilled, expires = _date(row, "fulfilled_on"), _date(row, "expires_on", optional=True)
    if expires is not None and expires < fulfilled:
        raise RowProblem("expires_before_fulfilled")
    return {
        "enterprise_id": lk.enterprise(_uscc(row)),
        "indicator": code,
        "fulfilled_on": fulfilled,
        "expires_on": expires,
    }


@dataclass(frozen=True)
class KindSpec:
    table: Table
    columns: tuple[str, ...]  # required columns of the file
    key: tuple[str, ...]  # natural key, as table columns
    parse: Callable[[dict[str, str], Lookups], dict[str, Any]]


SPECS: dict[str, KindSpec] = {
    "enterprises": KindSpec(Enterprise.__table__, ("uscc", "name", "division"), ("uscc",), _enterprise),
    "agencies": KindSpec(Agency.__table__, ("code", "name"), ("code",), _agency),
    "staff": KindSpec(Staff.__table__, ("agency_code", "name"), ("agency_id", "name"), _staff),
    "contracts": KindSpec(
        Contract.__table__,
        ("agency_code", "uscc", "kind", "start_date", "end_date"),
        ("agency_id", "enterprise_id", "kind", "start_date"),
        _contract,
    ),
    "visits": KindSpec(
        Visit.__table__, ("ref", "agency_code", "uscc", "date", "kind"), ("agency_id", "ref"), _visit
    ),
    "hazards": KindSpec(
        Hazard.__table__,
        ("ref", "agency_code", "uscc", "found_on", "description", "level", "deadline"),
        ("agency_id", "ref"),
        _hazard,
    ),
    "reports": KindSpec(
        ServiceReport.__table__, ("agency_code", "visit_ref", "submitted_on"), ("visit_id",), _report
    ),
    "indicators": KindSpec(
        IndicatorRecord.__table__,
        ("uscc", "indicator", "fulfilled_on"),
        ("enterprise_id", "indicator"),
        _indicator,
    ),
}
assert tuple(SPECS) == KINDS


# ---------------------------------------------------------------- the import


async def import_file(
    session: AsyncSession,
    kind: str,
    filename: str,
    data: bytes,
    *,
    skip_bad_rows: bool = False,
    catalogue: str = "",
    progress: Callable[[str, int, int | None], None] | None = None,
) -> ImportResult:
    """Validate the whole file, then write it in the session's transaction (committed here
    only when something is written). `progress(kind, rows done, rows)` hears how far it is."""
    spec = SPECS.get(kind)
    if spec is None:
        raise FileProblem("kind", value=kind, allowed=", ".join(KINDS))
    header, rows = read_table(filename, data)
    missing = [c for c in spec.columns if c not in header]
    if missing:
        raise FileProblem("columns", missing=", ".join(missing))

    result = ImportResult(kind=kind, rows=len(rows))
    lookups = Lookups(session, catalogue)
    await lookups.load(kind)
    records: dict[tuple, dict[str, Any]] = {}
    first_line: dict[tuple, int] = {}
    for done, (line, row) in enumerate(rows, 1):
        if progress is not None and done % 500 == 0:
            progress(kind, done, len(rows))
        try:
            rec = spec.parse(row, lookups)
        except RowProblem as p:
            result.errors.append(RowError(line, p.reason, p.params))
            continue
        key = tuple(rec[k] for k in spec.key)
        if key in records:
            result.errors.append(RowError(line, "duplicate", {"first": first_line[key]}))
            continue
        records[key] = rec
        first_line[key] = line
    if result.errors and not skip_bad_rows:
        return result
    await _upsert(session, spec, kind, records, result)
    await session.commit()
    if progress is not None:
        progress(kind, len(rows), len(rows))
    result.written = True
    return result


async def _upsert(
    session: AsyncSession,
    spec: KindSpec,
    kind: str,
    records: dict[tuple, dict[str, Any]],
    result: ImportResult,
) -> None:
    table = spec.table
    value_cols = [c for c in next(iter(records.values()), {}) if c not in spec.key]
    existing: dict[tuple, tuple] = {}
    if records:
        cols = [table.c[k] for k in spec.key] + [table.c.id] + [table.c[c] for c in value_cols]
        for row in await session.execute(select(*cols)):
            existing[tuple(row[: len(spec.key)])] = tuple(row[len(spec.key) :])

    new, changed = [], []
    for key, rec in records.items():
        old = existing.get(key)
        if old is None:
            new.append(rec)
        elif tuple(rec[c] for c in value_cols) != old[1:]:
            changed.append({"_id": old[0], **{c: rec[c] for c in value_cols}, "_old": old})
        else:
            result.unchanged += 1

    if kind == "enterprises":
        for rec in new:
            rec["public_code"] = secrets.token_urlsafe(12)
    for chunk in _chunks(new):
        inserted = await session.execute(
            insert(table).returning(table.c.id, table.c.status) if kind == "hazards" else insert(table), chunk
        )
        if kind == "hazards":
            await _hazard_events(session, [(hid, f"status: {st}") for hid, st in inserted.all()])
    result.inserted = len(new)

    if changed:
        stmt = (
            update(table).where(table.c.id == bindparam("_id")).values({c: bindparam(c) for c in value_cols})
        )
        for chunk in _chunks(changed):
            await session.execute(stmt, [{k: v for k, v in r.items() if k != "_old"} for r in chunk])
        if kind == "hazards":
            status_at = 1 + value_cols.index("status")
            await _hazard_events(
                session,
                [(r["_id"], f"status: {r['_old'][status_at]} → {r['status']}") for r in changed],
            )
    result.updated = len(changed)


async def _hazard_events(session: AsyncSession, items: list[tuple[int, str]]) -> None:
    """Every imported change to a hazard is part of its append-only history."""
    if not items:
        return
    now = utcnow()
    rows = [
        {"hazard_id": hid, "kind": HazardEventKind.imported, "note": note, "at": now} for hid, note in items
    ]
    for chunk in _chunks(rows):
        await session.execute(insert(HazardEvent.__table__), chunk)


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


async def import_directory(session: AsyncSession, folder: Path, **kw: Any) -> list[ImportResult]:
    """Every `<kind>.csv` (or .xlsx) of a folder, in dependency order."""
    results = []
    for kind in KINDS:
        for suffix in (".csv", ".xlsx"):
            path = folder / f"{kind}{suffix}"
            if path.exists():
                results.append(await import_file(session, kind, path.name, path.read_bytes(), **kw))
    return results
