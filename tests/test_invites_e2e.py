"""Roles by invite, end to end over HTTP: emulator, real dispatcher, real aiohttp session."""

import csv
import re
from datetime import timedelta

from sqlalchemy import select, update

from bot.emulator.harness import TgUser
from storage.models import Invite, Staff
from tests.conftest import ADMIN

OWNER = TgUser(920000002, "Olga", "Owner", "olga_owner", "en")
OTHER = TgUser(920000003, "Oscar", "Other", "", "zh-hans")


def _first_uscc(county) -> str:
    return next(csv.DictReader((county / "enterprises.csv").open(encoding="utf-8")))["uscc"]


async def _invite(local, text: str) -> str:
    reply = await local.client.send(ADMIN, text)
    match = re.search(r"https://t\.me/(\w+)\?start=(inv_[\w-]+)", reply.text)
    assert match, reply.text
    assert match.group(1) == "safety_demo_bot"
    return match.group(2)


async def test_admin_invites_an_owner_who_accepts_and_sees_the_role(local, county):
    uscc = _first_uscc(county)
    payload = await _invite(local, f"/invite owner {uscc.lower()}")

    before = await local.client.send(OWNER, "/whoami")
    assert "You have no role yet" in before.text

    accepted = await local.client.send(OWNER, f"/start {payload}")
    assert "You are now enterprise owner" in accepted.text
    whoami = await local.client.send(OWNER, "/whoami")
    assert f"enterprise owner: {uscc}" in whoami.text
    assert str(OWNER.id) in whoami.text
    # The owner's own menu now exists, in their language.
    menus = await local.client.commands()
    assert f"chat:{OWNER.id}" in menus


async def test_a_reused_invite_is_refused(local, county):
    payload = await _invite(local, f"/invite owner {_first_uscc(county)}")
    assert "You are now" in (await local.client.send(OWNER, f"/start {payload}")).text
    again = await local.client.send(OTHER, f"/start {payload}")
    assert "这个邀请已被使用过" in again.text
    assert "您尚无任何角色" in (await local.client.send(OTHER, "/whoami")).text


async def test_an_expired_invite_is_refused(local, county):
    payload = await _invite(local, "/invite regulator 330226")
    async with local.app.sessions() as s:
        await s.execute(update(Invite).values(expires_at=Invite.expires_at - timedelta(days=8)))
        await s.commit()
    reply = await local.client.send(OWNER, f"/start {payload}")
    assert "This invite has expired" in reply.text
    assert "You have no role yet" in (await local.client.send(OWNER, "/whoami")).text


async def test_an_unknown_invite_is_refused(local):
    reply = await local.client.send(OWNER, "/start inv_doesnotexist")
    assert "This invite is not valid" in reply.text


async def test_a_non_admin_cannot_invite(local):
    reply = await local.client.send(OWNER, "/invite admin -")
    assert "This command is for admin only" in reply.text
    assert "t.me" not in reply.text


async def test_invite_targets_are_checked(local):
    bad_check = (await local.client.send(ADMIN, "/invite owner 91350100M000100Y44")).text
    assert "check character is wrong" in bad_check and "Usage:" in bad_check
    unknown = (await local.client.send(ADMIN, "/invite owner 91350100M000100Y43")).text
    assert "No enterprise has the code" in unknown
    assert "Usage:" in (await local.client.send(ADMIN, "/invite")).text
    wrong_role = (await local.client.send(ADMIN, "/invite king AG001")).text
    assert "Unknown role “king” (the first argument)" in wrong_role  # names the wrong argument


async def test_roles_may_be_named_in_chinese(local):
    link = await _invite(local, "/invite 服务人员 AG001")
    await local.client.send(OWNER, f"/start {link}")
    assert re.search(r"^• agency staff: AG001", (await local.client.send(OWNER, "/whoami")).text, re.M)


async def test_staff_and_regulator_roles_add_up(local):
    staff = await _invite(local, "/invite staff AG001")
    regulator = await _invite(local, "/invite regulator 330226100")
    await local.client.send(OWNER, f"/start {staff}")
    await local.client.send(OWNER, f"/start {regulator}")
    text = (await local.client.send(OWNER, "/whoami")).text
    # One role a line.
    assert re.search(r"^• agency staff: AG001 \(.+\)$", text, re.M)
    assert re.search(r"^• regulator: 330226100 \(城关街道\)$", text, re.M)  # the place, by name


async def test_default_menus_exist_per_language(local):
    menus = await local.client.commands()
    zh = {c["command"]: c["description"] for c in menus["default:zh"]}
    en = {c["command"]: c["description"] for c in menus["default:en"]}
    assert zh.keys() == en.keys() >= {"start", "help", "cancel", "language", "whoami"}
    assert zh["help"] == "我能做什么" and en["help"] == "What I can do"
    assert "invite" not in zh


async def test_two_staff_of_one_agency_with_the_same_name_both_join(local, sessions):
    """Namesakes are common (张伟): the second is kept apart, not refused."""
    first, second = TgUser(920000011, "张伟", "", "", "zh"), TgUser(920000012, "张伟", "", "", "zh")
    for user in (first, second):
        payload = await _invite(local, "/invite staff AG001")
        accepted = await local.client.send(user, f"/start {payload}")
        assert "出现问题" not in accepted.text and "went wrong" not in accepted.text
        assert "AG001" in (await local.client.send(user, "/whoami")).text
    async with sessions() as s:
        names = sorted(
            (await s.scalars(select(Staff.name).where(Staff.user_id.in_([first.id, second.id])))).all()
        )
    assert names == ["张伟", "张伟（2）"]


async def test_a_regulator_invite_for_an_empty_jurisdiction_warns(local):
    """A mistyped division code is pointed out; a real one is not."""
    empty = await local.client.send(ADMIN, "/invite regulator 99")
    assert "no registered enterprise lies in jurisdiction 99" in empty.text and "start=inv_" in empty.text
    real = await local.client.send(ADMIN, "/invite regulator 330226100")
    assert "no registered enterprise" not in real.text
