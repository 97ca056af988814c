"""The anonymous tip and its follow-up on the web, under the chat's rules, end to end."""

import logging
import re

import aiohttp
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

import tests.test_tips_e2e as chat
from bot.emulator.harness import LocalRun, TgUser
from bot.logs import configure_logging
from storage.models import Tip, TipMessage
from tests.test_anonymity_audit import database_bytes
from tests.test_tips_e2e import EXIF_JPEG, RECEIPT, REG_A, file_tip, press
from tests.web_site import Site, with_site
from web.server import site_url, start_web

TEXT = "车间消防通道被货物堵死，灭火器过期-编号6612"
town = chat.town  # the chat tests' enterprise, regulators and owner
TOKEN = re.compile(r'name="token" value="([^"]+)"')


@pytest.fixture
def settings(settings):
    return with_site(settings)


async def web_tip(site: Site, code: str, text: str = TEXT, category: str = "unsafe_condition", **kw):
    _, form = await site.get(f"/e/{code}/tip?lang=en")
    data = aiohttp.FormData()
    data.add_field("token", TOKEN.search(form).group(1))
    data.add_field("category", category)
    data.add_field("text", text)
    for name, content in kw.get("photos", []):
        data.add_field("photo", content, filename=name, content_type="image/jpeg")
    return await site.post(f"/e/{code}/tip?lang=en", data, headers=kw.get("headers", {}))


async def web_follow(site: Site, receipt: str, headers: dict | None = None):
    _, form = await site.get("/follow?lang=en")
    data = {"token": TOKEN.search(form).group(1), "receipt": receipt}
    return await site.post("/follow?lang=en", data, headers=headers or {})


async def test_web_tip_follow_and_reply_from_the_chat(site, local, town):
    resp, form = await site.get(f"/e/{town['code']}/tip")
    assert resp.status == 200 and "匿名举报" in form and town["ent"]["name"] in form
    assert resp.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in resp.headers
    resp, page = await web_tip(site, town["code"])
    assert resp.status == 200 and "Tip received" in page
    receipt = RECEIPT.search(page).group(0)

    listing = await local.client.send(REG_A, "/tips")
    opened = await local.client.press(REG_A, listing.last_with_buttons(), button=0)
    assert TEXT in opened.text
    await press(local, REG_A, opened, "Reply to tipster")
    await local.client.send(REG_A, "已责令企业立即清理通道")

    resp, status = await web_follow(site, receipt.lower().replace("-", " "))
    assert resp.status == 200 and "已责令企业立即清理通道" in status
    assert "under review" in status
    data = {"token": TOKEN.search(status).group(1), "receipt": receipt, "text": "补充：夜班时更严重"}
    resp, added = await site.post("/follow/add?lang=en", data)
    assert resp.status == 200 and "stored encrypted" in added
    thread = await local.client.press(REG_A, listing.last_with_buttons(), button=0)
    assert "tipster added: 补充：夜班时更严重" in thread.text


async def test_web_and_chat_tips_look_the_same_to_the_regulator(site, local, town):
    await file_tip(
        local, TgUser(970000001, "Chat", language_code="en"), link=f"tip_{town['code']}", text=TEXT
    )
    await web_tip(site, town["code"])
    listing = await local.client.send(REG_A, "/tips")
    ids = [int(i) for i in re.findall(r"#(\d+) ", listing.text)]
    details = []
    for n in range(2):
        opened = await local.client.press(REG_A, listing.last_with_buttons(), button=n)
        details.append(re.sub(r"#\d+", "#N", opened.text))
    assert details[0] == details[1]
    async with local.app.sessions() as s:
        tips = [await s.get(Tip, i) for i in ids]
    columns = [c.name for c in Tip.__table__.columns if c.name not in ("id", "receipt_hash", "body")]
    assert [getattr(tips[0], c) for c in columns] == [getattr(tips[1], c) for c in columns]


async def test_cross_site_and_stale_posts_are_refused(site, local, town):
    data = {"category": "other", "text": TEXT}
    resp, page = await site.post(f"/e/{town['code']}/tip?lang=en", data)
    assert resp.status == 403 and "nothing was stored" in page
    resp, _ = await web_tip(site, town["code"], headers={"Origin": "https://evil.example"})
    assert resp.status == 403
    resp, _ = await site.post(
        "/follow", {"token": "29000000.0123456789abcdef0123456789abcdef", "receipt": "x"}
    )
    assert resp.status == 403
    async with local.app.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Tip)) == 0


