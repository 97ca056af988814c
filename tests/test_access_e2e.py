"""Access as an attacker tries it: invites in a backup, forged buttons on closed tips, tips in
groups, and questions whose answers would leak what lies outside a jurisdiction."""

import re

from sqlalchemy import select, update

from bot.emulator.harness import TgUser
from domain import uscc
from storage import tips as tip_store
from storage.models import Agency, Invite, Tip
from tests.conftest import ADMIN, TIP_KEYS, grant, rows
from tests.test_regulator_e2e import expected_agency
from tests.test_tips_e2e import REG_A, TIPSTER, close_tip, file_tip, press, town  # noqa: F401  (fixture)

NEWCOMER = TgUser(930000001, "New", "Comer", "", "en")
GROUP = -1009300000001
REFUSED = "open a private chat with the bot"


async def test_invites_are_stored_as_keyed_hashes_and_a_backup_redeems_nothing(local, county):
    reply = await local.client.send(ADMIN, "/invite admin -")
    code = re.search(r"start=inv_([\w-]+)", reply.text).group(1)
    async with local.app.sessions() as s:
        stored = (await s.scalars(select(Invite))).all()
    assert len(stored) == 1
    row = stored[0]
    assert code not in repr(row.__dict__)
    assert row.code_hash == TIP_KEYS.invite_hash(code)
    # Someone holding a copy of the database tries what it holds.
    stolen = await local.client.send(NEWCOMER, f"/start inv_{row.code_hash}")
    assert "You are now" not in stolen.text
    assert "You have no role yet" in (await local.client.send(NEWCOMER, "/whoami")).text
    assert "You are now admin" in (await local.client.send(NEWCOMER, f"/start inv_{code}")).text


async def test_a_closed_tip_cannot_be_closed_again_by_a_forged_button(local, town):  # noqa: F811
    await file_tip(local, TIPSTER, link=f"tip_{town['code']}")
    reg = REG_A
    listing = await local.client.send(reg, "/tips")
    opened = await local.client.press(reg, listing.last_with_buttons(), button=0)
    closed = await close_tip(local, reg, opened, "Substantiated", "情况属实，已责令整改")
    assert "closed: substantiated" in closed.text
    async with local.app.sessions() as s:
        tip_id = await s.scalar(select(Tip.id))
    for action in ("unfounded", "referred", "review"):
        forged = await local.client.press(reg, opened.messages[-1], data=f"ta:{action}:{tip_id}", forge=True)
        assert forged.alerts == [
            "This tip is closed (substantiated); its outcome is final and cannot be changed."
        ]
    async with local.app.sessions() as s:
        assert (await s.get(Tip, tip_id)).status == "substantiated"
    reopened = await local.client.press(reg, listing.last_with_buttons(), button=0)
    assert "Unfounded" not in reopened.text and "Substantiated" not in str(
        reopened.messages[-1]["reply_markup"]
    )


async def test_tips_are_handled_in_private_chats_only(local, town):  # noqa: F811
    reg = REG_A
    receipt = await file_tip(local, TIPSTER, link=f"tip_{town['code']}")
    for user, text in (
        (TIPSTER, "/tip"),
        (TIPSTER, f"/follow {receipt}"),
        (TIPSTER, f"/start tip_{town['code']}"),
        (reg, "/tips"),
    ):
        reply = await local.client.send(user, text, group_id=GROUP)
        assert REFUSED in reply.text, (text, reply.text)
        assert receipt not in reply.text and "Status:" not in reply.text
    async with local.app.sessions() as s:
        tip_id = await s.scalar(select(Tip.id))
    anchor = (await local.client.send(reg, "/help", group_id=GROUP)).messages[-1]
    for data in (f"tip:{tip_id}", f"ta:reply:{tip_id}"):
        forged = await local.client.press(reg, anchor, data=data, forge=True)
        assert len(forged.alerts) == 1 and REFUSED in forged.alerts[0]
        assert not forged.messages
    assert "Status: received" in (await local.client.send(TIPSTER, f"/follow {receipt}")).text


async def test_enterprise_lookup_gives_no_hint_of_what_lies_outside(local, seeded, county):
    reg = TgUser(930000002, "Town", "Reg", "", "en")
    ents = rows(county, "enterprises")
    township = ents[0]["division"]
    outside = next(e for e in ents if e["division"] != township)
    await grant(seeded, reg, "regulator", township)
    missing = uscc.complete("91330226MA2AB0CD1")
    there = (await local.client.send(reg, f"/enterprise {outside['uscc']}")).text
    nowhere = (await local.client.send(reg, f"/enterprise {missing}")).text
    assert there.replace(outside["uscc"], "X") == nowhere.replace(missing, "X")


async def test_agency_tip_counts_stay_within_the_jurisdiction(local, seeded, county):
    reg = TgUser(930000003, "Town", "Reg", "", "en")
    ents = rows(county, "enterprises")
    township = ents[0]["division"]
    other = next(e["division"] for e in ents if e["division"] != township)
    await grant(seeded, reg, "regulator", township)
    async with seeded() as s:
        agency = await s.scalar(select(Agency).where(Agency.code == "AG001"))
        target = tip_store.Target("agency", agency.id, agency.name, other)
        await tip_store.file_tip(
            s, TIP_KEYS, target, "agency_fraud", "另一乡镇的举报：报告造假，检查走过场", []
        )
        await s.execute(update(Tip).values(status="substantiated"))
        await s.commit()
    text = (await local.client.send(reg, "/agencies")).text
    block = text.split("AG001 ", 1)[1].split("\n")[1].strip()
    assert block == expected_agency(county, "AG001", [], division=township)
