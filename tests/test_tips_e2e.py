"""Anonymous tips end to end over HTTP, and an audit that proves the anonymity promises."""

import io
import os
import re

import pytest
from PIL import Image
from redis.asyncio import Redis
from sqlalchemy import func, select

from bot.emulator.harness import LocalRun, Reply, TgUser
from storage.models import Enterprise, Tip
from tests.conftest import grant, rows

# A tipster whose every identifier is distinctive, so a search for it cannot match by chance.
TIPSTER = TgUser(987654321987, "Qiaofeng7421", "Murongfu9053", "whistle_zyx_4417", "en")
FRIEND = TgUser(980000002, "Another", "Device", "", "en")
REG_A = TgUser(980000003, "Reg", "A", "", "en")
REG_B = TgUser(980000004, "Reg", "B", "", "en")
OWNER = TgUser(980000005, "Owner", "", "", "en")
RECEIPT = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}\b")
SECRET_TEXT = "仓库里堆放了大量油漆桶且无人看管-编号8841"


def _jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCamMaker5531"  # Make
    exif[0x013B] = "Qiaofeng7421"  # Artist: a name inside the photo's metadata
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


EXIF_JPEG = _jpeg_with_exif()  # made once, before any test captures logs


def button(reply: Reply, text: str) -> tuple[dict, str]:
    for message in reversed(reply.messages):
        for row in message.get("reply_markup", {}).get("inline_keyboard", []):
            for b in row:
                if text in b["text"]:
                    return message, b.get("callback_data")
    raise AssertionError(f"no button {text!r} in {reply.texts}")


async def press(local, user, reply, text) -> Reply:
    message, data = button(reply, text)
    return await local.client.press(user, message, data=data)


async def file_tip(
    local,
    user,
    *,
    about: str | None = None,
    link: str | None = None,
    text: str = SECRET_TEXT,
    photos: int = 0,
    as_file: bool = False,
) -> str:
    if link:
        step = await local.client.send(user, f"/start {link}")
    else:
        await local.client.send(user, "/tip")
        found = await local.client.send(user, about)
        step = await press(local, user, found, about)
    assert "What kind of problem?" in step.text, step.text
    step = await press(local, user, step, "Unsafe condition")
    assert "Describe what you saw" in step.text
    step = await local.client.send(user, text)
    for _ in range(photos):
        if as_file:
            step = await local.client.send_document(user, "evidence.jpg", EXIF_JPEG)
        else:
            step = await local.client.send_photo(user, EXIF_JPEG)
        assert "received" in step.text, step.text
    step = await press(local, user, step, "Done")
    assert f"Photos: {photos}" in step.text
    done = await press(local, user, step, "Send it")
    match = RECEIPT.search(done.text)
    assert match, done.text
    return match.group(0)


@pytest.fixture
async def town(local, seeded, county):
    ents = rows(county, "enterprises")
    ent = ents[0]
    other = next(e["division"] for e in ents if e["division"] != ent["division"])
    await grant(seeded, REG_A, "regulator", ent["division"])
    await grant(seeded, REG_B, "regulator", other)
    await grant(seeded, OWNER, "owner", ent["uscc"])
    for user in (REG_A, REG_B, OWNER):
        await local.client.send(user, "/start")
    async with seeded() as s:
        code = await s.scalar(select(Enterprise.public_code).where(Enterprise.uscc == ent["uscc"]))
    return {"ent": ent, "code": code, "agency": rows(county, "agencies")[0]}


def needles() -> dict[str, bytes]:
    big = TIPSTER.id.to_bytes(8, "big")
    return {
        "id": str(TIPSTER.id).encode(),
        "id as 6-byte integer": big[2:],
        "id as 8-byte integer": big,
        "id little-endian": TIPSTER.id.to_bytes(8, "little"),
        "username": TIPSTER.username.encode(),
        "first name": TIPSTER.first_name.encode(),
        "last name": TIPSTER.last_name.encode(),
    }