async def test_web_tip_rules_are_the_chats(site, local, town):
    resp, page = await web_tip(site, town["code"], text="太短了")
    assert resp.status == 400 and "this was 3" in page and "太短了" in page
    resp, page = await web_tip(site, town["code"], photos=[("x.jpg", b"not an image")])
    assert resp.status == 400 and "cannot be read" in page
    for n in range(5):
        resp, _ = await web_tip(site, town["code"], text=f"第{n}次反映：消防通道被堵塞")
        assert resp.status == 200
    resp, page = await web_tip(site, town["code"])
    assert resp.status == 429 and "at most 5 tips a day" in page
    async with local.app.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Tip)) == 5


async def test_wrong_receipts_are_slowed_on_the_web(site, town):
    for _ in range(5):
        resp, page = await web_follow(site, "ABCD-EFGH-JKMN-PQRS-TVWX")
        assert resp.status == 404 and "No tip matches" in page
    resp, page = await web_follow(site, "ABCD-EFGH-JKMN-PQRS-TVWX")
    assert resp.status == 429 and "Too many attempts" in page


async def test_tip_pages_leave_no_access_log_line(site, town, caplog):
    caplog.set_level(logging.DEBUG)
    await site.get("/agencies")
    await web_tip(site, town["code"])
    await site.get("/follow")
    lines = [r.getMessage() for r in caplog.records if r.name in ("web.access", "aiohttp.access")]
    assert lines == ["GET /agencies 200"]


AGENT = "AuditBrowser-5521/7.3 (Whistle; Q)"
FORWARDED = "203.0.113.77"
WEB_NEEDLES = {
    "client address": b"127.0.0.1",
    "forwarded address": FORWARDED.encode(),
    "user agent": AGENT.encode(),
    "unhashed sender": b"web:",
}


def _found(haystacks: dict[str, bytes]) -> list[str]:
    return [
        f"{what} in {where}"
        for where, hay in haystacks.items()
        for what, n in WEB_NEEDLES.items()
        if n in hay
    ]


async def test_web_tip_audit(site, local, town, settings, caplog):
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    headers = {"User-Agent": AGENT, "X-Forwarded-For": FORWARDED}
    site.http.headers.update(headers)
    resp, page = await web_tip(site, town["code"], headers=headers, photos=[("p.jpg", EXIF_JPEG)])
    receipt = RECEIPT.search(page).group(0)
    resp, status = await web_follow(site, receipt, headers=headers)
    data = {"token": TOKEN.search(status).group(1), "receipt": receipt, "text": "补充说明-编号7730"}
    await site.post("/follow/add", data, headers=headers)
    haystacks = {"database": await database_bytes(settings.database_url), "logs": caplog.text.encode()}
    assert _found(haystacks) == []
    assert TEXT.encode() not in haystacks["database"] and "编号7730".encode() not in haystacks["database"]
    async with local.app.sessions() as s:
        tip = await s.scalar(select(Tip))
        hours = [tip.created_hour] + list(await s.scalars(select(TipMessage.created_hour)))
    assert all(h.minute == h.second == h.microsecond == 0 for h in hours)  # no exact time
    # No log line at all names the tip pages: no trace of when someone used them.
    assert not [r for r in caplog.records if "/tip" in r.getMessage() or "/follow" in r.getMessage()]


@pytest.mark.skipif(not chat.REDIS_URL, reason="TEST_REDIS_URL unset")
async def test_redis_holds_nothing_identifying_after_web_tips(settings, seeded, town):
    redis = Redis.from_url(chat.REDIS_URL)
    await redis.flushdb()
    try:
        async with LocalRun(settings.model_copy(update={"redis_url": chat.REDIS_URL})) as run:
            runner = await start_web(run.app)
            async with aiohttp.ClientSession(headers={"User-Agent": AGENT}) as http:
                site = Site(site_url(run.app, runner), http)
                _, page = await web_tip(site, town["code"])
                await web_follow(site, RECEIPT.search(page).group(0))
                await web_follow(site, "ABCD-EFGH-JKMN-PQRS-TVWX")
            await runner.cleanup()
        dump = b""
        async for key in redis.scan_iter("*"):
            kind = (await redis.type(key)).decode()
            value = await redis.get(key) if kind == "string" else str(await redis.hgetall(key)).encode()
            dump += key + b"=" + (value or b"") + b"\n"
        assert _found({"Redis": dump}) == []
        assert b"tipcount:" in dump and b"tipmiss:" in dump  # the limits are there, keyed by a keyed hash
    finally:
        await redis.flushdb()
        await redis.aclose()
