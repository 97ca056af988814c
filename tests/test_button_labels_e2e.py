"""Names with "&", "<" or ">" read as written on buttons (Telegram shows a button's text as
plain text) and in messages (sent as HTML, so escaped there, and shown unescaped)."""

from datetime import timedelta

from sqlalchemy import select, update

from bot.emulator.harness import TgUser
from storage.models import Agency, Enterprise, Hazard
from tests.test_chat_manners_e2e import buttons
from tests.test_lifecycle_e2e import REG_A, STAFF, TODAY, press, scene  # noqa: F401  (fixture)

NAME = "A&B <五金> 厂"
HAZARD = "Door <3> & lock"
TIPSTER = TgUser(985000001, "Zhou", "", "", "en")


def _no_entities(*texts: str) -> None:
    for text in texts:
        assert "&amp;" not in text and "&lt;" not in text and "&gt;" not in text, text


async def test_names_with_html_characters_read_as_written_on_buttons_and_in_messages(scene):  # noqa: F811
    local, ent, sessions = scene["local"], scene["ent"], scene["sessions"]
    async with sessions() as s:
        await s.execute(update(Enterprise).where(Enterprise.uscc == ent["uscc"]).values(name=NAME))
        eid = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == ent["uscc"]))
        agency_id = await s.scalar(select(Agency.id).where(Agency.code == scene["agency"]))
        long_ago = TODAY - timedelta(days=400)  # first in every list: majors, then oldest deadline
        s.add(
            Hazard(
                agency_id=agency_id, ref="AMP-0", enterprise_id=eid, found_on=long_ago, description=HAZARD,
                level="major", deadline=long_ago + timedelta(days=10), status="open",
            )
        )  # fmt: skip
        for i in range(9):  # more than one /verify screen: the enterprise is picked on a button
            s.add(
                Hazard(
                    agency_id=agency_id, ref=f"AMP-{i + 1}", enterprise_id=eid, found_on=long_ago,
                    description=f"waiting {i}", level="general", deadline=long_ago + timedelta(days=20),
                    status="submitted", submitted_on=TODAY,
                )
            )  # fmt: skip
        await s.commit()

    overdue = await local.client.send(REG_A, "/overdue")
    assert f"#1 🚨{NAME}: {HAZARD}" in buttons(overdue.last_with_buttons())
    assert NAME in overdue.text and HAZARD in overdue.text
    opened = await press(local, REG_A, overdue, f"🚨{NAME}")
    assert NAME in opened.text and HAZARD in opened.text

    picker = await local.client.send(STAFF, "/verify")
    assert f"{NAME} (9)" in buttons(picker.last_with_buttons())
    waiting = await press(local, STAFF, picker, NAME)
    assert any(NAME in text for text in waiting.texts)

    clients = await local.client.send(STAFF, "/clients")
    assert NAME in clients.text

    await local.client.send(TIPSTER, "/tip")
    targets = await local.client.send(TIPSTER, "A&B")
    assert f"enterprise: {NAME}" in buttons(targets.last_with_buttons())
    category = await press(local, TIPSTER, targets, NAME)
    assert f"About: {NAME}" in category.text

    every = [overdue, opened, picker, waiting, clients, targets, category]
    _no_entities(
        *(b for r in every for m in r.messages for b in buttons(m)), *(t for r in every for t in r.texts)
    )