async def test_photos_lose_their_metadata(local, town):
    await file_tip(local, TIPSTER, link=f"tip_{town['code']}", photos=1, as_file=True)
    listing = await local.client.send(REG_A, "/tips")
    opened = await local.client.press(REG_A, listing.last_with_buttons(), button=0)
    photo = next(m for m in opened.messages if "photo" in m)
    data = await local.client.file(photo["photo"][-1]["file_id"])
    assert Image.open(io.BytesIO(data)).format == "JPEG"
    assert b"SecretCamMaker5531" not in data and b"Qiaofeng7421" not in data
    assert SECRET_TEXT in opened.text


async def test_follow_up_from_another_account_and_wrong_receipts(local, town):
    receipt = await file_tip(local, TIPSTER, link=f"tip_{town['code']}")
    listing = await local.client.send(REG_A, "/tips")
    opened = await local.client.press(REG_A, listing.last_with_buttons(), button=0)
    asked = await press(local, REG_A, opened, "Reply to tipster")
    assert "Your reply to the tipster" in asked.text
    await local.client.send(REG_A, "已安排现场核查，感谢反映")
    note = await press(
        local, REG_A, await local.client.press(REG_A, listing.last_with_buttons(), button=0), "Internal note"
    )
    assert "internal note" in note.text
    await local.client.send(REG_A, "内部：与安监站联合检查")

    seen = await local.client.send(FRIEND, f"/follow {receipt.lower().replace('-', ' ')}")
    assert "under review" in seen.text and "已安排现场核查，感谢反映" in seen.text
    assert "联合检查" not in seen.text  # internal notes stay internal
    await press(local, FRIEND, seen, "Add material")
    assert "stored encrypted" in (await local.client.send(FRIEND, "补充一张照片的说明")).text

    wrong = await local.client.send(FRIEND, "/follow ABCD-EFGH-JKMN-PQRS-TVWX")
    garbage = await local.client.send(FRIEND, "/follow hello")
    assert wrong.text == garbage.text == "No tip matches this receipt. Please check it and try again."
    thread = await local.client.press(REG_A, listing.last_with_buttons(), button=0)
    assert "tipster added: 补充一张照片的说明" in thread.text


async def test_repeated_wrong_receipts_are_slowed(local, town):
    for _ in range(5):
        assert "No tip matches" in (await local.client.send(FRIEND, "/follow ABCD-EFGH-JKMN-PQRS-TVWX")).text
    assert "Too many attempts" in (await local.client.send(FRIEND, "/follow ABCD-EFGH-JKMN-PQRS-TVWX")).text


async def test_regulators_see_only_their_jurisdiction(local, town):
    await file_tip(local, TIPSTER, link=f"tip_{town['code']}")
    async with local.app.sessions() as s:
        tip_id = await s.scalar(select(Tip.id))
    b_list = await local.client.send(REG_B, "/tips")
    assert "No tips in your jurisdiction" in b_list.text
    anchor = (await local.client.send(REG_B, "/help")).messages[-1]
    for data in (f"tip:{tip_id}", f"ta:substantiated:{tip_id}", f"ta:reply:{tip_id}"):
        forged = await local.client.press(REG_B, anchor, data=data, forge=True)
        assert forged.alerts == ["This tip is not in your jurisdiction, or no longer exists."]
        assert not forged.messages
    async with local.app.sessions() as s:
        assert (await s.get(Tip, tip_id)).status == "new"
    # Owners (even of the enterprise concerned) and staff never see tips.
    assert "for regulator only" in (await local.client.send(OWNER, "/tips")).text
    a_list = await local.client.send(REG_A, "/tips")
    assert f"#{tip_id} [received, not yet handled]" in a_list.text


async def close_tip(local, regulator, opened, button: str, outcome: str):
    """Close a tip the way a regulator does: the button, then the outcome the tipster reads."""
    asked = await press(local, regulator, opened, button)
    assert "write the outcome the tipster will read" in asked.text
    return await local.client.send(regulator, outcome)


