"""What inspections find: government inspections and hazards (an agency's, or a regulator's
finding); every imported change to a hazard joins its append-only history."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain import divisions
from domain.enums import HazardEventKind, HazardLevel, HazardSource, HazardStatus, InspectionKind
from storage.clock import utcnow
from storage.importer import fields as f
from storage.importer.fields import RowProblem
from storage.importer.lookups import Lookups
from storage.importer.spec import KindSpec, Record
from storage.models import Hazard, HazardEvent, Inspection


def _inspection(row: dict[str, str], lk: Lookups) -> Record:
    prefix = f.required(row, "division_prefix")
    if not divisions.is_jurisdiction(prefix):
        raise RowProblem("jurisdiction", value=prefix)
    enterprise_id = lk.enterprise(f.code(row))
    if not divisions.covers(prefix, lk.division_of(enterprise_id)):
        raise RowProblem("outside_division", value=prefix)
    return {
        "ref": f.text(row, "ref", 64),
        "division_prefix": prefix,
        "enterprise_id": enterprise_id,
        "date": f.day(row, "date"),
        "kind": f.choice(row, "kind", InspectionKind),
        "note": f.text(row, "note", 2000, optional=True),
    }


def _hazard(row: dict[str, str], lk: Lookups) -> Record:
    source = f.choice(row, "source", HazardSource, default=HazardSource.agency)
    enterprise_id = lk.enterprise(f.code(row))
    agency_id = visit_id = inspection_id = None
    if source == HazardSource.regulator:
        # A government finding: agency_code names the inspecting division, visit_ref the inspection.
        inspection_id, owner = lk.inspection(f.required(row, "agency_code"), f.required(row, "visit_ref"))
        if owner != enterprise_id:
            raise RowProblem("visit_other_enterprise", value=row["visit_ref"])
    else:
        agency_id = lk.agency(f.required(row, "agency_code"))
        if row.get("visit_ref"):
            visit_id, visit_enterprise = lk.visit(agency_id, row["visit_ref"])
            if visit_enterprise != enterprise_id:
                raise RowProblem("visit_other_enterprise", value=row["visit_ref"])
    found_on, deadline = f.day(row, "found_on"), f.day(row, "deadline")
    if deadline < found_on:
        raise RowProblem("deadline_before_found")
    status = f.choice(row, "status", HazardStatus, default=HazardStatus.open)
    closed_on = f.day(row, "closed_on", optional=True)
    if status == HazardStatus.verified and closed_on is None:
        raise RowProblem("closed_on_missing")
    if status != HazardStatus.verified and closed_on is not None:
        raise RowProblem("closed_on_not_verified")
    return {
        "agency_id": agency_id,
        "inspection_id": inspection_id,
        "source": source,
        "ref": f.text(row, "ref", 64),
        "enterprise_id": enterprise_id,
        "visit_id": visit_id,
        "found_on": found_on,
        "description": f.text(row, "description", 2000),
        "level": f.choice(row, "level", HazardLevel),
        "deadline": deadline,
        "status": status,
        "closed_on": closed_on,
    }


async def _hazard_history(
    session: AsyncSession, inserted: list[tuple[int, Record]], changed: list[tuple[int, Record, Record]]
) -> None:
    now = utcnow()
    notes = [(hid, f"status: {rec['status']}") for hid, rec in inserted]
    notes += [(hid, f"status: {old['status']} → {rec['status']}") for hid, old, rec in changed]
    if notes:
        rows = [{"hazard_id": h, "kind": HazardEventKind.imported, "note": n, "at": now} for h, n in notes]
        await session.execute(insert(HazardEvent.__table__), rows)


SPECS = {
    "inspections": KindSpec(
        Inspection.__table__,
        ("ref", "division_prefix", "uscc", "date", "kind"),
        ("division_prefix", "ref"),
        _inspection,
    ),
    "hazards": KindSpec(
        Hazard.__table__,
        ("ref", "agency_code", "uscc", "found_on", "description", "level", "deadline"),
        ("agency_id", "inspection_id", "ref"),
        _hazard,
        history=_hazard_history,
    ),
}
