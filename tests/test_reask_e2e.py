"""Steps that took a bare hint now repeat their question with its buttons (the staff hazard's
photo step and deadline, the service report's file step, a government finding's rejection
reason), and the evidence review card takes its buttons' words typed (通过/退回, 确认采纳/返回)
while the press handler still decides who may."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.emulator.harness import TgUser
from storage.models import EvidenceSubmission, Hazard, ServiceReport
from tests.conftest import grant
from tests.test_chat_manners_e2e import buttons
from tests.test_confirmations_e2e import _gov_finding
from tests.test_lifecycle_e2e import PHOTO, REG_A, STAFF, TODAY, press, record_visit, scene  # noqa: F401
from tests.test_review_e2e import two_awaiting_review
from tests.test_typed_buttons_e2e import STICKER

STAFF_ZH = TgUser(985000001, "Chen", "", "", "zh")
REG_ZH = TgUser(985000002, "Lu", "", "", "zh")

HAZARD_WORDS = {
    "en": {
        "ask_photos": "Send photos of the hazard", "photo_hint": "Please send a photo", "done": "Done",
        "received": "Photo 1 received", "ask_level": "Level of the hazard", "level": "general hazard",
        "ask_deadline": "Deadline?", "bad_date": "not a date I can read",
        "quick": ["Use the default", "+7 days", "+30 days"], "typed_quick": "+30 days", "review": "Please check before saving",
    },
    "zh": {
        "ask_photos": "请发送隐患照片", "photo_hint": "请以照片形式发送", "done": "完成",
        "received": "已收到第 1 张照片", "ask_level": "隐患等级", "level": "一般隐患",
        "ask_deadline": "整改期限", "bad_date": "没有看懂这个日期",
        "quick": ["使用默认期限", "+7 天", "+30 天"], "typed_quick": "+30 天", "review": "保存前请核对",
    },
}  # fmt: skip


async def _staff(scene, lang: str) -> TgUser:  # noqa: F811
    """A staff member of the scene's agency with a visit to the client recorded today."""
    local, ent = scene["local"], scene["ent"]
    if lang == "en":
        await record_visit(local, ent)
        return STAFF
    await grant(scene["sessions"], STAFF_ZH, "staff", scene["agency"])
    await local.client.send(STAFF_ZH, "/visit")
    kinds = await press(local, STAFF_ZH, await local.client.send(STAFF_ZH, ent["name"]), ent["name"])
    review = await press(local, STAFF_ZH, await press(local, STAFF_ZH, kinds, "按月排查"), "今天")
    await press(local, STAFF_ZH, review, "确认保存")
    return STAFF_ZH


def _has_buttons(reply, labels: list[str]) -> bool:
    got = buttons(reply.last_with_buttons())
    return all(any(label in b for b in got) for label in labels)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_hazard_photo_step_and_a_bad_deadline_repeat_the_question_with_its_buttons(scene, lang):  # noqa: F811
    local, w = scene["local"], HAZARD_WORDS[lang]
    user = await _staff(scene, lang)
    visits = await local.client.send(user, "/hazard")
    await local.client.press(user, visits.last_with_buttons(), button=0)
    await local.client.send(user, f"配电箱门未上锁-{lang}")
    asked = await local.client.send(user, "二号车间")
    assert w["ask_photos"] in asked.text

    for stray in ({**STICKER}, {"text": "照片等会儿发"}):
        again = await local.client.send(user, **stray)
        assert w["photo_hint"] in again.texts[0] and w["ask_photos"] in again.texts[-1], again.texts
        assert buttons(again.last_with_buttons()) == [w["done"]]
    await local.client.send_photo(user, PHOTO)
    again = await local.client.send(user, **STICKER)
    assert w["photo_hint"] in again.texts[0] and w["received"] in again.texts[-1], again.texts
    assert buttons(again.last_with_buttons()) == [w["done"]]

    assert w["ask_level"] in (await local.client.send(user, w["done"])).text
    await local.client.send(user, w["level"])
    asked = await local.client.send(user, "更换配电箱门锁")
    assert w["ask_deadline"] in asked.text
    wrong = await local.client.send(user, "过几天")
    assert w["bad_date"] in wrong.texts[0] and w["ask_deadline"] in wrong.texts[-1], wrong.texts
    assert _has_buttons(wrong, w["quick"]), buttons(wrong.last_with_buttons())
    review = await local.client.send(user, w["typed_quick"])  # the quick button's words, typed
    assert w["review"] in review.text
    assert (TODAY + timedelta(days=30)).isoformat() in review.text


