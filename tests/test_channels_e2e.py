"""WeCom, DingTalk and email channels: registered in the chat, fed from the outbox, sent
within each platform's limits to local servers that behave as the platforms do."""

import io
import re
from datetime import timedelta

import aiohttp
import openpyxl
import pytest
from sqlalchemy import select

import tests.test_tips_e2e as chat
from bot.emulator.harness import TgUser
from channels import fanout
from channels import store as channel_store
from domain.anonymity import to_hour
from domain.enums import OutboxStatus
from notifications.digest import enqueue_weekly
from notifications.outbox import enqueue
from notifications.tip_notices import notify_new_tips
from storage.clock import today, utcnow
from storage.models import Channel, Outbox
from tests.channel_fakes import FakeRobots, smtp_server
from tests.test_anonymity_audit import database_bytes
from tests.test_tips_e2e import OWNER, REG_A, REG_B, file_tip, press
from tests.web_site import free_port, with_site
from web.server import site_url, start_web

town = chat.town
WECOM_KEY = "wecomKey-1234-abcd-5678"
DING_TOKEN = "dingToken0987zyx"
DING_SECRET = "SECdingSigningSecret4455"
ADMIN = TgUser(910000001, "Ada", "Admin", "ada_admin", "en")


@pytest.fixture
async def robots():
    fake = FakeRobots()
    await fake.start()
    fake.wecom_keys.add(WECOM_KEY)
    fake.dingtalk[DING_TOKEN] = DING_SECRET
    yield fake
    await fake.stop()


@pytest.fixture
def mailbox():
    port = free_port()
    controller, box = smtp_server(port)
    box.port = port
    yield box
    controller.stop()


@pytest.fixture
def settings(settings, robots, mailbox):
    return with_site(settings).model_copy(
        update={
            "wecom_api_url": robots.base,
            "dingtalk_api_url": robots.base,
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "smtp_from": "safety-bot@example.org",
        }
    )


async def register(local, user, *words: str):
    return await local.client.send(user, "/channels " + " ".join(words))


async def test_regulators_register_channels_and_choose_topics(local, town, settings):
    assert "No channel is registered yet" in (await local.client.send(REG_A, "/channels")).text
    added = await register(local, REG_A, "wecom", WECOM_KEY)
    assert (
        "Registered: WeCom group robot …5678" in added.text
        and f"jurisdiction: {town['ent']['division']}" in added.text
    )
    # The key is gone from the chat and stored sealed.
    assert not [m for m in await local.client.chat(REG_A.id) if WECOM_KEY in (m.get("text") or "")]
    assert WECOM_KEY.encode() not in await database_bytes(settings.database_url)
    off = await press(local, REG_A, added, "hourly tip counts")
    assert "▫️ hourly tip counts" in str(off.messages[-1]["reply_markup"])
    async with local.app.sessions() as s:
        channel = await s.scalar(select(Channel))
    assert channel_store.topics_of(channel) == {"digest", "major", "overdue"}

    assert "not an email address" in (await register(local, REG_A, "email", "nobody")).text
    assert "not valid or not yours" in (await register(local, REG_A, "email", "a@b.cn", "33")).text
    anchor = (await local.client.send(REG_B, "/help")).messages[-1]
    forged = await local.client.press(REG_B, anchor, data=f"ch:delete:{channel.id}:", forge=True)
    assert forged.alerts == ["This channel is not in your jurisdiction, or was removed."]
    assert "WeCom group robot …5678" not in (await local.client.send(REG_B, "/channels")).text
    assert "WeCom group robot …5678" in (await local.client.send(ADMIN, "/channels")).text
    assert "This command is for" in (await local.client.send(OWNER, "/channels")).text
    removed = await press(local, REG_A, await local.client.send(REG_A, "/channels"), "Remove this channel")
    assert "Removed: WeCom group robot" in removed.text


async def test_hourly_tip_counts_reach_both_robots(local, town, robots):
    await register(local, REG_A, "wecom", WECOM_KEY)
    await register(local, REG_A, "dingtalk", DING_TOKEN, DING_SECRET)
    await file_tip(local, TgUser(970000009, "T", language_code="en"), link=f"tip_{town['code']}")
    async with local.app.sessions() as s:
        await notify_new_tips(s, local.app.translator, to_hour(utcnow()))
    assert await local.app.channels.flush() == 2
    texts = {
        platform: body["markdown"].get("content") or body["markdown"]["text"]
        for platform, _, body in robots.received
    }
    assert set(texts) == {"wecom", "dingtalk"}  # DingTalk's signature was accepted
    assert all("新收到 1 条匿名举报" in t and chat.SECRET_TEXT not in t for t in texts.values()), texts
    async with local.app.sessions() as s:  # once per channel and hour, whatever runs again
        await notify_new_tips(s, local.app.translator, to_hour(utcnow()))
    assert await local.app.channels.flush() == 0


async def _robot(local, kind: str, secret: dict) -> Channel:
    async with local.app.sessions() as s:
        return await channel_store.add(s, local.app.dispatcher["tip_keys"], kind, "33", secret, 1)


