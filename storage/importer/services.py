"""What agencies do for enterprises: contracts, visits, reports; and enterprises' own
indicator records."""

from __future__ import annotations

from domain.enums import ContractKind, VisitKind
from storage.importer import fields as f
from storage.importer.fields import RowProblem
from storage.importer.lookups import Lookups
from storage.importer.spec import KindSpec, Record
from storage.models import Contract, IndicatorRecord, ServiceReport, Visit


def _contract(row: dict[str, str], lk: Lookups) -> Record:
    start, end = f.day(row, "start_date"), f.day(row, "end_date")
    if end < start:
        raise RowProblem("end_before_start", start=start.isoformat(), end=end.isoformat())
    return {
        "agency_id": lk.agency(f.required(row, "agency_code")),
        "enterprise_id": lk.enterprise(f.code(row)),
        "kind": f.choice(row, "kind", ContractKind),
        "start_date": start,
        "end_date": end,
    }


def _visit(row: dict[str, str], lk: Lookups) -> Record:
    return {
        "agency_id": lk.agency(f.required(row, "agency_code")),
        "ref": f.text(row, "ref", 64),
        "enterprise_id": lk.enterprise(f.code(row)),
        "date": f.day(row, "date"),
        "kind": f.choice(row, "kind", VisitKind),
    }


def _report(row: dict[str, str], lk: Lookups) -> Record:
    agency_id = lk.agency(f.required(row, "agency_code"))
    visit_id, _ = lk.visit(agency_id, f.required(row, "visit_ref"))
    return {"visit_id": visit_id, "submitted_on": f.day(row, "submitted_on")}


def _indicator(row: dict[str, str], lk: Lookups) -> Record:
    code = f.required(row, "indicator")
    if code not in lk.catalogue_codes:
        raise RowProblem("unknown_indicator", value=code)
    fulfilled, expires = f.day(row, "fulfilled_on"), f.day(row, "expires_on", optional=True)
    if expires is not None and expires < fulfilled:
        raise RowProblem("expires_before_fulfilled")
    return {
        "enterprise_id": lk.enterprise(f.code(row)),
        "indicator": code,
        "fulfilled_on": fulfilled,
        "expires_on": expires,
    }


SPECS = {
    "contracts": KindSpec(
        Contract.__table__,
        ("agency_code", "uscc", "kind", "start_date", "end_date"),
        ("agency_id", "enterprise_id", "kind", "start_date"),
        _contract,
    ),
    "visits": KindSpec(
        Visit.__table__,
        ("ref", "agency_code", "uscc", "date", "kind"),
        ("agency_id", "ref"),
        _visit,
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
