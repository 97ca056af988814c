"""Views that grow stay within Telegram's limits: pages, "…" and a way to see the rest."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.emulator.harness import LocalRun, TgUser
from storage.clock import today
from storage.models import Agency, Enterprise, Hazard
from tests.conftest import TZ_SETTINGS, grant, rows
from tests.test_tips_e2e import REG_A, TIPSTER, file_tip, press

OWNER = TgUser(970000001, "Owner", "", "", "en")
REG = TgUser(970000002, "Reg", "", "", "zh")
TODAY = today(TZ_SETTINGS.tz)
MAX_TEXT = 4096

# What inspectors really write: a paragraph of findings and one of steps to take.
FINDING = (
    "二号车间东侧配电箱箱门缺失，箱内接线端子裸露且积尘严重，多处电缆绝缘层老化开裂，"
    "配电箱前方一米范围内堆放纸箱和油漆桶等可燃物，未设置警示标识，作业人员未经培训擅自操作。"
)
STEPS = (
    "立即断电并设置警示标识，清理配电箱周边可燃物，保持一米以上通道；更换老化电缆并恢复箱门，"
    "由持证电工每日巡检并记录；组织全体员工开展用电安全培训，考核合格后方可上岗。"
)


def long_text(seed: str, n: int) -> str:
    return (seed * (n // len(seed) + 1))[:n]


async def _three_long_hazards(sessions, uscc: str) -> list[str]:
    async with sessions() as s:
        ent = await s.scalar(select(Enterprise).where(Enterprise.uscc == uscc))
        agency_id = await s.scalar(select(Agency.id).limit(1))
        descriptions = []
        for i in range(3):
            description = f"隐患{i + 1}：" + long_text(FINDING, 1990)
            s.add(
                Hazard(
                    agency_id=agency_id,
                    ref=f"LONG-{i}",
                    enterprise_id=ent.id,
                    found_on=TODAY - timedelta(days=40),
                    description=description,
                    location="二号车间东侧配电室及相邻仓库通道（靠近消防栓一侧）",
                    suggestion=long_text(STEPS, 1990),
                    level="major" if i == 0 else "general",
                    deadline=TODAY - timedelta(days=5 + i),
                    status="open",
                )
            )
            descriptions.append(description)
        await s.commit()
    return descriptions


def _views_fit(caplog) -> None:
    """The views paged or clipped themselves: the last-resort guard never had to cut."""
    assert not [r for r in caplog.records if "clipped" in r.getMessage()], caplog.text


def _within_limits(reply) -> None:
    assert reply.messages, "no answer"
    for m in reply.messages:
        assert len(m.get("text") or "") <= MAX_TEXT and len(m.get("caption") or "") <= 1024
    assert "出现问题" not in reply.text and "went wrong" not in reply.text


def _page_button(reply, label: str = "▶") -> tuple[dict, str] | None:
    for m in reversed(reply.messages):
        for row in m.get("reply_markup", {}).get("inline_keyboard", []):
            for b in row:
                if b["text"] == label or b["text"].startswith(f"{label} "):
                    return m, b["callback_data"]
    return None


async def _all_pages(local, user, reply) -> str:
    """Every page of a paged view, following ▶ until the last."""
    texts = [reply.text]
    while (nxt := _page_button(reply)) is not None:
        reply = await local.client.press(user, nxt[0], data=nxt[1])
        _within_limits(reply)
        texts.append(reply.text)
        assert len(texts) < 50
    return "\n".join(texts)


async def test_owner_hazards_and_status_with_three_long_hazards(local, seeded, county, caplog):
    uscc = rows(county, "enterprises")[0]["uscc"]
    await grant(seeded, OWNER, "owner", uscc)
    descriptions = await _three_long_hazards(seeded, uscc)
    status = await local.client.send(OWNER, "/status")
    _within_limits(status)
    assert "…" in status.text and "/hazards" in status.text
    hazards = await local.client.send(OWNER, "/hazards")
    _within_limits(hazards)
    everything = await _all_pages(local, OWNER, hazards)
    for d in descriptions:  # each hazard can be read, at least its first 1,000 characters
        assert d[:1000] in everything
    _views_fit(caplog)


async def test_an_owner_with_many_hazards_reaches_every_one(local, seeded, county):
    """Past twenty hazards the list goes on to further pages: the last can be read and fixed."""
    uscc = rows(county, "enterprises")[0]["uscc"]
    await grant(seeded, OWNER, "owner", uscc)
    async with seeded() as s:
        ent = await s.scalar(select(Enterprise).where(Enterprise.uscc == uscc))
        agency_id = await s.scalar(select(Agency.id).limit(1))
        for i in range(30):
            s.add(
                Hazard(
                    agency_id=agency_id,
                    ref=f"MANY-{i}",
                    enterprise_id=ent.id,
                    found_on=TODAY,
                    description=f"灭火器过期第{i}处",
                    level="general",
                    deadline=TODAY + timedelta(days=400 + i),  # after the county's own hazards
                    status="open",
                )
            )
        await s.commit()
    hazards = await local.client.send(OWNER, "/hazards")
    everything = await _all_pages(local, OWNER, hazards)
    assert "灭火器过期第29处" in everything


async def test_due_says_how_many_more_clients_have_overdue_hazards(local, seeded, county):
    """An agency with twenty clients behind: /due lists the oldest and says how many more
    there are and where to see them, instead of stopping silently."""
    staff = TgUser(970000005, "Staff", "", "", "en")
    agency = rows(county, "agencies")[0]["code"]
    await grant(seeded, staff, "staff", agency)
    async with seeded() as s:
        agency_id = await s.scalar(select(Agency.id).where(Agency.code == agency))
        await s.execute(update(Hazard).where(Hazard.agency_id == agency_id).values(status="verified"))
        for i, ent in enumerate(await s.scalars(select(Enterprise).limit(20))):
            s.add(
                Hazard(
                    agency_id=agency_id,
                    ref=f"DUE-{i}",
                    enterprise_id=ent.id,
                    found_on=TODAY - timedelta(days=90),
                    description="消防通道堵塞",
                    level="general",
                    deadline=TODAY - timedelta(days=30 + i),
                    status="open",
                )
            )
        await s.commit()
    due = await local.client.send(staff, "/due")
    _within_limits(due)
    assert "… and 10 more clients: /clients lists them all" in due.text


async def test_due_counts_overdue_as_overdue_does(local, seeded, county):
    """A rectification submitted by its deadline and waiting for the agency's check is not
    overdue (it is in /verify): /due and the regulator's /overdue agree."""
    staff = TgUser(970000006, "Staff", "", "", "en")
    agency = rows(county, "agencies")[0]["code"]
    await grant(seeded, staff, "staff", agency)
    async with seeded() as s:
        agency_id = await s.scalar(select(Agency.id).where(Agency.code == agency))
        await s.execute(update(Hazard).where(Hazard.agency_id == agency_id).values(status="verified"))
        late, waiting = await s.scalars(select(Enterprise).order_by(Enterprise.id).limit(2))
        for ent, status, submitted in (
            (late, "open", None),
            (waiting, "submitted", TODAY - timedelta(days=9)),
        ):
            s.add(
                Hazard(
                    agency_id=agency_id,
                    ref=f"AGREE-{ent.id}",
                    enterprise_id=ent.id,
                    found_on=TODAY - timedelta(days=30),
                    description="安全出口堵塞",
                    level="general",
                    deadline=TODAY - timedelta(days=5),
                    status=status,
                    submitted_on=submitted,
                )
            )
        await s.commit()
    due = (await local.client.send(staff, "/due")).text
    assert late.name in due and waiting.name not in due


