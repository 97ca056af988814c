"""Seed 003's headline figures under /coverage and the yearly enforcement list, checked
against figures computed from the import files alone."""

import io
import re
from datetime import date

from openpyxl import load_workbook

from bot.emulator.harness import TgUser
from domain.compliance import add_months, expiry_of
from storage.clock import today
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
        i["uscc"] for i in rows(county, "indicators") if date.fromisoformat(i["fulfilled_on"]) >= since
    }
    return {
        "n": len(ents),
        "responsible": len(ents - vetoed),
        "trained": len(valid("TRAIN")),
        "drilled": len(valid("DRILL")),
        "enforcement": ents - active - recorded,
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
