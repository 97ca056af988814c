"""Every dialog asks its question again, with its buttons, when an answer misses it (a
sticker, a command, other words), and takes a button's words typed for the press: the
owner's rectification and rating, evidence, government inspection, evidence review, closing
a tip and marking a hazard for enforcement."""

from sqlalchemy import delete, select

from bot.emulator.harness import TgUser
from storage.models import (
    Enterprise,
    EvidenceSubmission,
    Hazard,
    HazardEvent,
    IndicatorRecord,
    Inspection,
    Rating,
    Tip,
)
from tests.conftest import grant, rows
from tests.test_chat_manners_e2e import buttons
from tests.test_evidence_e2e import PDF, open_indicator
from tests.test_inspect_e2e import clean
from tests.test_lifecycle_e2e import (  # noqa: F401  (fixture)
    OWNER,
    PHOTO,
    TODAY,
    press,
    record_hazard,
    record_visit,
    scene,
    submit_fix,
)
from tests.test_review_e2e import two_awaiting_review
from tests.test_tips_e2e import REG_A, TIPSTER, file_tip, town  # noqa: F401  (fixture)

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
    number = next(line.split(".")[0] for line in listing.texts[-1].splitlines() if "手打完成" in line)
    asked = await local.client.send(OWNER, f"#{number} rectified")  # the list's button, typed
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
    number = next(line.split(".")[0] for line in listing.texts[-1].splitlines() if "手打完成" in line)
    asked = await local.client.send(OWNER_ZH, f"第{number}项已整改")
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
        assert await s.scalar(
            select(Hazard.status).where(Hazard.description == "灭火器压力不足-手打完成")
        ) == ("submitted")


EV_OWNER = TgUser(982000002, "Sun", "Owner", "", "en")
EV_OWNER_ZH = TgUser(982000003, "Zhou", "", "", "zh")


async def test_evidence_asks_again_with_its_buttons_and_takes_typed_words(local, seeded, county):
    for n, (owner, words) in enumerate((
        (EV_OWNER, ("Emergency plans", "Send the evidence", "The question is still open", "done", "On which day", "today")),
        (EV_OWNER_ZH, ("应急", "请发送", "上一个问题还没有回答", "完成", "哪一天完成", "今天")),
    )):  # fmt: skip
        indicator, ask_files, still_open, done, ask_day, today = words
        uscc = rows(county, "enterprises")[n]["uscc"]
        async with seeded() as s:  # the drill indicator is missing for this enterprise
            eid = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc))
            drill = (IndicatorRecord.enterprise_id == eid) & (IndicatorRecord.indicator == "DRILL")
            await s.execute(delete(IndicatorRecord).where(drill))
            await s.commit()
        await grant(seeded, owner, "owner", uscc)
        _, card = await open_indicator(local, owner, indicator)
        asked = await local.client.press(owner, card.last_with_buttons(), button=0)
        assert ask_files in asked.text
        command = await local.client.send(owner, "/frobnicate")
        assert still_open in command.text and ask_files in command.texts[-1]
        got = await local.client.send_document(owner, "drill.pdf", PDF)
        stray = await local.client.send(owner, "what now?")
        assert buttons(stray.last_with_buttons()) == buttons(got.last_with_buttons()) != []
        day = await local.client.send(owner, done)
        assert ask_day in day.text
        sticker = await local.client.send(owner, **STICKER)
        assert ask_day in sticker.texts[-1] and buttons(sticker.last_with_buttons()) == [today.capitalize()]
        saved = await local.client.send(owner, today)
        async with seeded() as s:
            status = await s.scalar(
                select(EvidenceSubmission.status).where(
                    EvidenceSubmission.indicator == "DRILL", EvidenceSubmission.enterprise_id == eid
                )
            )
        assert status == "submitted", saved.text


