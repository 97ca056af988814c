"""Imports of government inspections, their findings (hazards with source=regulator) and
division names: all-or-nothing, idempotent, and visible where regulators look."""

from datetime import timedelta

from sqlalchemy import func, select

from bot.emulator.harness import TgUser
from storage.clock import today
from storage.importer import import_file
from storage.models import Division, Hazard, Inspection
from tests.conftest import TZ_SETTINGS, grant, rows

TODAY = today(TZ_SETTINGS.tz)
COUNTY = TgUser(974000001, "County", "Bureau", "county_bureau2", "en")


def files(county) -> tuple[str, str, dict, dict]:
    ents = rows(county, "enterprises")
    a, b = ents[0], next(e for e in ents if e["division"] != ents[0]["division"])
    day = (TODAY - timedelta(days=3)).isoformat()
    inspections = (
        "ref,division_prefix,uscc,date,kind,note\n"
        f"J1,{a['division']},{a['uscc']},{day},routine,仓库检查\n"
        f"J2,330226,{b['uscc']},{day},tip_followup,\n"
    )
    hazards = (
        "ref,agency_code,uscc,visit_ref,found_on,description,level,deadline,source\n"
        f"G1,{a['division']},{a['uscc']},J1,{day},消防通道堵塞,major,{(TODAY - timedelta(days=1)).isoformat()},regulator\n"
    )
    return inspections, hazards, a, b


async def test_inspections_and_their_findings_import_once(seeded, county):
    inspections, hazards, a, _ = files(county)
    async with seeded() as s:
        first = await import_file(s, "inspections", "inspections.csv", inspections.encode())
        assert (first.written, first.inserted, first.errors) == (True, 2, [])
        again = await import_file(s, "inspections", "inspections.csv", inspections.encode())
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
        found = await import_file(s, "hazards", "hazards.csv", hazards.encode())
        assert found.written and found.inserted == 1, found.errors
        assert (await import_file(s, "hazards", "hazards.csv", hazards.encode())).unchanged == 1
        hazard = await s.scalar(select(Hazard).where(Hazard.ref == "G1"))
        inspection = await s.scalar(select(Inspection).where(Inspection.ref == "J1"))
    assert (hazard.source, hazard.agency_id, hazard.inspection_id) == ("regulator", None, inspection.id)
    assert (inspection.kind, inspection.note, inspection.division_prefix) == (
        "routine",
        "仓库检查",
        a["division"],
    )


async def test_a_file_with_a_bad_row_writes_nothing(seeded, county):
    inspections, _, a, b = files(county)
    bad = inspections + (
        f"J3,{a['division']},{b['uscc']},2026-01-01,routine,\n"  # enterprise of another township
        f"J4,{a['division']},{a['uscc']},2026-01-01,raid,\n"  # unknown kind
        f"J5,12345,{a['uscc']},2026-01-01,routine,\n"  # not a division prefix
    )
    async with seeded() as s:
        result = await import_file(s, "inspections", "inspections.csv", bad.encode())
        assert not result.written
        assert [(e.line, e.reason) for e in result.errors] == [
            (4, "outside_division"),
            (5, "enum"),
            (6, "jurisdiction"),
        ]
        assert await s.scalar(select(func.count()).select_from(Inspection)) == 0
        orphan = "ref,agency_code,uscc,visit_ref,found_on,description,level,deadline,source\n"
        orphan += f"G9,{a['division']},{a['uscc']},NOPE,2026-01-01,x,general,2026-02-01,regulator\n"
        result = await import_file(s, "hazards", "hazards.csv", orphan.encode())
        assert [e.reason for e in result.errors] == ["unknown_inspection"] and not result.written


async def test_imported_inspections_and_division_names_show_in_coverage(local, seeded, county):
    inspections, hazards, a, b = files(county)
    names = f"code,name\n{a['division']},甲镇\n330226,示范县\n"
    async with seeded() as s:
        for kind, text in (("divisions", names), ("inspections", inspections), ("hazards", hazards)):
            assert (await import_file(s, kind, f"{kind}.csv", text.encode())).written
        assert await s.scalar(select(Division.name).where(Division.code == "330226")) == "示范县"
    await grant(seeded, COUNTY, "regulator", "330226")
    text = (await local.client.send(COUNTY, "/coverage")).text
    assert "Government inspections: " in text and ", 2 this year" in text
    assert "甲镇: " in text and a["division"] not in text  # the place by name, its code not shown
    assert f"  · {b['division']}: " not in text  # the demo county names its other townships too
