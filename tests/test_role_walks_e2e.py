"""Each role walks its main flows end to end, in Chinese and in English, as a new user would:
typing where a button is expected, typing a button's words, and never meeting an error or a
division code."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.emulator.harness import Reply, TgUser
from storage.models import Division
from tests.conftest import grant, rows
from tests.test_lifecycle_e2e import TODAY
from tests.test_tips_e2e import RECEIPT


def label(reply: Reply, start: str) -> tuple[dict, str]:
    for message in reversed(reply.messages):
        for row in message.get("reply_markup", {}).get("inline_keyboard", []):
            for b in row:
                if b["text"].startswith(start):
                    return message, b["callback_data"]
    raise AssertionError(f"no button {start!r} in {reply.texts}")


@pytest.mark.parametrize("loc", ["zh", "en"])
async def test_owner_staff_regulator_and_tipster_walk_their_flows(local, seeded, county, loc):
    def t(key: str, **params) -> str:
        return local.app.translator(key, loc, **params)

    base = 983000000 + (0 if loc == "zh" else 100)
    staff, owner, reg, tipster = (TgUser(base + i, f"U{i}", "", "", loc) for i in range(4))
    contract = next(
        c
        for c in rows(county, "contracts")
        if date.fromisoformat(c["start_date"]) <= TODAY - timedelta(days=40)
        and date.fromisoformat(c["end_date"]) > TODAY
    )
    ent = next(e for e in rows(county, "enterprises") if e["uscc"] == contract["uscc"])
    township = ent["division"]
    await grant(seeded, staff, "staff", contract["agency_code"])
    await grant(seeded, owner, "owner", ent["uscc"])
    await grant(seeded, reg, "regulator", township)
    async with seeded() as s:
        place = await s.scalar(select(Division.name).where(Division.code == township))
    replies: list[Reply] = []

    async def send(user, text=None, **extra) -> Reply:
        replies.append(await local.client.send(user, text, **extra))
        return replies[-1]

    async def press(user, reply, start: str) -> Reply:
        message, data = label(reply, start)
        replies.append(await local.client.press(user, message, data=data))
        return replies[-1]

    for user in (owner, reg):
        await send(user, "/start")

    # Staff: a visit, then a major hazard found on it, answering partly by typing.
    await send(staff, "/visit")
    found = await send(staff, ent["name"])
    kinds = await press(staff, found, ent["name"][:20])
    assert t("visit.monthly") == "按月排查" or loc == "en"
    day = await press(staff, kinds, t("visit.monthly"))
    review = await press(staff, day, t("visit.today"))
    assert ent["name"] in review.text and t("confirm.save") in str(review.last_with_buttons())
    assert ent["name"] in (await send(staff, t("confirm.save").removeprefix("✅ ")[:2])).text
    visits = await send(staff, "/hazard")
    again = await send(staff, "?")
    assert t("fallback.ask_again") in again.text and t("hazard.choose_visit") in again.texts[-1]
    await press(staff, visits, TODAY.isoformat())
    await send(staff, "配电箱门锁损坏，带电部位外露")
    await send(staff, "二号车间")
    levels = await send(staff, t("dialog.done"))
    assert t("level.major") in str(levels.last_with_buttons())
    await send(staff, t("level.major"))
    deadline = await send(staff, "更换门锁并加装警示标识")
    review = await press(staff, deadline, t("hazard.use_default", date="")[:4])
    saved = await send(staff, t("hazard.confirm_save").removeprefix("✅ ")[:2])
    assert "配电箱门锁损坏" in saved.text and review.text != saved.text
    await local.flush()

    # Owner: the hazard is listed, the status screen answers.
    assert "配电箱门锁损坏" in (await send(owner, "/hazards")).text
    await send(owner, "/status")

    # Regulator: told of the major hazard by township name; overdue, coverage, tips.
    chat = "\n".join(m.get("text") or "" for m in await local.client.chat(reg.id))
    assert "配电箱门锁损坏" in chat and place in chat
    overdue = await send(reg, "/overdue")
    if overdue.last_with_buttons():
        opened = await press(reg, overdue, "#1 ")
        await press(reg, opened, t("overdue.back_to_list", page=1)[:4])
    coverage = await send(reg, "/coverage")
    assert place in coverage.text

    # Tipster: a tip typed through, then followed with its receipt; the regulator sees it.
    await send(tipster, "/tip")
    targets = await send(tipster, ent["name"])
    category = await press(tipster, targets, t("tip.kind_enterprise"))
    text = await press(tipster, category, t("tip.category_unsafe_condition"))
    assert t("tip.ask_text", min=10, max=2000)[:4] in text.text
    await send(tipster, "车间消防通道被货物堵死，已经一个多月了")
    await send(tipster, t("dialog.done"))
    filed = await send(tipster, t("tip.confirm").removeprefix("✅ ")[:2])
    receipt = RECEIPT.search(filed.text)
    assert receipt, filed.text
    assert t("tipstatus.new") in (await send(tipster, f"/follow {receipt.group(0)}")).text
    listing = await send(reg, "/tips")
    assert t("tips.none") not in listing.text

    shown = "\n".join(r.text for r in replies)
    assert t("error.generic") not in shown
    assert township not in shown  # places by name, never by code