INSPECTOR = TgUser(982000004, "Town", "Inspector", "", "en")
INSPECTOR_ZH = TgUser(982000005, "Xiang", "Jian", "", "zh")
INSPECT_WORDS = {
    INSPECTOR: {
        "ask_date": "On which day", "today": "Today", "ask_kind": "Which kind of inspection",
        "kind": "Routine inspection", "ask_note": "A note on the inspection", "still_open": "The question is still open",
        "skip": "Skip", "menu": "Findings so far: 0", "add": "add a hazard", "describe": "Describe the hazard",
        "done": "DONE", "ask_level": "Level of the hazard", "level": "General hazard", "ask_deadline": "Deadline?",
        "default": "use the default", "menu_1": "Findings so far: 1", "finish": "finish",
        "ask_document": "Send the enforcement document", "document_expected": "Please send the enforcement document",
        "saved": "Inspection recorded",
    },
    INSPECTOR_ZH: {
        "ask_date": "检查日期", "today": "今天", "ask_kind": "检查类型", "kind": "日常检查",
        "ask_note": "检查情况说明", "still_open": "上一个问题还没有回答", "skip": "跳过", "menu": "已登记隐患：0",
        "add": "添加隐患", "describe": "请描述隐患", "done": "完成", "ask_level": "隐患等级", "level": "一般隐患",
        "ask_deadline": "整改期限", "default": "使用默认期限", "menu_1": "已登记隐患：1", "finish": "完成",
        "ask_document": "请发送执法文书", "document_expected": "请以文件或照片形式发送执法文书", "saved": "已登记检查",
    },
}  # fmt: skip


async def test_an_inspection_asks_again_with_its_buttons_and_takes_typed_words(local, seeded, county):
    ent = clean(county)
    for reg, w in INSPECT_WORDS.items():
        await grant(seeded, reg, "regulator", ent["division"])
        await local.client.send(reg, f"/inspect {ent['uscc']}")
        sticker = await local.client.send(reg, **STICKER)
        assert w["ask_date"] in sticker.texts[-1] and buttons(sticker.last_with_buttons()) == [w["today"]]
        assert w["ask_kind"] in (await local.client.send(reg, w["today"])).text
        assert w["ask_note"] in (await local.client.send(reg, w["kind"])).text
        command = await local.client.send(reg, "/frobnicate")
        assert w["still_open"] in command.text and w["ask_note"] in command.texts[-1]
        assert buttons(command.last_with_buttons()) == [w["skip"]]
        assert w["menu"] in (await local.client.send(reg, w["skip"])).text
        assert w["describe"] in (await local.client.send(reg, w["add"])).text
        await local.client.send(reg, f"消防通道被货物堵塞-{reg.id}")
        assert w["ask_level"] in (await local.client.send(reg, w["done"])).text
        assert w["ask_deadline"] in (await local.client.send(reg, w["level"])).text
        assert w["menu_1"] in (await local.client.send(reg, w["default"])).text
        assert w["ask_document"] in (await local.client.send(reg, w["finish"])).text
        stray = await local.client.send(reg, "文书稍后补")
        assert w["document_expected"] in stray.text and w["ask_document"] in stray.texts[-1]
        assert w["saved"] in (await local.client.send(reg, w["skip"])).text
    async with seeded() as s:
        inspections = (await s.scalars(select(Inspection).order_by(Inspection.id))).all()
        levels = (await s.scalars(select(Hazard.level).where(Hazard.source == "regulator"))).all()
    assert [(i.inspector_id, i.kind, i.note) for i in inspections] == [
        (INSPECTOR.id, "routine", ""),
        (INSPECTOR_ZH.id, "routine", ""),
    ]
    assert levels == ["general", "general"]


TIP_REG_ZH = TgUser(982000006, "Wu", "", "", "zh")


