"""Seed 003's headline figures under /coverage and the yearly enforcement list, checked
against figures computed from the import files alone."""

import io
import re
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from bot.emulator.harness import TgUser
from domain.compliance import add_months, expiry_of
from domain.uscc import complete
from storage.clock import today
from storage.models import (
    Agency,
    Contract,
    Enterprise,
    EvidenceSubmission,
    IndicatorRecord,
    Inspection,
    Visit,
)
from tests.conftest import TZ_SETTINGS, grant, rows

COUNTY = TgUser(973000001, "County", "Bureau", "county_bureau", "en")
TODAY = today(TZ_SETTINGS.tz)


def expected(county) -> dict:
    ents = {e["uscc"] for e in rows(county, "enterprises")}
    # The veto as /status decides it: an open major hazard, or one overdue for the owner (a
    # hazard imported as submitted awaits the agency's check: not overdue).
    vetoed = {
        h["uscc"]
        for h in rows(county, "hazards")
        if h["status"] != "verified"
        and (h["level"] == "major" or (h["status"] == "open" and date.fromisoformat(h["deadline"]) < TODAY))
    }

    def valid(code: str) -> set[str]:
        out = set()
        for i in rows(county, "indicators"):
            if i["indicator"] != code:
                continue
            fulfilled = date.fromisoformat(i["fulfilled_on"])
            own = date.fromisoformat(i["expires_on"]) if i["expires_on"] else None
            if fulfilled <= TODAY and expiry_of(fulfilled, own, 12) >= TODAY:
                out.add(i["uscc"])
        return out

    since = add_months(TODAY, -12)
    active = {
        c["uscc"]
        for c in rows(county, "contracts")
        if date.fromisoformat(c["end_date"]) >= since and date.fromisoformat(c["start_date"]) <= TODAY
    }
    recorded = {
        i["uscc"]
        for i in rows(county, "indicators")
        if i["indicator"] == "HAZARD" and since <= date.fromisoformat(i["fulfilled_on"]) <= TODAY
    }
    visited = {v["uscc"] for v in rows(county, "visits") if since <= date.fromisoformat(v["date"]) <= TODAY}
    return {
        "n": len(ents),
        "responsible": len(ents - vetoed),
        "trained": len(valid("TRAIN")),
        "drilled": len(valid("DRILL")),
        "enforcement": ents - active - recorded - visited,
    }


async def test_coverage_shows_the_headline_figures_and_exports_the_enforcement_list(local, seeded, county):
    await grant(seeded, COUNTY, "regulator", "330226")
    exp = expected(county)
    reply = await local.client.send(COUNTY, "/coverage")
    text = reply.text
    assert f"— {exp['n']} enterprises" in text
    assert re.search(rf"^Responsibility fulfilled: [\d.]+% \({exp['responsible']}\)$", text, re.M)
    assert re.search(rf"^Training rate: [\d.]+% \({exp['trained']}\)$", text, re.M)
    assert re.search(rf"^Drill rate \(done and not expired\): [\d.]+% \({exp['drilled']}\)$", text, re.M)
    assert "Evidence awaiting review: 0" in text
    assert "Government inspections: 0 this week, 0 this year" in text
    assert f"Enforcement list: {len(exp['enforcement'])} enterprises" in text

    if exp["enforcement"]:
        exported = await local.client.press(COUNTY, reply.last_with_buttons(), button=0)
        doc = next(m["document"] for m in exported.messages if "document" in m)
        sheet = load_workbook(io.BytesIO(await local.client.file(doc["file_id"]))).active
        listed = [r for r in sheet.iter_rows(min_row=2, values_only=True)]
        assert {r[1] for r in listed} == exp["enforcement"]
        assert [r[0] for r in listed] == sorted(r[0] for r in listed)  # by township


async def exported(local, regulator: TgUser) -> dict[str, tuple]:
    """/coverage, then the enforcement list's export: USCC → row."""
    reply = await local.client.send(regulator, "/coverage")
    pressed = await local.client.press(regulator, reply.last_with_buttons(), button=0)
    doc = next(m["document"] for m in pressed.messages if "document" in m)
    sheet = load_workbook(io.BytesIO(await local.client.file(doc["file_id"]))).active
    return {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}


async def test_the_enforcement_list_is_who_neither_inspected_themselves_nor_engaged_an_agency(
    local, seeded, county
):
    """Seed 000 line 60, one enterprise per case; accepting a hazard-investigation record
    in /review takes its enterprise off the list."""
    await grant(seeded, COUNTY, "regulator", "330226")
    ago = lambda days: TODAY - timedelta(days=days)  # noqa: E731
    cases = {
        "none": True,
        "training only": True,  # a training record is no hazard investigation
        "inspected by the government": False,  # already under enforcement: not listed again
        "investigation awaiting review": True,
        "inspected itself": False,
        "contract ended six months ago": False,
        "an agency visited": False,
    }
    async with seeded() as s:
        first = await s.scalar(select(Enterprise).where(Enterprise.division.startswith("330226")))
        agency = await s.scalar(select(Agency))
        ids = {}
        for n, case in enumerate(cases):
            ent = Enterprise(
                uscc=complete(f"91330226MA2E{n:05d}"),
                name=f"执法名单测试 {case}",
                division=first.division,
                public_code=f"enf-{n}",
            )
            s.add(ent)
            await s.flush()
            ids[case] = ent.id
        s.add_all(
            [
                IndicatorRecord(enterprise_id=ids["training only"], indicator="TRAIN", fulfilled_on=ago(60)),
                Inspection(
                    ref="enf-gov",
                    division_prefix=first.division[:9],
                    enterprise_id=ids["inspected by the government"],
                    date=ago(30),
                    kind="routine",
                ),
                EvidenceSubmission(
                    enterprise_id=ids["investigation awaiting review"],
                    indicator="HAZARD",
                    fulfilled_on=ago(10),
                    status="submitted",
                ),
                IndicatorRecord(
                    enterprise_id=ids["inspected itself"], indicator="HAZARD", fulfilled_on=ago(60)
                ),
                Contract(
                    agency_id=agency.id,
                    enterprise_id=ids["contract ended six months ago"],
                    kind="monthly",
                    start_date=ago(550),
                    end_date=ago(183),
                ),
                Visit(
                    agency_id=agency.id,
                    ref="enf-visit",
                    enterprise_id=ids["an agency visited"],
                    date=ago(90),
                    kind="comprehensive",
                ),
            ]
        )
        await s.commit()
        uscc = {case: (await s.get(Enterprise, i)).uscc for case, i in ids.items()}

    listed = await exported(local, COUNTY)
    assert {case: uscc[case] in listed for case in cases} == cases
    assert listed[uscc["none"]][2] == "执法名单测试 none"

    review = await local.client.send(COUNTY, "/review")
    assert "执法名单测试 investigation awaiting review" in review.text
    asked = await local.client.press(COUNTY, review.last_with_buttons(), button=0)  # Accept
    await local.client.press(COUNTY, asked.last_with_buttons(), button=0)  # Accept it (confirmed)
    assert uscc["investigation awaiting review"] not in await exported(local, COUNTY)
