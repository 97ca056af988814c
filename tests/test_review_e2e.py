"""Evidence in, review, status out (seed 003), end to end over HTTP on both databases."""

import re
from datetime import date

from sqlalchemy import select

from bot.emulator.harness import TgUser
from storage.clock import today
from storage.models import Enterprise, EvidenceSubmission, IndicatorRecord
from tests.conftest import TZ_SETTINGS, grant, rows
from tests.test_evidence_e2e import PDF, submit

OWNER = TgUser(971000001, "Zhao", "Owner", "zhao_owner", "en")
REG = TgUser(971000002, "Town", "Officer", "town_officer", "en")
OTHER_REG = TgUser(971000003, "Other", "Town", "other_town", "en")
TODAY = today(TZ_SETTINGS.tz)


def without(county, *codes: str) -> dict:
    """An enterprise for which none of `codes` is fulfilled today."""
    valid = {
        (i["uscc"], i["indicator"])
        for i in rows(county, "indicators")
        if not i["expires_on"] or date.fromisoformat(i["expires_on"]) >= TODAY
    }
    return next(e for e in rows(county, "enterprises") if not any((e["uscc"], c) in valid for c in codes))


async def two_awaiting_review(local, seeded, county, owner: TgUser, *regulators: TgUser) -> dict:
    """An enterprise whose owner sent training and drill evidence, which the `regulators` of
    its township are to review."""
    ent = without(county, "TRAIN", "DRILL")
    await grant(seeded, owner, "owner", ent["uscc"])
    day = TODAY.replace(day=1).isoformat()
    await submit(local, owner, "Safety training", [("training.pdf", PDF)], day)
    await submit(local, owner, "Emergency plans", [("drill.pdf", PDF)], day)
    for reg in regulators:
        await grant(seeded, reg, "regulator", ent["division"])
    return ent


def trained(text: str) -> int:
    return int(re.search(r"^Training rate: [\d.]+% \((\d+)\)$", text, re.M).group(1))


def fulfilled_count(text: str) -> tuple[int, int]:
    n, m = re.search(r"(\d+) of (\d+) applicable", text).groups()
    return int(n), int(m)


async def test_evidence_accepted_and_rejected_moves_the_status(local, seeded, county):
    ent = without(county, "TRAIN", "DRILL")
    await grant(seeded, OWNER, "owner", ent["uscc"])
    await grant(seeded, REG, "regulator", ent["division"])
    other_town = next(e["division"] for e in rows(county, "enterprises") if e["division"] != ent["division"])
    await grant(seeded, OTHER_REG, "regulator", other_town)
    before = fulfilled_count((await local.client.send(OWNER, "/status")).text)
    async with seeded() as s:
        code = await s.scalar(select(Enterprise.public_code).where(Enterprise.uscc == ent["uscc"]))
    public_before = fulfilled_count((await local.client.send(OTHER_REG, f"/start e_{code}")).text)
    assert public_before == before
    trained_before = trained((await local.client.send(REG, "/digest")).text)

    day = (TODAY.replace(day=1)).isoformat()
    await submit(local, OWNER, "Safety training", [("training.pdf", PDF)], day)
    await submit(local, OWNER, "Emergency plans", [("drill.jpg", b"\xff\xd8drill")], day)

    # Another township's regulator sees none of it, and cannot act on it by a forged press.
    assert "No evidence awaits review" in (await local.client.send(OTHER_REG, "/review")).text
    async with seeded() as s:
        ids = (await s.scalars(select(EvidenceSubmission.id).order_by(EvidenceSubmission.id))).all()
    first = await local.client.send(REG, "/review")
    forged = await local.client.press(
        OTHER_REG, first.last_with_buttons(), data=f"rv:accept:{ids[0]}:0", forge=True
    )
    assert forged.alerts == ["This evidence is no longer awaiting review in your jurisdiction."]

    # Oldest first, files shown, then accept it.
    assert "Evidence 1 of 2 awaiting review" in first.text and "Safety training and education" in first.text
    assert any("document" in m for m in first.messages)
    # Accepting changes the enterprise's compliance: said, and asked once more.
    asked = await local.client.press(REG, first.last_with_buttons(), button=0)
    assert asked.alerts and asked.alerts[0].startswith("Accept this evidence?")
    assert "Safety training and education" in asked.alerts[0] and "Accepted" not in asked.text
    assert [b["text"] for b in asked.last_with_buttons()["reply_markup"]["inline_keyboard"][0]] == [
        "✅ Accept it",
        "← Back",
    ]
    forged = await local.client.press(
        OTHER_REG, asked.last_with_buttons(), data=f"rv:confirm:{ids[0]}:0", forge=True
    )
    assert forged.alerts == ["This evidence is no longer awaiting review in your jurisdiction."]
    back = await local.client.press(REG, asked.last_with_buttons(), button=1)
    assert "Accept" in str(back.last_with_buttons()) and "Next" in str(back.last_with_buttons())
    async with seeded() as s:
        assert (await s.get(EvidenceSubmission, ids[0])).status == "submitted"
    asked = await local.client.press(REG, back.last_with_buttons(), button=0)
    accepted = await local.client.press(REG, asked.last_with_buttons(), button=0)
    assert "Accepted: Safety training and education" in accepted.text
    assert "Evidence 1 of 1 awaiting review" in accepted.text and "Emergency plans" in accepted.text
    assert any("photo" in m for m in accepted.messages)
    await local.client.press(REG, accepted.last_with_buttons(), button=1)  # reject
    rejected = await local.client.send(REG, "The drill record has no date or signatures.")
    assert "the owner has been told why" in rejected.text and "No evidence awaits review" in rejected.text
    await local.flush()

    told = " ".join(m.get("text", "") for m in await local.client.chat(OWNER.id))
    assert "Evidence accepted" in told and "Evidence rejected" in told
    assert "The drill record has no date or signatures." in told

    status = (await local.client.send(OWNER, "/status")).text
    assert fulfilled_count(status) == (before[0] + 1, before[1])
    assert (
        "Evidence rejected: Emergency plans and drills: The drill record has no date or signatures." in status
    )
    public = (await local.client.send(OTHER_REG, f"/start e_{code}")).text
    assert fulfilled_count(public) == (before[0] + 1, before[1])
    assert "drill record" not in public  # reasons are not public
    assert trained((await local.client.send(REG, "/digest")).text) == trained_before + 1

    async with seeded() as s:
        subs = (await s.scalars(select(EvidenceSubmission).order_by(EvidenceSubmission.id))).all()
        record = await s.scalar(
            select(IndicatorRecord)
            .join(Enterprise, Enterprise.id == IndicatorRecord.enterprise_id)
            .where(Enterprise.uscc == ent["uscc"], IndicatorRecord.indicator == "TRAIN")
        )
    assert [(x.status, x.reviewer_id) for x in subs] == [("accepted", REG.id), ("rejected", REG.id)]
    assert subs[1].reason == "The drill record has no date or signatures." and subs[1].reviewed_at
    assert record.fulfilled_on.isoformat() == day

    # A second press on a decided submission changes nothing.
    again = await local.client.press(REG, first.last_with_buttons(), data=f"rv:accept:{ids[1]}:0", forge=True)
    assert again.alerts == ["This evidence is no longer awaiting review in your jurisdiction."]
