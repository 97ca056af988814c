"""No tip reaches nobody, no hour of tips goes unreported."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from bot.emulator.harness import TgUser
from bot.scheduler import tips_job
from domain.anonymity import to_hour
from domain.divisions import main_county, tip_route
from storage.clock import utcnow
from storage.models import Agency, Contract, JobMark, Tip
from tests.conftest import grant, rows
from tests.test_tips_e2e import TIPSTER, file_tip


@pytest.mark.parametrize(
    ("own", "served", "default", "expected"),
    [
        ("330226", ["330227100"], "330000", "330226"),  # its own division first
        ("", ["330226100", "330226101", "330227100"], "330000", "330226"),  # where most clients are
        ("", ["330227100", "330226100"], "", "330226"),  # a tie: the lowest code
        ("", [], "330226", "330226"),  # nothing known: the default
        ("", ["", "bad"], "3302", "3302"),
        ("", [], "", "330226"),  # no default either: the county most enterprises are in
    ],
)
def test_where_a_tip_about_an_agency_goes(own, served, default, expected):
    assert tip_route(own, served, default, home="330226") == expected


def test_the_main_county_of_a_list_of_divisions():
    assert main_county(["330227100", "330226100", "330226101"]) == "330226"
    assert main_county(["330227100", "330226100"]) == "330226"  # a tie: the lowest code
    assert main_county(["", "bad"]) == ""


async def test_a_tip_about_an_agency_nobody_can_place_reaches_the_county(local, seeded, county):
    """No division, no contracts and no DEFAULT_JURISDICTION: the tip goes to the county
    where the registered enterprises are, never to nobody."""
    assert local.settings.default_jurisdiction == ""
    agency = rows(county, "agencies")[0]
    county_code = rows(county, "enterprises")[0]["division"][:6]
    async with seeded() as s:
        found = (await s.scalars(select(Agency).where(Agency.code == agency["code"]))).one()
        await s.execute(delete(Contract).where(Contract.agency_id == found.id))
        await s.execute(update(Agency).where(Agency.id == found.id).values(division=""))
        await s.commit()
    regulator = TgUser(985000003, "County", "", "", "en")
    await grant(seeded, regulator, "regulator", county_code)
    await file_tip(local, TIPSTER, about=agency["name"])
    listing = await local.client.send(regulator, "/tips")
    assert agency["name"] in listing.text


async def test_a_tip_about_an_agency_without_division_reaches_the_county(local, seeded, county):
    agency = rows(county, "agencies")[0]
    county_code = rows(county, "enterprises")[0]["division"][:6]
    async with seeded() as s:
        await s.execute(update(Agency).where(Agency.code == agency["code"]).values(division=""))
        await s.commit()
    regulator = TgUser(985000001, "County", "", "", "en")
    await grant(seeded, regulator, "regulator", county_code)
    await file_tip(local, TIPSTER, about=agency["name"])
    listing = await local.client.send(regulator, "/tips")
    assert agency["name"] in listing.text


async def test_hours_missed_during_a_stall_are_reported_later(local, seeded, county):
    ent = rows(county, "enterprises")[0]
    regulator = TgUser(985000002, "Town", "", "", "en")
    await grant(seeded, regulator, "regulator", ent["division"])
    await local.client.send(regulator, "/start")
    for _ in range(2):
        await file_tip(local, TgUser(985000100 + _, "T", "", "", "en"), about=ent["name"])
    now = to_hour(utcnow())
    async with seeded() as s:
        tips = (await s.scalars(select(Tip).order_by(Tip.id))).all()
        tips[0].created_hour, tips[1].created_hour = now - timedelta(hours=5), now - timedelta(hours=3)
        s.add(JobMark(name="tips", until=now - timedelta(hours=6)))  # the job last ran 6 hours ago
        await s.commit()
    assert await tips_job(local.app, local.bot) == 1
    chat = await local.client.chat(regulator.id)
    assert "2 new tips" in chat[-1]["text"]
    assert await tips_job(local.app, local.bot) == 0  # nothing is reported twice
