"""The weekly digest over HTTP: figures recomputed here from the import files, chart, workbook."""

import io
from datetime import date, timedelta

from openpyxl import load_workbook
from PIL import Image

from bot.emulator.harness import TgUser
from bot.scheduler import digest_job
from storage.clock import today
from storage.digest import Week
from tests.conftest import TZ_SETTINGS, grant, rows

COUNTY_REG = TgUser(993000001, "County", "Regulator", "", "en")
TOWN_REG = TgUser(993000002, "Town", "Regulator", "", "en")
TODAY = today(TZ_SETTINGS.tz)


def _d(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def expected(county, week: Week, division_prefix: str = "") -> dict[str, int]:
    """The digest's figures, from the CSV files alone."""
    ents = {e["uscc"] for e in rows(county, "enterprises") if e["division"].startswith(division_prefix)}
    start, end = week.start, week.end
    hazards = [h for h in rows(county, "hazards") if h["uscc"] in ents]
    visits = [v for v in rows(county, "visits") if v["uscc"] in ents]
    reported = {(r["agency_code"], r["visit_ref"]): _d(r["submitted_on"]) for r in rows(county, "reports")}
    covered = {
        c["uscc"]
        for c in rows(county, "contracts")
        if c["uscc"] in ents and _d(c["start_date"]) <= end <= _d(c["end_date"])
    }
    missing = 0
    for v in visits:
        day, sub = _d(v["date"]), reported.get((v["agency_code"], v["ref"]))
        if end - timedelta(days=365 + 30) < day <= end - timedelta(days=30) and (sub is None or sub > end):
            missing += 1
    return {
        "Enterprises": len(ents),
        "Covered by an active contract": len(covered),
        "Visits this week": sum(start <= _d(v["date"]) <= end for v in visits),
        "Hazards found": sum(start <= _d(h["found_on"]) <= end for h in hazards),
        "Hazards rectified": sum(
            bool(h["closed_on"]) and start <= _d(h["closed_on"]) <= end for h in hazards
        ),
        "Overdue at week's end": sum(
            _d(h["found_on"]) <= end
            and _d(h["deadline"]) < end
            and (not h["closed_on"] or _d(h["closed_on"]) > end)
            and h["status"] != "submitted"  # imported as submitted: awaiting the agency's check
            for h in hazards
        ),
        "Major hazards found": sum(
            start <= _d(h["found_on"]) <= end and h["level"] == "major" for h in hazards
        ),
        "Missing service reports": missing,
    }


async def test_digest_figures_chart_and_workbook(local, seeded, county):
    await grant(seeded, COUNTY_REG, "regulator", "330226")
    week = Week.last_full(TODAY)
    now, before = expected(county, week), expected(county, week.previous())
    reply = await local.client.send(COUNTY_REG, "/digest")
    text = reply.messages[0]["text"]
    assert f"{week.start.isoformat()} to {week.end.isoformat()}" in text
    for label, value in now.items():
        delta = value - before[label]
        change = f"{delta:+d}" if delta else "±0"
        assert f"{label}: {value} ({change})" in text, (label, value, change)
    coverage = now["Covered by an active contract"] / now["Enterprises"]
    assert f"Coverage: {coverage:.1%}" in text

    photo = next(m for m in reply.messages if "photo" in m)
    chart = Image.open(io.BytesIO(await local.client.file(photo["photo"][-1]["file_id"])))
    assert chart.format == "PNG" and chart.width > 600
    doc = next(m for m in reply.messages if "document" in m)
    assert doc["document"]["file_name"] == f"digest-330226-{week.start.isoformat()}.xlsx"
    book = load_workbook(io.BytesIO(await local.client.file(doc["document"]["file_id"])))
    assert book.sheetnames == ["Overdue hazards", "Missing reports", "Agencies"]
    overdue = book["Overdue hazards"]
    assert overdue.freeze_panes == "A2"
    assert overdue.max_row - 1 == now["Overdue at week's end"]
    assert book["Missing reports"].max_row - 1 == now["Missing service reports"]
    assert [c.value for c in book["Agencies"][1]][:3] == ["Agency code", "Agency", "Visits this week"]
    assert sum(row[2].value for row in book["Agencies"].iter_rows(min_row=2)) == now["Visits this week"]


async def test_a_township_digest_counts_only_the_township(local, seeded, county):
    town = rows(county, "enterprises")[0]["division"]
    await grant(seeded, TOWN_REG, "regulator", town)
    exp = expected(county, Week.last_full(TODAY), town)
    text = (await local.client.send(TOWN_REG, "/digest")).messages[0]["text"]
    assert f"Enterprises: {exp['Enterprises']} (±0)" in text
    assert f"Hazards found: {exp['Hazards found']} (" in text


async def test_the_scheduled_digest_arrives_through_the_outbox(local, seeded, county):
    await grant(seeded, COUNTY_REG, "regulator", "330226")
    await local.client.send(COUNTY_REG, "/start")
    result = await digest_job(local.app, local.bot)
    assert result.startswith("digest for 1 jurisdiction(s)")
    await local.flush()
    chat = [m for m in await local.client.chat(COUNTY_REG.id) if m["from"]["is_bot"]]
    assert any("Weekly digest" in (m.get("text") or "") for m in chat)
    assert any("photo" in m for m in chat) and any("document" in m for m in chat)
    assert (
        await digest_job(local.app, local.bot) == "digest for 1 jurisdiction(s), 0 messages sent"
    )  # once a week


async def test_digest_is_for_regulators_only(local):
    assert "for regulator only" in (await local.client.send(TOWN_REG, "/digest")).text
