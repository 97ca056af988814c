"""Compliance status, public view, QR code and regulator lookup, end to end over HTTP."""

import csv
import io
import re
from datetime import date

import zxingcpp
from PIL import Image
from sqlalchemy import select

from bot.emulator.harness import TgUser
from domain.indicators import DEFAULT_CATALOGUE as CATALOGUE
from storage.clock import today
from storage.models import Enterprise
from tests.conftest import TZ_SETTINGS, grant, rows

OWNER = TgUser(960000001, "Wang", "Owner", "wang_owner", "en")
STRANGER = TgUser(960000002, "Passer", "By", "passer_by", "en")
REG_A = TgUser(960000003, "Reg", "A", "reg_a", "en")
TODAY = today(TZ_SETTINGS.tz)


def applicable_codes(county, uscc: str) -> set[str]:
    """Indicators of the catalogue file that apply to the enterprise (its tags or industry)."""
    ent = next(e for e in rows(county, "enterprises") if e["uscc"] == uscc)
    mine = set(filter(None, ent["tags"].split(";"))) | {ent["industry"]}
    with CATALOGUE.open(encoding="utf-8") as fh:
        return {
            r["code"]
            for r in csv.DictReader(fh)
            if not r["applies_to"] or set(r["applies_to"].split(";")) & mine
        }


def expected_numbers(county, uscc: str) -> dict:
    """The figures of one enterprise, computed from the import files alone."""
    hazards = [h for h in rows(county, "hazards") if h["uscc"] == uscc and h["status"] != "verified"]
    # Imported as submitted: awaiting the agency's check, so not overdue for the owner.
    overdue = [h for h in hazards if date.fromisoformat(h["deadline"]) < TODAY and h["status"] == "open"]
    applies = applicable_codes(county, uscc)
    indicators = [i for i in rows(county, "indicators") if i["uscc"] == uscc and i["indicator"] in applies]
    fulfilled = [i for i in indicators if not i["expires_on"] or date.fromisoformat(i["expires_on"]) >= TODAY]
    return {
        "open": len(hazards),
        "overdue": len(overdue),
        "major": sum(h["level"] == "major" for h in hazards),
        "fulfilled": len(fulfilled),
        "total": len(applies),
        "descriptions": {h["description"] for h in hazards},
    }


def busiest(county) -> str:
    """An enterprise with open hazards, so the numbers say something."""
    counts: dict[str, int] = {}
    for h in rows(county, "hazards"):
        if h["status"] != "verified":
            counts[h["uscc"]] = counts.get(h["uscc"], 0) + 1
    return max(counts, key=lambda k: (counts[k], k))


async def test_owner_status_shows_the_numbers_of_the_imported_data(local, seeded, county):
    uscc = busiest(county)
    await grant(seeded, OWNER, "owner", uscc)
    exp = expected_numbers(county, uscc)
    text = (await local.client.send(OWNER, "/status")).text
    assert f"Responsibility indicators: {exp['fulfilled']} of {exp['total']} applicable fulfilled" in text
    assert f"Hazards: {exp['open']} to rectify, {exp['overdue']} overdue, {exp['major']} major" in text
    assert uscc in text
    if exp["overdue"] or exp["major"]:
        assert "Veto by major or overdue hazards: ❌ triggered, responsibility not fulfilled" in text
    else:
        assert "Veto by major or overdue hazards: ✅ not triggered" in text
    # Each part of the card starts its own line.
    for label in (
        "Risk colour:",
        "Responsibility indicators:",
        "Veto by",
        "Hazards:",
        "Agency:",
        "Last visit:",
    ):
        assert re.search(rf"^{label}", text, re.M), label


async def test_an_owner_of_two_enterprises_chooses_and_cannot_forge_a_third(local, seeded, county):
    ents = rows(county, "enterprises")
    await grant(seeded, OWNER, "owner", ents[0]["uscc"])
    await grant(seeded, OWNER, "owner", ents[1]["uscc"])
    menu = await local.client.send(OWNER, "/status")
    assert "Choose an enterprise" in menu.text
    keyboard = menu.last_with_buttons()
    pressed = await local.client.press(OWNER, keyboard, button=0)
    assert pressed.answered and "Responsibility indicators:" in pressed.text
    async with seeded() as s:
        other = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == ents[2]["uscc"]))
    forged = await local.client.press(OWNER, keyboard, data=f"own:status:{other}", forge=True)
    assert forged.alerts == ["This button is no longer valid, or not yours to press."]
    assert not forged.messages