async def test_pressing_the_page_on_screen_or_a_page_button_twice_is_quietly_answered(
    local, seeded, county, caplog
):
    """Telegram refuses an edit that changes nothing: the press is answered, nothing is
    reported as failed and the page stays as it is."""
    uscc = rows(county, "enterprises")[0]["uscc"]
    await grant(seeded, OWNER, "owner", uscc)
    await _three_long_hazards(seeded, uscc)
    hazards = await local.client.send(OWNER, "/hazards")
    here = next(b for b in (_page_button(hazards, f"1/{n}") for n in range(2, 5)) if b)
    again = await local.client.press(OWNER, here[0], data=here[1])
    forward = _page_button(hazards, "▶")
    turned = await local.client.press(OWNER, forward[0], data=forward[1])
    twice = await local.client.press(OWNER, forward[0], data=forward[1])
    for reply in (again, twice):
        assert reply.alerts == [""] and not reply.messages
    assert turned.messages and turned.text != hazards.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text


async def test_a_clipped_hazard_can_be_read_in_full_by_its_owner_only(local, seeded, county, caplog):
    """An imported finding longer than a list entry: the list clips it, the "in full" button
    sends all of it, in as many messages as it needs; another owner's forged press gets nothing."""
    ents = rows(county, "enterprises")
    await grant(seeded, OWNER, "owner", ents[0]["uscc"])
    stranger = TgUser(970000009, "Other", "", "", "en")
    await grant(seeded, stranger, "owner", ents[1]["uscc"])
    # As long as a finding may be (2,000 characters each), with a 4,096-character view beyond one message.
    description, suggestion = long_text(FINDING, 1997) + "【完】", long_text(STEPS, 1997) + "【止】"
    async with seeded() as s:
        ent = await s.scalar(select(Enterprise).where(Enterprise.uscc == ents[0]["uscc"]))
        s.add(
            Hazard(
                agency_id=await s.scalar(select(Agency.id).limit(1)),
                ref="FULL-1",
                enterprise_id=ent.id,
                found_on=TODAY,
                description=description,
                suggestion=suggestion,
                level="general",
                deadline=TODAY - timedelta(days=30),  # the soonest: first in the list
                status="open",
            )
        )
        await s.commit()
    hazards = await local.client.send(OWNER, "/hazards")
    _within_limits(hazards)
    assert "【完】" not in hazards.text and "…" in hazards.text
    button = _page_button(hazards, "📄 #1 in full")
    assert button is not None
    own_view = await local.client.send(stranger, "/hazards")
    refused = await local.client.press(stranger, own_view.messages[-1], data=button[1], forge=True)
    assert "/hazards" in " ".join(refused.alerts) and not refused.messages
    full = await local.client.press(OWNER, button[0], data=button[1])
    assert len(full.messages) >= 1
    for m in full.messages:
        assert len(m["text"]) <= MAX_TEXT
    text = "".join(m["text"] for m in full.messages).replace("\n", "")
    assert description in text and suggestion in text
    _views_fit(caplog)


