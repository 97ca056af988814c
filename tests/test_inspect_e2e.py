"""Regulators' own inspections end to end over HTTP: findings turn the veto and the colour,
the owner rectifies, the regulator (not the agency) verifies, and both return."""

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.emulator.harness import TgUser
from storage.clock import today
from storage.models import Enterprise, Hazard, Inspection, StoredFile, Tip
from tests.conftest import TZ_SETTINGS, grant, rows

OWNER = TgUser(972000001, "Sun", "Owner", "sun_owner", "en")
REG = TgUser(972000002, "Town", "Inspector", "town_inspector", "en")
OTHER_REG = TgUser(972000003, "Other", "Inspector", "other_inspector", "en")
TODAY = today(TZ_SETTINGS.tz)


def clean(county) -> dict:
    """An enterprise with no unclosed hazard, so its responsibility is fulfilled today."""
    busy = {h["uscc"] for h in rows(county, "hazards") if h["status"] != "verified"}
    return next(e for e in rows(county, "enterprises") if e["uscc"] not in busy)


def card(text: str) -> tuple[str, bool]:
    colour = re.search(r"^Risk colour: (\S+)", text, re.M).group(1)
    return colour, "✅ not triggered" in text


async def inspect(local, uscc: str, kind_button: int = 0, major: bool = True) -> str:
    start = await local.client.send(REG, f"/inspect {uscc}")
    assert "On which day" in start.text
    kinds = await local.client.send(REG, (TODAY - timedelta(days=10)).isoformat())
    after_kind = await local.client.press(REG, kinds.last_with_buttons(), button=kind_button)
    return after_kind


async def test_a_major_finding_vetoes_until_the_regulator_verifies_its_rectification(local, seeded, county):
    ent = clean(county)
    await grant(seeded, OWNER, "owner", ent["uscc"])
    await grant(seeded, REG, "regulator", ent["division"])
    before = card((await local.client.send(OWNER, "/status")).text)
    assert before[1]

    note = await inspect(local, ent["uscc"])
    menu = await local.client.send(REG, "Fire exits checked; warehouse inspected.")
    assert "Findings so far: 0" in menu.text
    await local.client.press(REG, menu.last_with_buttons(), button=0)  # add a hazard
    await local.client.send(REG, "Fire exit blocked by pallets")
    photo = await local.client.send_photo(REG, b"\xff\xd8exit")
    levels = await local.client.press(REG, photo.last_with_buttons(), button=0)  # Done
    asked = await local.client.press(REG, levels.last_with_buttons(), button=1)  # major
    assert "deadline" in asked.text.lower()
    menu = await local.client.send(REG, (TODAY - timedelta(days=1)).isoformat())
    assert "Findings so far: 1" in menu.text and "Fire exit blocked" in menu.text
    doc = await local.client.press(REG, menu.last_with_buttons(), button=1)  # finish
    assert "enforcement document" in doc.text
    saved = await local.client.send_document(REG, "文书.pdf", b"%PDF enforcement")
    assert "Inspection recorded" in saved.text and "(1 major)" in saved.text and "kept" in saved.text
    del note

    async with seeded() as s:
        inspection = await s.scalar(select(Inspection))
        hazard = await s.scalar(select(Hazard).where(Hazard.inspection_id == inspection.id))
        document = await s.get(StoredFile, inspection.document_id)
    assert (inspection.division_prefix, inspection.kind, inspection.inspector_id) == (
        ent["division"],
        "routine",
        REG.id,
    )
    assert (hazard.source, hazard.level, hazard.agency_id, hazard.status) == (
        "regulator",
        "major",
        None,
        "open",
    )
    assert document.name == "文书.pdf"

    vetoed = (await local.client.send(OWNER, "/status")).text
    assert card(vetoed) == ("🔴", False)
    assert "1 major hazard overdue" in vetoed

    # The owner rectifies; the regulators are told, the agency is not asked.
    hazards = await local.client.send(OWNER, "/hazards")
    fix = await local.client.press(OWNER, hazards.last_with_buttons(), button=0)
    assert "Send photos of the rectification" in fix.text
    done = await local.client.send_photo(OWNER, b"\xff\xd8cleared")
    await local.client.press(OWNER, done.last_with_buttons(), button=0)
    await local.client.send(OWNER, "Pallets moved, exit marked.")
    await local.flush()
    told = [m.get("text", "") for m in await local.client.chat(REG.id)]
    assert any("Verify it from /review" in m for m in told)
    assert card((await local.client.send(OWNER, "/status")).text)[1] is False  # overdue until verified

    review = await local.client.send(REG, "/review")
    assert "1 rectification(s) of hazards found by inspections" in review.text
    listing = await local.client.press(REG, review.messages[0], button=0)
    assert "Pallets moved" in listing.text
    assert "Before (1) and after (1): Fire exit blocked" in listing.text  # one album, side by side
    asked = await local.client.press(REG, listing.last_with_buttons(), button=0)
    assert "Verified and closed" not in asked.text  # closing cannot be undone: asked once more
    verified = await local.client.press(REG, asked.last_with_buttons(), button=0)
    assert "Verified and closed" in verified.text

    assert card((await local.client.send(OWNER, "/status")).text) == before
    async with seeded() as s:
        assert (await s.get(Hazard, hazard.id)).status == "verified"


