"""Typed button words never act where they should not: a typed date is a date, not the
button that shows one; the same words sent twice do not confirm what they only asked
about; a reply begun on one tip never reaches another tip's tipster. End to end over HTTP."""

from datetime import timedelta

from aiogram.fsm.state import StatesGroup
from sqlalchemy import select

import handlers.routers  # noqa: F401  (imports every dialog)
from bot.emulator.harness import TgUser
from storage.models import Hazard, HazardEvent, Tip, TipMessage
from tests.conftest import grant
from tests.test_inspect_e2e import clean
from tests.test_lifecycle_e2e import TODAY
from tests.test_tips_e2e import REG_A, TIPSTER, file_tip, town  # noqa: F401  (fixture)
from tests.test_typed_buttons_e2e import INSPECT_WORDS, INSPECTOR

GUARD_REG = TgUser(986000001, "Guard", "Reg", "", "en")


async def test_a_typed_deadline_is_the_date_typed_not_the_default_button(local, seeded, county):
    """「+20」 is inside the default button's words (its date reads 20xx-…), yet it is a date."""
    ent = clean(county)
    w = INSPECT_WORDS[INSPECTOR]
    await grant(seeded, INSPECTOR, "regulator", ent["division"])
    await local.client.send(INSPECTOR, f"/inspect {ent['uscc']}")
    for typed in (w["today"], w["kind"], w["skip"], w["add"], "Fire exit blocked by pallets", w["done"]):
        await local.client.send(INSPECTOR, typed)
    assert w["ask_deadline"] in (await local.client.send(INSPECTOR, w["level"])).text
    assert w["menu_1"] in (await local.client.send(INSPECTOR, "+20")).text
    await local.client.send(INSPECTOR, w["finish"])
    assert w["saved"] in (await local.client.send(INSPECTOR, w["skip"])).text
    async with seeded() as s:
        deadline = await s.scalar(select(Hazard.deadline).where(Hazard.source == "regulator"))
    assert deadline == TODAY + timedelta(days=20)


async def test_the_same_words_twice_do_not_confirm_an_enforcement(local, seeded, county):
    async with seeded() as s:
        hazard_id = await s.scalar(
            select(Hazard.id).where(Hazard.status == "open", Hazard.deadline < TODAY).order_by(Hazard.id)
        )
    await grant(seeded, GUARD_REG, "regulator", "330226")
    listing = await local.client.send(GUARD_REG, "/overdue")
    await local.client.press(GUARD_REG, listing.last_with_buttons(), data=f"rh:open:{hazard_id}", forge=True)
    asked = await local.client.send(GUARD_REG, "mark for enforcement")
    assert "cannot be undone" in asked.text
    again = await local.client.send(GUARD_REG, "mark for enforcement")  # sent twice: no confirmation
    assert "Marked for enforcement" not in again.text
    async with seeded() as s:
        marks = await s.scalar(select(HazardEvent.id).where(HazardEvent.kind == "enforcement"))
    assert marks is None


async def test_a_reply_begun_on_one_tip_never_reaches_the_next_tips_tipster(local, seeded, town):  # noqa: F811
    for _ in range(2):
        await file_tip(local, TIPSTER, link=f"tip_{town['code']}")
    async with seeded() as s:
        first, second = (await s.scalars(select(Tip.id).order_by(Tip.id))).all()
    listing = await local.client.send(REG_A, "/tips")
    card = await local.client.press(REG_A, listing.last_with_buttons(), data=f"tip:{first}")
    await local.client.press(REG_A, card.last_with_buttons(), data=f"ta:reply:{first}")
    listing = await local.client.send(REG_A, "/tips")
    await local.client.press(REG_A, listing.last_with_buttons(), data=f"tip:{second}")
    await local.client.send(REG_A, "Meant for the second tip: we will inspect on Monday")
    async with seeded() as s:
        replies = (await s.scalars(select(TipMessage.tip_id).where(TipMessage.author == "regulator"))).all()
    assert replies == []


def test_every_dialog_state_has_a_name_of_its_own():
    """Two dialogs with one state name (as review's and verify's RejectDialog were) take each
    other's answers for a person who holds both roles."""
    groups = StatesGroup.__subclasses__()
    names = [g.__full_group_name__ for g in groups]
    assert len(groups) > 10 and sorted(set(names)) == sorted(names)