async def test_the_public_link_shows_the_public_view_only(local, seeded, county):
    uscc = busiest(county)
    exp = expected_numbers(county, uscc)
    async with seeded() as s:
        ent = await s.scalar(select(Enterprise).where(Enterprise.uscc == uscc))
    reply = await local.client.send(STRANGER, f"/start e_{ent.public_code}")
    text = reply.text
    assert ent.name in text
    assert f"{exp['fulfilled']} of {exp['total']} applicable fulfilled" in text
    assert re.search(rf"^Hazards being rectified: {exp['open']}$", text, re.M)
    assert re.search(r"^Last inspection: ", text, re.M)
    assert uscc not in text
    assert not any(d in text for d in exp["descriptions"])  # no hazard details
    button = reply.last_with_buttons()["reply_markup"]["inline_keyboard"][0][0]
    assert button["url"] == f"https://t.me/safety_demo_bot?start=tip_{ent.public_code}"
    assert "not valid" in (await local.client.send(STRANGER, "/start e_guessing123")).text


async def test_public_codes_are_unguessable_and_do_not_reveal_the_uscc(seeded):
    async with seeded() as s:
        codes = (await s.execute(select(Enterprise.public_code, Enterprise.uscc))).all()
    assert len({c for c, _ in codes}) == len(codes)
    assert all(len(c) >= 16 and u not in c and u[2:8] not in c for c, u in codes)


async def test_qr_is_a_png_that_decodes_to_the_deep_link(local, seeded, county):
    uscc = rows(county, "enterprises")[0]["uscc"]
    await grant(seeded, OWNER, "owner", uscc)
    reply = await local.client.send(OWNER, "/qr")
    doc = next(m["document"] for m in reply.messages if "document" in m)
    assert doc["file_name"] == f"safety-qr-{uscc}.png"
    png = await local.client.file(doc["file_id"])
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    decoded = [r.text for r in zxingcpp.read_barcodes(image)]
    async with seeded() as s:
        code = await s.scalar(select(Enterprise.public_code).where(Enterprise.uscc == uscc))
    assert decoded == [f"https://t.me/safety_demo_bot?start=e_{code}"]
    assert any(e["kind"] == "action" and e["action"] == "upload_document" for e in reply.events)


async def test_a_township_regulator_sees_only_its_township(local, seeded, county):
    ents = rows(county, "enterprises")
    town_a = ents[0]["division"]
    in_b = next(e for e in ents if e["division"] != town_a)
    in_a = ents[0]
    await grant(seeded, REG_A, "regulator", town_a)

    refused = await local.client.send(REG_A, f"/enterprise {in_b['uscc']}")
    assert "No enterprise in your jurisdiction matches" in refused.text and in_b["name"] not in refused.text
    shown = await local.client.send(REG_A, f"/enterprise {in_a['uscc']}")
    assert in_a["name"] in shown.text and "Recent visits" in shown.text and "tips received: 0" in shown.text

    # A name shared by both townships only lists township A's enterprises.
    listing = await local.client.send(REG_A, "/enterprise 有限公司")
    names_b = {e["name"] for e in ents if e["division"] != town_a}
    buttons = [
        b["text"] for row in listing.last_with_buttons()["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert buttons and not set(buttons) & names_b

    async with seeded() as s:
        b_id = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == in_b["uscc"]))
    forged = await local.client.press(REG_A, listing.last_with_buttons(), data=f"prof:{b_id}", forge=True)
    assert forged.alerts == ["This enterprise is not in your jurisdiction."] and not forged.messages


async def test_lookup_by_a_name_with_one_match_and_with_none(local, seeded, county):
    ents = rows(county, "enterprises")
    await grant(seeded, REG_A, "regulator", "330226")
    one = await local.client.send(REG_A, f"/enterprise {ents[5]['name']}")
    assert ents[5]["uscc"] in one.text and "Risk colour" in one.text
    none = await local.client.send(REG_A, "/enterprise 不存在的名字%_")
    assert "No enterprise in your jurisdiction matches" in none.text
    assert "Usage: /enterprise" in (await local.client.send(REG_A, "/enterprise")).text


async def test_status_is_refused_to_people_without_the_role(local):
    assert "for enterprise owner only" in (await local.client.send(STRANGER, "/status")).text
    assert "for regulator only" in (await local.client.send(STRANGER, "/enterprise x")).text


async def test_status_texts_in_chinese(local, seeded, county):
    zh_owner = TgUser(960000009, "王", language_code="zh-hans")
    await grant(seeded, zh_owner, "owner", busiest(county))
    text = (await local.client.send(zh_owner, "/status")).text
    assert re.search(r"主体责任指标：\d+ / (\d+) 已落实（适用本企业的共 \1 项）", text)
    assert re.search(r"重大/逾期隐患否决：(✅ 未触发|❌ 已触发，主体责任未落实)", text)
    assert "风险等级：" in text