async def test_closing_a_tip_asks_for_the_outcome_the_tipster_reads(local, town):
    receipt = await file_tip(local, TIPSTER, link=f"tip_{town['code']}")
    listing = await local.client.send(REG_A, "/tips")
    opened = await local.client.press(REG_A, listing.last_with_buttons(), button=0)
    asked = await press(local, REG_A, opened, "Substantiated")
    # Nothing is closed yet: an emoji is not an outcome, /cancel would keep the tip open.
    assert "Status: received" in (await local.client.send(TIPSTER, f"/follow {receipt}")).text
    again = await local.client.send(REG_A, "👍")
    assert "write the outcome" in again.text
    closed = await local.client.send(REG_A, "已责令企业清理消防通道并处罚款")
    assert "Tip #" in closed.text and "closed: substantiated" in closed.text
    card = next(
        m for m in await local.client.chat(REG_A.id) if m["message_id"] == opened.messages[-1]["message_id"]
    )
    assert "Status: substantiated" in card["text"] and "Unfounded" not in str(card.get("reply_markup"))
    follow = (await local.client.send(TIPSTER, f"/follow {receipt}")).text
    assert "Status: substantiated" in follow and "已责令企业清理消防通道并处罚款" in follow
    del asked


async def test_the_sixth_tip_of_a_day_is_refused_and_not_stored(local, town):
    for n in range(5):
        await file_tip(local, TIPSTER, link=f"tip_{town['code']}", text=f"第{n}次反映：消防通道被堵塞")
    for attempt in ("/tip", f"/start tip_{town['code']}"):
        refused = await local.client.send(TIPSTER, attempt)
        assert "at most 5 tips a day" in refused.text and "nothing was stored" in refused.text
    async with local.app.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Tip)) == 5


async def test_tip_dialog_answers_bad_input(local, town):
    await local.client.send(TIPSTER, "/tip")
    assert "Nothing matches" in (await local.client.send(TIPSTER, "不存在的名字xyz")).text
    step = await local.client.send(TIPSTER, f"/start tip_{town['code']}")
    step = await press(local, TIPSTER, step, "Other")
    assert "this was 3" in (await local.client.send(TIPSTER, "太短了")).text
    assert "this was 5000" in (await local.client.send(TIPSTER, "长" * 5000)).text
    await local.client.send(TIPSTER, SECRET_TEXT)
    refused = await local.client.send_document(TIPSTER, "fake.jpg", b"not really an image")
    assert "cannot be read" in refused.text
    assert "Cancelled" in (await local.client.send(TIPSTER, "/cancel")).text
    async with local.app.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Tip)) == 0
    assert local.app.dispatcher.storage.inner.storage == {}


REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL unset")
async def test_redis_holds_nothing_identifying_after_tips(settings, seeded, county):
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    try:
        ent = rows(county, "enterprises")[0]
        async with seeded() as s:
            code = await s.scalar(select(Enterprise.public_code).where(Enterprise.uscc == ent["uscc"]))
        async with LocalRun(settings.model_copy(update={"redis_url": REDIS_URL})) as run:
            receipt = await file_tip(run, TIPSTER, link=f"tip_{code}", photos=1)
            await run.client.send(TIPSTER, f"/follow {receipt}")
            await run.client.send(TIPSTER, "/cancel")
            dump = b""
            async for key in redis.scan_iter("*"):
                kind = (await redis.type(key)).decode()
                value = await redis.get(key) if kind == "string" else str(await redis.hgetall(key)).encode()
                dump += key + b"=" + (value or b"") + b"\n"
        assert [what for what, needle in needles().items() if needle in dump] == []
        assert b"tipcount:" in dump  # the daily counter is there, keyed by a keyed hash
    finally:
        await redis.flushdb()
        await redis.aclose()