async def test_regulator_enterprise_card_with_three_long_hazards(local, seeded, county, caplog):
    ent = rows(county, "enterprises")[0]
    await grant(seeded, REG, "regulator", ent["division"])
    await _three_long_hazards(seeded, ent["uscc"])
    card = await local.client.send(REG, f"/enterprise {ent['uscc']}")
    _within_limits(card)
    assert "…" in card.text
    overdue = await local.client.send(REG, "/overdue")
    _within_limits(overdue)
    for n in range(10):  # each hazard of the first page opens with its history
        if (button := _page_button(overdue, f"#{n + 1}")) is not None:
            _within_limits(await local.client.press(REG, button[0], data=button[1]))
    _views_fit(caplog)


@pytest.fixture
async def town(local, seeded, county) -> dict:
    """An enterprise's tip link and the regulator of its township."""
    ent = rows(county, "enterprises")[0]
    await grant(seeded, REG_A, "regulator", ent["division"])
    async with seeded() as s:
        code = await s.scalar(select(Enterprise.public_code).where(Enterprise.uscc == ent["uscc"]))
    return {"code": code}


async def _reply(local, regulator, tip_listing_reply, text: str) -> None:
    opened = await local.client.press(regulator, tip_listing_reply.last_with_buttons(), button=0)
    await press(local, regulator, opened, "Reply to tipster")
    await local.client.send(regulator, text)


async def test_a_tip_thread_with_long_replies_pages_by_message(local, town, caplog):
    receipt = await file_tip(local, TIPSTER, link=f"tip_{town['code']}")
    replies = [f"答复{n}：" + long_text(STEPS, 1990) for n in range(1, 4)]
    for text in replies:
        await _reply(local, REG_A, await local.client.send(REG_A, "/tips"), text)
    seen = await local.client.send(TIPSTER, f"/follow {receipt}")
    _within_limits(seen)
    everything = await _all_pages(local, TIPSTER, seen)
    assert all(r in everything for r in replies)
    listing = await local.client.send(REG_A, "/tips")
    opened = await local.client.press(REG_A, listing.last_with_buttons(), button=0)
    _within_limits(opened)
    everything = await _all_pages(local, REG_A, opened)
    assert all(r in everything for r in replies)
    _views_fit(caplog)


async def test_tips_list_pages_past_ten(local, town):
    for n in range(12):
        await file_tip(local, TgUser(975000000 + n, "T", "", "", "en"), link=f"tip_{town['code']}")
    listing = await local.client.send(REG_A, "/tips")
    first = {b["text"] for row in listing.last_with_buttons()["reply_markup"]["inline_keyboard"] for b in row}
    assert sum(t.startswith("#") for t in first) == 10 and "1/2" in first
    nxt = _page_button(listing)
    second = await local.client.press(REG_A, nxt[0], data=nxt[1])
    numbers = [b["text"] for row in second.messages[-1]["reply_markup"]["inline_keyboard"] for b in row]
    assert sum(t.startswith("#") for t in numbers) == 2 and "2/2" in numbers


async def test_follow_ups_are_limited_in_number_and_length(settings, seeded, county):
    limited = settings.model_copy(update={"tip_followup_limit": 2, "tip_followup_chars": 50})
    async with LocalRun(limited) as run:
        async with seeded() as s:
            code = await s.scalar(select(Enterprise.public_code).limit(1))
        receipt = await file_tip(run, TIPSTER, link=f"tip_{code}")
        for n in range(2):
            step = await press(
                run, TIPSTER, await run.client.send(TIPSTER, f"/follow {receipt}"), "Add material"
            )
            assert "at most 50 characters" in step.text
            assert "at most 50" in (await run.client.send(TIPSTER, "长" * 51)).text
            assert "stored encrypted" in (await run.client.send(TIPSTER, f"补充材料{n}")).text
        full = await press(run, TIPSTER, await run.client.send(TIPSTER, f"/follow {receipt}"), "Add material")
        assert "already has 2 additions" in full.text