async def _queue(local, channel: Channel, n: int, tag: str) -> None:
    async with local.app.sessions() as s:
        for i in range(n):
            await enqueue(s, 0, "test", f"<b>notice {i}</b>", dedupe_key=f"{tag}:{i}", channel_id=channel.id)
        await s.commit()


async def test_robots_keep_twenty_a_minute_and_respect_throttling(local, robots):
    wecom = await _robot(local, "wecom", {"key": WECOM_KEY})
    await _queue(local, wecom, 25, "burst")
    assert await local.app.channels.flush() == 20
    assert len(robots.received) == 20 and robots.refused == []
    async with local.app.sessions() as s:
        waiting = (await s.scalars(select(Outbox).where(Outbox.status == OutboxStatus.pending))).all()
    assert len(waiting) == 5 and all(r.not_before > utcnow() + timedelta(seconds=50) for r in waiting)

    # Another sender used up this DingTalk robot's minute: the platform says 130101.
    ding = await _robot(local, "dingtalk", {"token": DING_TOKEN, "secret": DING_SECRET})
    robots.fill("dingtalk", DING_TOKEN)
    await _queue(local, ding, 2, "ding")
    assert await local.app.channels.flush() == 0
    assert robots.refused == [("dingtalk", 130101)]  # asked once, then the robot is paused
    async with local.app.sessions() as s:
        paused = (await s.get(Channel, ding.id)).paused_until
        rows = (await s.scalars(select(Outbox).where(Outbox.channel_id == ding.id))).all()
    assert timedelta(minutes=9) < paused - utcnow() <= timedelta(minutes=10)
    assert all(
        r.status == OutboxStatus.pending and r.not_before >= paused - timedelta(seconds=1) for r in rows
    )


async def test_refused_keys_fail_without_retrying(local, robots):
    wrong = await _robot(local, "wecom", {"key": "notARegisteredKey99"})
    await _queue(local, wrong, 1, "wrong")
    assert await local.app.channels.flush() == 0
    async with local.app.sessions() as s:
        row = await s.scalar(select(Outbox).where(Outbox.channel_id == wrong.id))
    assert row.status == OutboxStatus.failed and row.error.startswith("93000")


async def test_weekly_digest_by_email_and_robots(local, town, robots, mailbox, settings):
    await register(local, REG_A, "email", "anjian@example.org")
    await register(local, REG_A, "wecom", WECOM_KEY)
    await register(local, REG_A, "dingtalk", DING_TOKEN, DING_SECRET)
    async with local.app.sessions() as s:
        await enqueue_weekly(s, local.app.translator, local.app.settings, today(settings.tz))
    assert await local.app.channels.flush(horizon=2) == 5  # email 1, WeCom 3, DingTalk 1

    [(to, message)] = mailbox.messages
    assert to == ["anjian@example.org"]
    assert message["Subject"].startswith("安全生产社会化服务周报（")
    parts = list(message.walk())
    chart = next(p for p in parts if p.get_content_type() == "image/png")
    assert (
        chart["Content-ID"] == "<chart>"
        and 'src="cid:chart"' in next(p for p in parts if p.get_content_type() == "text/html").get_content()
    )
    book = next(p for p in parts if p.get_filename() and p.get_filename().endswith(".xlsx"))
    workbook = openpyxl.load_workbook(io.BytesIO(book.get_content()))
    assert workbook.sheetnames

    wecom = [body["msgtype"] for platform, _, body in robots.received if platform == "wecom"]
    assert wecom == ["markdown", "image", "file"]
    [(name, data)] = robots.media.values()
    assert name.endswith(".xlsx") and openpyxl.load_workbook(io.BytesIO(data)).sheetnames
    [ding] = [body["markdown"]["text"] for platform, _, body in robots.received if platform == "dingtalk"]
    assert "**" in ding  # Markdown, and a link to the workbook: custom robots take no files
    link = re.search(r"\]\((http[^)]+\.xlsx)\)", ding).group(1)
    runner = await start_web(local.app)
    assert link.startswith(site_url(local.app, runner) + "/files/digest/")
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as resp:
            assert resp.status == 200 and openpyxl.load_workbook(io.BytesIO(await resp.read())).sheetnames
        forged = link[: -len("0.xlsx")] + ("1" if link[-6] == "0" else "0") + ".xlsx"
        async with http.get(forged) as resp:
            assert resp.status == 404
    await runner.cleanup()


async def test_overdue_escalations_reach_the_channel(local, town, robots):
    await register(local, REG_A, "dingtalk", DING_TOKEN, DING_SECRET)
    async with local.app.sessions() as s:
        assert await fanout.overdue(s, local.app.translator, today(local.app.settings.tz)) == 1
        await s.commit()
    await local.app.channels.flush()
    [(platform, _, body)] = robots.received
    assert platform == "dingtalk" and "逾期未整改隐患" in body["markdown"]["text"]