REPORT_WORDS = {
    "en": ("Send the report", "Please send a PDF, a Word document or an image", "Report saved"),
    "zh": ("服务的报告", "请发送 PDF、Word 文档或图片", "报告已保存"),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_report_file_step_repeats_its_question(scene, lang):  # noqa: F811
    local = scene["local"]
    ask_file, hint, saved = REPORT_WORDS[lang]
    user = await _staff(scene, lang)
    choose = await local.client.send(user, "/report")
    asked = await local.client.press(user, choose.last_with_buttons(), button=0)
    assert ask_file in asked.text
    for stray in (
        local.client.send(user, **STICKER),
        local.client.send(user, "报告明天交"),
        local.client.send_document(user, "notes.txt", b"plain text"),
    ):
        again = await stray
        assert hint in again.texts[0] and ask_file in again.texts[-1], again.texts
    assert saved in (await local.client.send_document(user, "report.pdf", b"%PDF-1.4 report")).text
    async with scene["sessions"]() as s:
        assert await s.scalar(select(ServiceReport.id)) is not None


REV_OWNER = TgUser(985000003, "He", "Owner", "", "en")
REV_REG = TgUser(985000004, "Town", "Checker", "", "en")
REV_REG_ZH = TgUser(985000005, "Shi", "", "", "zh")


async def test_the_review_card_takes_its_buttons_words_typed(local, seeded, county):
    await two_awaiting_review(local, seeded, county, REV_OWNER, REV_REG, REV_REG_ZH)

    card = await local.client.send(REV_REG, "/review")
    assert "Evidence 1 of 2 awaiting review" in card.text
    asked = await local.client.send(REV_REG, "accept")
    assert "Accept this evidence?" in asked.text
    assert buttons(asked.last_with_buttons()) == ["✅ Accept it", "← Back"]
    back = await local.client.send(REV_REG, "back")
    assert buttons(back.last_with_buttons())[:2] == ["✅ Accept", "↩️ Reject with a reason"]
    await local.client.send(REV_REG, "accept")
    accepted = await local.client.send(REV_REG, "accept it")
    assert "Accepted:" in accepted.text and "Evidence 1 of 1 awaiting review" in accepted.text
    # REV_REG's card of the second submission stays open while REV_REG_ZH decides it.

    await local.client.send(REV_REG_ZH, "/review")
    asked = await local.client.send(REV_REG_ZH, "通过")
    assert "确认采纳？" in asked.text and buttons(asked.last_with_buttons()) == ["✅ 确认采纳", "← 返回"]
    back = await local.client.send(REV_REG_ZH, "返回")
    assert "审核通过" in buttons(back.last_with_buttons())[0]
    reason = await local.client.send(REV_REG_ZH, "退回")
    assert "请说明退回理由" in reason.text
    assert "已退回" in (await local.client.send(REV_REG_ZH, "培训记录缺少签到表")).text

    late = await local.client.send(REV_REG, "accept")  # the press's checks still apply
    assert "no longer awaiting review" in late.text
    async with seeded() as s:
        statuses = (await s.scalars(select(EvidenceSubmission.status).order_by(EvidenceSubmission.id))).all()
    assert statuses == ["accepted", "rejected"]


@pytest.mark.parametrize(
    "lang,words",
    [
        ("en", ("Verify rectifications", "Reject", "Why is the rectification rejected?", "Please send a text", "Sent back:")),
        ("zh", ("复查整改", "不通过", "请说明整改不通过的原因", "请输入文字", "已退回整改")),
    ],
)  # fmt: skip
async def test_a_government_findings_rejection_reason_is_asked_again(scene, lang, words):  # noqa: F811
    local, ent, sessions = scene["local"], scene["ent"], scene["sessions"]
    opener, reject, ask_reason, hint, done = words
    reg = REG_A if lang == "en" else REG_ZH
    if lang == "zh":
        await grant(sessions, REG_ZH, "regulator", ent["division"])
    hazard_id = await _gov_finding(sessions, ent)
    listing = await press(local, reg, await local.client.send(reg, "/review"), opener)
    asked = await press(local, reg, listing, reject)
    assert ask_reason in asked.text
    for stray in ({**STICKER}, {"text": "👍"}):
        again = await local.client.send(reg, **stray)
        assert hint in again.texts[0] and ask_reason in again.texts[-1], again.texts
    assert done in (await local.client.send(reg, "整改照片看不清灭火器压力表")).text
    async with sessions() as s:
        assert (await s.get(Hazard, hazard_id)).status == "open"  # back with the owner
