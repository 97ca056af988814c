"""/evidence end to end over HTTP: the picker, files kept by hash, dates, history, scope."""

import hashlib
from pathlib import Path

from sqlalchemy import delete, select

from bot.emulator.harness import TgUser
from storage.models import Enterprise, EvidenceSubmission, IndicatorRecord, StoredFile
from tests.conftest import grant, rows

OWNER = TgUser(970000001, "Li", "Owner", "li_owner", "en")
PDF = b"%PDF-1.4 drill record " + b"x" * 100


async def open_indicator(local, owner: TgUser, name_part: str):
    """/evidence, paging until the indicator's button shows; returns (its label, the card reply)."""
    menu = (await local.client.send(owner, "/evidence")).last_with_buttons()
    while True:
        buttons = [b for row in menu["reply_markup"]["inline_keyboard"] for b in row]
        index = next((i for i, b in enumerate(buttons) if name_part in b["text"]), None)
        if index is not None:
            return buttons[index]["text"], await local.client.press(owner, menu, button=index)
        page = await local.client.press(owner, menu, button=len(buttons) - 1)  # ▶
        menu = page.last_with_buttons()


async def submit(
    local, owner: TgUser, name_part: str, files: list[tuple[str, bytes]], day: str = "2026-01-10"
):
    """Walk /evidence for the indicator whose button contains `name_part`; returns the last reply."""
    _, card = await open_indicator(local, owner, name_part)
    await local.client.press(owner, card.last_with_buttons(), button=0)  # Submit evidence
    reply = None
    for name, content in files:
        if name.endswith(".jpg"):
            reply = await local.client.send_photo(owner, content)
        else:
            reply = await local.client.send_document(owner, name, content)
    if reply.last_with_buttons() and len(files) < 5:
        await local.client.press(owner, reply.last_with_buttons(), button=0)  # Done
    return await local.client.send(owner, day)


async def test_owner_submits_evidence_and_sees_it_awaiting_review(local, seeded, county, settings):
    uscc = rows(county, "enterprises")[0]["uscc"]
    await grant(seeded, OWNER, "owner", uscc)
    async with seeded() as s:  # the drill indicator is missing for this enterprise
        eid = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc))
        await s.execute(
            delete(IndicatorRecord).where(
                IndicatorRecord.enterprise_id == eid, IndicatorRecord.indicator == "DRILL"
            )
        )
        await s.commit()
    menu = await local.client.send(OWNER, "/evidence")
    assert "indicators fulfilled" in menu.text and "page 1 of" in menu.text

    refused = await local.client.send_document(OWNER, "virus.exe", b"MZ")
    assert "not supported here" in refused.text  # not in the dialog yet: nothing stored

    done = await submit(local, OWNER, "Emergency plans", [("drill.pdf", PDF), ("p.jpg", b"\xff\xd8jpeg")])
    assert "submitted (2 file(s)), awaiting review" in done.text

    async with seeded() as s:
        sub = await s.scalar(select(EvidenceSubmission))
        files = (await s.scalars(select(StoredFile).order_by(StoredFile.id))).all()
    assert (sub.indicator, sub.status, sub.fulfilled_on.isoformat()) == ("DRILL", "submitted", "2026-01-10")
    assert files[0].sha256 == hashlib.sha256(PDF).hexdigest() and files[0].name == "drill.pdf"
    assert (Path(settings.file_store_dir) / files[0].store_key).read_bytes() == PDF

    status = await local.client.send(OWNER, "/status")
    assert "Awaiting review (1): Emergency plans and drills" in status.text

    label, card = await open_indicator(local, OWNER, "Emergency plans")
    assert label.startswith("🕓")
    assert "State: awaiting review" in card.text and "2 file(s) — awaiting review" in card.text
    labels = [b["text"] for row in card.last_with_buttons()["reply_markup"]["inline_keyboard"] for b in row]
    assert "📎 Submit evidence" not in labels  # one submission at a time


async def test_bad_files_and_dates_are_refused_and_nothing_half_is_stored(local, seeded, county):
    uscc = rows(county, "enterprises")[0]["uscc"]
    await grant(seeded, OWNER, "owner", uscc)
    menu = (await local.client.send(OWNER, "/evidence")).last_with_buttons()
    card = await local.client.press(OWNER, menu, button=0)
    await local.client.press(OWNER, card.last_with_buttons(), button=0)
    assert "not taken" in (await local.client.send_document(OWNER, "setup.exe", b"MZ")).text
    assert "Please send a photo" in (await local.client.send(OWNER, "hello")).text
    reply = await local.client.send_document(OWNER, "ledger.xlsx", b"PK fake xlsx")
    await local.client.press(OWNER, reply.last_with_buttons(), button=0)
    assert "not a date I can read" in (await local.client.send(OWNER, "someday")).text
    assert "has not come yet" in (await local.client.send(OWNER, "2999-01-01")).text
    assert "cancel" in (await local.client.send(OWNER, "/cancel")).text.lower()
    async with seeded() as s:
        assert await s.scalar(select(EvidenceSubmission)) is None
        assert await s.scalar(select(StoredFile)) is None


async def test_an_owner_cannot_submit_for_another_enterprise(local, seeded, county):
    ents = rows(county, "enterprises")
    await grant(seeded, OWNER, "owner", ents[0]["uscc"])
    async with seeded() as s:
        other = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == ents[1]["uscc"]))
    menu = (await local.client.send(OWNER, "/evidence")).last_with_buttons()
    for data in (f"ev:pick:{other}:0:DRILL", f"ev:send:{other}:0:DRILL", f"ev:page:{other}:0:"):
        forged = await local.client.press(OWNER, menu, data=data, forge=True)
        assert forged.alerts == ["This button is no longer valid, or not yours to press."], data
        assert not forged.messages
    stranger = TgUser(970000002, "No", "Role", "", "en")
    assert "for enterprise owner only" in (await local.client.send(stranger, "/evidence")).text
