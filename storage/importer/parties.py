"""Who: enterprises, agencies, divisions and agencies' staff."""

from __future__ import annotations

import secrets

from domain import divisions
from domain.enums import SizeClass
from storage.importer import fields as f
from storage.importer.fields import RowProblem
from storage.importer.lookups import Lookups
from storage.importer.spec import KindSpec, Record
from storage.models import Agency, Division, Enterprise, Staff


def _enterprise(row: dict[str, str], lk: Lookups) -> Record:
    code = f.code(row)
    division = f.required(row, "division")
    if not divisions.is_division(division):
        raise RowProblem("division", value=division)
    tags = ";".join(t.strip() for t in row.get("tags", "").split(";") if t.strip())
    return {
        "uscc": code,
        "name": f.text(row, "name", 200),
        "division": division,
        "industry": f.text(row, "industry", 100, optional=True),
        "size": f.choice(row, "size", SizeClass, default=""),
        "tags": tags[:300],
    }


def _public_code(rec: Record) -> None:
    rec["public_code"] = secrets.token_urlsafe(12)


def _agency(row: dict[str, str], lk: Lookups) -> Record:
    division = row.get("division", "")
    if division and not divisions.is_jurisdiction(division):
        raise RowProblem("division", value=division)
    return {
        "code": f.text(row, "code", 50),
        "name": f.text(row, "name", 200),
        "uscc": f.code(row, optional=True),
        "division": division,
        "in_pool_until": f.day(row, "in_pool_until", optional=True),
    }


def _division(row: dict[str, str], lk: Lookups) -> Record:
    code = f.required(row, "code")
    if not divisions.is_jurisdiction(code):
        raise RowProblem("jurisdiction", value=code)
    return {"code": code, "name": f.text(row, "name", 100)}


def _staff(row: dict[str, str], lk: Lookups) -> Record:
    return {
        "agency_id": lk.agency(f.required(row, "agency_code")),
        "name": f.text(row, "name", 100),
        "qualification": f.text(row, "qualification", 200, optional=True),
    }


SPECS = {
    "enterprises": KindSpec(
        Enterprise.__table__, ("uscc", "name", "division"), ("uscc",), _enterprise, _public_code
    ),
    "agencies": KindSpec(Agency.__table__, ("code", "name"), ("code",), _agency),
    "divisions": KindSpec(Division.__table__, ("code", "name"), ("code",), _division),
    "staff": KindSpec(Staff.__table__, ("agency_code", "name"), ("agency_id", "name"), _staff),
}