async def test_a_tip_card_takes_its_closing_buttons_typed_within_the_jurisdiction(local, seeded, town):  # noqa: F811
    await grant(seeded, TIP_REG_ZH, "regulator", town["ent"]["division"])
    for _ in range(2):
        await file_tip(local, TIPSTER, link=f"tip_{town['code']}")
    async with seeded() as s:
        first, second = (await s.scalars(select(Tip.id).order_by(Tip.id))).all()

    async def open_card(reg, tip_id):
        listing = await local.client.send(reg, "/tips")
        return await local.client.press(reg, listing.last_with_buttons(), data=f"tip:{tip_id}")

    await open_card(REG_A, first)  # left open while another regulator closes the tip
    await open_card(TIP_REG_ZH, first)
    asked = await local.client.send(TIP_REG_ZH, "不属实")
    assert f"将举报 #{first} 办结为「经核查不属实」" in asked.text
    command = await local.client.send(TIP_REG_ZH, "/frobnicate")
    assert "上一个问题还没有回答" in command.text and "办结为「经核查不属实」" in command.texts[-1]
    closed = await local.client.send(TIP_REG_ZH, "经核查，现场未发现油漆桶堆放")
    assert f"举报 #{first} 已办结" in closed.text

    refused = await local.client.send(REG_A, "substantiated")  # the press's checks still apply
    assert "This tip is closed" in refused.text

    await open_card(REG_A, second)
    assert "I did not understand" in (await local.client.send(REG_A, "hello")).text
    assert (
        "I did not understand" in (await local.client.send(REG_A, "Substantiated")).text
    )  # the card is left
    await open_card(REG_A, second)
    asked = await local.client.send(REG_A, "Substantiated")
    assert "write the outcome the tipster will read" in asked.text
    closed = await local.client.send(REG_A, "已责令企业清理油漆桶")
    assert "closed: substantiated" in closed.text
    async with seeded() as s:
        assert [(await s.get(Tip, i)).status for i in (first, second)] == ["unfounded", "substantiated"]


ENF_REG = TgUser(982000007, "County", "Enforcer", "", "en")
ENF_REG_ZH = TgUser(982000008, "Xian", "Ju", "", "zh")


async def test_marking_for_enforcement_is_confirmed_by_typed_words(local, seeded, county):
    async with seeded() as s:
        overdue = (
            await s.scalars(
                select(Hazard.id).where(Hazard.status == "open", Hazard.deadline < TODAY).order_by(Hazard.id)
            )
        ).all()[:2]
    for reg, hazard_id, steps in (
        (ENF_REG, overdue[0], [("mark for enforcement", "cannot be undone"), ("confirm", "Marked for enforcement")]),
        (ENF_REG_ZH, overdue[1], [
            ("列入执法", "确认将此隐患列入执法"), ("返回", "记录："), ("列入执法", "不可撤销"), ("确认", "已列入执法："),
        ]),
    ):  # fmt: skip
        await grant(seeded, reg, "regulator", "330226")
        listing = await local.client.send(reg, "/overdue")
        await local.client.press(reg, listing.last_with_buttons(), data=f"rh:open:{hazard_id}", forge=True)
        for typed, expected in steps:
            reply = await local.client.send(reg, typed)
            assert expected in reply.text, (typed, reply.texts)
    async with seeded() as s:
        marks = await s.scalars(
            select(HazardEvent.hazard_id)
            .where(HazardEvent.kind == "enforcement")
            .order_by(HazardEvent.hazard_id)
        )
        assert list(marks) == overdue


REV_OWNER = TgUser(982000009, "Zheng", "Owner", "", "en")
REV_REG = TgUser(982000010, "Town", "Reviewer", "", "en")
REV_REG_ZH = TgUser(982000011, "Feng", "", "", "zh")


async def test_a_rejection_reason_is_asked_again_when_missed(local, seeded, county):
    ent = await two_awaiting_review(local, seeded, county, REV_OWNER)
    for reg, ask_reason, still_open, rejected in (
        (REV_REG, "Why is it rejected?", "The question is still open", "Rejected:"),
        (REV_REG_ZH, "请说明退回理由", "上一个问题还没有回答", "已退回"),
    ):
        await grant(seeded, reg, "regulator", ent["division"])
        card = await local.client.send(reg, "/review")
        asked = await local.client.press(reg, card.last_with_buttons(), button=1)  # reject
        assert ask_reason in asked.text
        assert ask_reason in (await local.client.send(reg, **STICKER)).texts[-1]
        command = await local.client.send(reg, "/frobnicate")
        assert still_open in command.text and ask_reason in command.texts[-1]
        assert rejected in (await local.client.send(reg, "培训记录缺少签到表")).text
    async with seeded() as s:
        statuses = (await s.scalars(select(EvidenceSubmission.status))).all()
    assert statuses == ["rejected", "rejected"]