async def test_scope_other_township_cannot_inspect_or_verify(local, seeded, county):
    ents = rows(county, "enterprises")
    mine = ents[0]
    theirs = next(e for e in ents if e["division"] != mine["division"])
    await grant(seeded, REG, "regulator", mine["division"])
    refused = await local.client.send(REG, f"/inspect {theirs['uscc']}")
    assert "No enterprise in your jurisdiction matches" in refused.text  # as if it did not exist
    async with seeded() as s:
        other_id = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == theirs["uscc"]))
    listing = await local.client.send(REG, "/inspect 有限公司")
    forged = await local.client.press(
        REG, listing.last_with_buttons(), data=f"insp:ent:{other_id}", forge=True
    )
    assert forged.alerts == ["This enterprise is not in your jurisdiction."] and not forged.messages
    forged = await local.client.press(REG, listing.last_with_buttons(), data="gv:verify:1", forge=True)
    assert forged.alerts == ["This rectification was already handled, or is not yours to verify."]
    assert "for regulator only" in (await local.client.send(OWNER, "/inspect x")).text


async def test_an_inspection_links_the_tip_it_followed_up(local, seeded, county):
    ent = rows(county, "enterprises")[0]
    await grant(seeded, REG, "regulator", ent["division"])
    async with seeded() as s:
        eid = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == ent["uscc"]))
        tip = Tip(
            receipt_hash="h" * 64,
            target_kind="enterprise",
            enterprise_id=eid,
            division=ent["division"],
            category="unsafe_condition",
            status="new",
            created_hour=datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC),
            body=b"sealed",
        )
        s.add(tip)
        await s.commit()
    tips = await inspect(local, ent["uscc"], kind_button=2)
    labels = [b["text"] for row in tips.last_with_buttons()["reply_markup"]["inline_keyboard"] for b in row]
    assert "Which tip did this inspection follow up?" in tips.text and labels[0].startswith(f"Tip #{tip.id} ")
    note = await local.client.press(REG, tips.last_with_buttons(), button=0)
    skip = await local.client.press(REG, note.last_with_buttons(), button=0)  # no note
    doc = await local.client.press(REG, skip.last_with_buttons(), button=1)  # finish, no findings
    saved = await local.client.press(REG, doc.last_with_buttons(), button=0)  # no document
    assert f"follows up tip #{tip.id}" in saved.text and "Hazards: 0" in saved.text
    async with seeded() as s:
        inspection = await s.scalar(select(Inspection))
    assert inspection.tip_id == tip.id and inspection.kind == "tip_followup"
    assert inspection.date == date.fromordinal(TODAY.toordinal() - 10)


async def test_more_rectifications_than_one_list_are_counted_and_announced(local, seeded, county):
    """Ten wait: /review counts ten, the list shows the earliest deadlines and says how many
    more there are, instead of a silent eight."""
    ent = clean(county)
    await grant(seeded, REG, "regulator", ent["division"])
    async with seeded() as s:
        enterprise = await s.scalar(select(Enterprise).where(Enterprise.uscc == ent["uscc"]))
        for i in range(10):
            s.add(
                Hazard(
                    enterprise_id=enterprise.id,
                    ref=f"GOV-{i}",
                    found_on=TODAY - timedelta(days=20),
                    description=f"Finding {i}",
                    level="general",
                    deadline=TODAY + timedelta(days=i),
                    status="submitted",
                    source="regulator",
                )
            )
        await s.commit()
    review = await local.client.send(REG, "/review")
    assert "10 rectification(s) of hazards found by inspections" in review.text
    listing = await local.client.press(REG, review.messages[0], button=0)
    assert "10 rectifications waiting for verification" in listing.text
    assert "Finding 7" in listing.text and "Finding 8" not in listing.text
    assert "the other 2" in listing.text
