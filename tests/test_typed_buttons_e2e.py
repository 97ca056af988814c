"""Every dialog asks its question again, with its buttons, when an answer misses it (a
sticker, a command, other words), and takes a button's words typed for the press: the
owner's rectification and rating, evidence, government inspection, evidence review, closing
a tip and marking a hazard for enforcement."""

from sqlalchemy import select

from bot.emulator.harness import TgUser
from storage.models import Hazard, Rating
from tests.conftest import grant
from tests.test_chat_manners_e2e import buttons
from tests.test_lifecycle_e2e import (  # noqa: F401  (fixture)
    OWNER,
    PHOTO,
    press,
    record_hazard,
    record_visit,
    scene,
    submit_fix,
)

OWNER_ZH = TgUser(982000001, "Qian", "", "", "zh")
STICKER = {
    "sticker": {
        "file_id": "S1",
        "file_unique_id": "s1",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
}


async def test_the_owner_rectifies_and_rates_with_typed_words_en(scene):  # noqa: F811
    local, ent = scene["local"], scene["ent"]
    await record_visit(local, ent)
    await record_hazard(local, "配电箱门未上锁-手打完成")
    listing = await local.client.send(OWNER, "/hazards")
    asked = await press(local, OWNER, listing, "rectified")
    assert "Send photos of the rectification" in asked.text

    command = await local.client.send(OWNER, "/frobnicate")
    assert "The question is still open" in command.text
    assert "Send photos of the rectification" in command.texts[-1]
    assert "Send photos of the rectification" in (await local.client.send(OWNER, **STICKER)).texts[-1]
    got = await local.client.send_photo(OWNER, PHOTO)
    assert buttons(got.last_with_buttons()) == ["Done"]
    stray = await local.client.send(OWNER, "what now?")
    assert "Photo 1 received" in stray.texts[-1] and buttons(stray.last_with_buttons()) == ["Done"]
    note = await local.client.send(OWNER, "done")  # the button's word, typed
    assert "A short note on what was done" in note.text
    assert "A short note on what was done" in (await local.client.send(OWNER, **STICKER)).texts[-1]
    saved = await local.client.send(OWNER, "已加装门锁并张贴警示标识")
    assert "Rectification submitted" in saved.text

    choose = await local.client.send(OWNER, "/rate")
    again = await local.client.send(OWNER, "the first one")
    assert "Which visit do you want to rate?" in again.texts[-1]
    assert buttons(again.last_with_buttons()) == buttons(choose.last_with_buttons())
    stars = await local.client.press(OWNER, choose.last_with_buttons(), button=0)
    assert "choose the stars" in stars.text
    missed = await local.client.send(OWNER, "excellent")
    assert "choose the stars" in missed.texts[-1] and "★★★★★" in buttons(missed.last_with_buttons())
    rated = await local.client.send(OWNER, "5 stars")
    assert "★★★★★ — rating saved" in rated.text and "Any comment?" in rated.text
    command = await local.client.send(OWNER, "/frobnicate")
    assert "Any comment?" in command.texts[-1] and buttons(command.last_with_buttons()) == ["Skip"]
    thanks = await local.client.send(OWNER, "Skip the small talk: they came on time")  # a comment, kept
    assert "Thank you for your rating: ★★★★★" in thanks.text
    async with scene["sessions"]() as s:
        assert [tuple(r) for r in (await s.execute(select(Rating.stars, Rating.comment))).all()] == [
            (5, "Skip the small talk: they came on time")
        ]


async def test_the_owner_rectifies_and_rates_with_typed_words_zh(scene):  # noqa: F811
    local, ent = scene["local"], scene["ent"]
    await grant(scene["sessions"], OWNER_ZH, "owner", ent["uscc"])
    await record_visit(local, ent)
    await record_hazard(local, "灭火器压力不足-手打完成")
    listing = await local.client.send(OWNER_ZH, "/hazards")
    asked = await press(local, OWNER_ZH, listing, "已整改")
    assert "请发送整改后的照片" in asked.text
    command = await local.client.send(OWNER_ZH, "/frobnicate")
    assert "上一个问题还没有回答" in command.text and "请发送整改后的照片" in command.texts[-1]
    await local.client.send_photo(OWNER_ZH, PHOTO)
    note = await local.client.send(OWNER_ZH, "完成")
    assert "请简要说明整改情况" in note.text
    assert "已提交整改" in (await local.client.send(OWNER_ZH, "已更换灭火器")).text

    choose = await local.client.send(OWNER_ZH, "/rate")
    stars = await local.client.press(OWNER_ZH, choose.last_with_buttons(), button=0)
    assert "请选择星级" in stars.text
    rated = await local.client.send(OWNER_ZH, "五星")
    assert "★★★★★，评价已保存" in rated.text and "还有什么意见" in rated.text
    command = await local.client.send(OWNER_ZH, "/frobnicate")
    assert "还有什么意见" in command.texts[-1] and buttons(command.last_with_buttons()) == ["跳过"]
    assert "感谢评价：★★★★★" in (await local.client.send(OWNER_ZH, "讲解清楚")).text
    async with scene["sessions"]() as s:
        assert (await s.execute(select(Rating.stars))).scalars().all() == [5]
        assert await s.scalar(select(Hazard.status).where(Hazard.description == "灭火器压力不足-手打完成")) == (
            "submitted"
        )
