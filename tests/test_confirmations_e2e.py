"""Nothing that cannot be undone happens on one press: a visit, an accepted piece of evidence
and a closed hazard are each shown once more and confirmed; a forged press changes nothing."""

from datetime import timedelta

from sqlalchemy import func, select

from bot.emulator.harness import TgUser
from storage.models import (
    Agency,
    Division,
    Enterprise,
    Hazard,
    HazardEvent,
    Inspection,
    Tip,
    TipAttachment,
    Visit,
)
from tests.conftest import grant, rows
from tests.test_chat_manners_e2e import buttons
from tests.test_lifecycle_e2e import REG_B, STAFF, TODAY, press, record_visit, scene  # noqa: F401  (fixture)
from tests.test_tips_e2e import EXIF_JPEG, RECEIPT

STAFF_ZH = TgUser(984000001, "Zhao", "", "", "zh")
REG_ZH = TgUser(984000002, "Qian", "", "", "zh")
TIPSTER_ZH = TgUser(984000003, "Sun", "", "", "zh")


async def _visits(sessions) -> int:
    async with sessions() as s:
        return await s.scalar(select(func.count()).select_from(Visit))


async def test_a_visit_is_reviewed_before_it_is_saved_and_can_be_changed_or_discarded(scene):  # noqa: F811
    local, ent, sessions = scene["local"], scene["ent"], scene["sessions"]
    await grant(sessions, STAFF_ZH, "staff", scene["agency"])
    before = await _visits(sessions)

    await local.client.send(STAFF_ZH, "/visit")
    found = await local.client.send(STAFF_ZH, ent["name"])
    kinds = await press(local, STAFF_ZH, found, ent["name"])
    day = await press(local, STAFF_ZH, kinds, "按月排查")
    review = await press(local, STAFF_ZH, day, "今天")
    assert "保存前请核对服务记录" in review.text and ent["name"] in review.text
    assert "按月排查" in review.text and TODAY.isoformat() in review.text
    assert buttons(review.last_with_buttons()) == ["✅ 确认保存", "✏️ 修改", "🗑 放弃"]
    assert await _visits(sessions) == before  # not saved yet

    stray = await local.client.send(STAFF_ZH, "嗯？")  # the review comes back with its buttons
    assert "保存前请核对服务记录" in stray.texts[-1] and "✅ 确认保存" in buttons(stray.last_with_buttons())

    changed = await local.client.send(STAFF_ZH, "修改")  # typed like the button
    assert "请选择服务类型" in changed.text
    await local.client.send(STAFF_ZH, "培训")
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    review = await local.client.send(STAFF_ZH, "昨天")
    assert "培训" in review.text and yesterday in review.text
    discarded = await local.client.send(STAFF_ZH, "放弃")
    assert "未保存任何内容" in discarded.text
    assert await _visits(sessions) == before

    await local.client.send(STAFF_ZH, "/visit")
    found = await local.client.send(STAFF_ZH, ent["name"])
    kinds = await press(local, STAFF_ZH, found, ent["name"])
    await press(local, STAFF_ZH, kinds, "全面排查")
    review = await local.client.send(STAFF_ZH, "昨天")
    saved = await press(local, STAFF_ZH, review, "确认保存")
    assert f"已记录服务：{ent['name']}，{yesterday}，全面排查" in saved.text
    assert await _visits(sessions) == before + 1
    again = await local.client.press(STAFF_ZH, review.last_with_buttons(), data="step:save", forge=True)
    assert "已记录服务" not in again.text and await _visits(sessions) == before + 1  # pressed twice: once


async def _gov_finding(sessions, ent: dict, status: str = "submitted") -> int:
    """A hazard a government inspection found, rectified by the owner and waiting for the check."""
    async with sessions() as s:
        eid = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == ent["uscc"]))
        hazard = Hazard(
            ref="GOV-CONFIRM-1", enterprise_id=eid, found_on=TODAY - timedelta(days=20),
            description="安全出口被货物堵塞-确认", level="general", deadline=TODAY + timedelta(days=5),
            status=status, source="regulator", submitted_on=TODAY,
        )  # fmt: skip
        s.add(hazard)
        await s.commit()
        return hazard.id


async def _status(sessions, hazard_id: int) -> str:
    async with sessions() as s:
        return (await s.get(Hazard, hazard_id)).status


async def test_a_regulator_closes_a_government_finding_only_after_confirming(scene):  # noqa: F811
    local, ent, sessions = scene["local"], scene["ent"], scene["sessions"]
    await grant(sessions, REG_ZH, "regulator", ent["division"])
    hazard_id = await _gov_finding(sessions, ent)

    review = await local.client.send(REG_ZH, "/review")
    listing = await press(local, REG_ZH, review, "复查整改")
    assert "安全出口被货物堵塞-确认" in listing.text
    asked = await press(local, REG_ZH, listing, "通过，销号")
    assert buttons(asked.last_with_buttons()) == ["✅ 确认销号（不可撤销）", "← 返回"]
    assert await _status(sessions, hazard_id) == "submitted"  # one press closes nothing
    back = await press(local, REG_ZH, asked, "返回")
    assert buttons(back.last_with_buttons()) == ["✅ 通过，销号", "↩️ 不通过"]

    # Someone else's press, forged: an alert, nothing changes.
    for user, data in ((REG_B, f"gv:confirm:{hazard_id}"), (STAFF, f"vf:confirm:{hazard_id}")):
        forged = await local.client.press(user, back.last_with_buttons(), data=data, forge=True)
        assert forged.alerts and "already handled, or is not yours" in forged.alerts[0]
        assert not forged.messages
    assert await _status(sessions, hazard_id) == "submitted"

    asked = await press(local, REG_ZH, back, "通过，销号")
    closed = await press(local, REG_ZH, asked, "确认销号")
    assert "已通过复查并销号：安全出口被货物堵塞-确认" in closed.text
    assert await _status(sessions, hazard_id) == "verified"
    again = await local.client.press(
        REG_ZH, asked.last_with_buttons(), data=f"gv:confirm:{hazard_id}", forge=True
    )
    assert again.alerts == ["这项整改已被处理或您无权复查。"]


async def test_a_photo_sent_before_its_step_is_kept_for_the_tip_and_the_question_comes_back(
    local, seeded, county
):
    ent = rows(county, "enterprises")[0]
    await local.client.send(TIPSTER_ZH, "/tip")
    early = await local.client.send_photo(TIPSTER_ZH, EXIF_JPEG)  # before even the target
    assert "照片已收下（1/5 张）" in early.text and "举报哪家企业" in early.texts[-1]
    found = await local.client.send(TIPSTER_ZH, ent["name"])
    category = await press(local, TIPSTER_ZH, found, ent["name"])
    again = await local.client.send_photo(TIPSTER_ZH, EXIF_JPEG)
    assert "暂不支持" not in again.text
    assert "照片已收下（2/5 张）" in again.text and "举报类别" in again.texts[-1]
    assert buttons(again.last_with_buttons()) == buttons(category.last_with_buttons())
    text = await press(local, TIPSTER_ZH, again, "隐患长期未整改")
    assert "请描述您看到的情况" in text.text
    # A photo with the description as its caption: both kept.
    photos = await local.client.send_photo(
        TIPSTER_ZH, EXIF_JPEG, caption="二号仓库的灭火器全部过期，通道堆满纸箱"
    )
    assert "照片已收下（3/5 张）" in photos.text
    assert "已收下您先前发送的 3 张照片" in photos.text and "还可以再发 2 张" in photos.text
    review = await press(local, TIPSTER_ZH, photos, "完成")
    assert "照片：3 张" in review.text and "通道堆满纸箱" in review.text
    filed = await press(local, TIPSTER_ZH, review, "确认提交")
    assert RECEIPT.search(filed.text)
    async with seeded() as s:
        assert await s.scalar(select(func.count()).select_from(TipAttachment)) == 3


async def test_a_regulator_sends_a_government_finding_back_with_a_reason(scene):  # noqa: F811
    """The reason typed after 「不通过」 is read by the same handler as the agency's /verify: a
    reason that is too long is refused, a good one sends the rectification back."""
    local, ent, sessions = scene["local"], scene["ent"], scene["sessions"]
    await grant(sessions, REG_ZH, "regulator", ent["division"])
    hazard_id = await _gov_finding(sessions, ent)

    listing = await press(local, REG_ZH, await local.client.send(REG_ZH, "/review"), "复查整改")
    asked = await press(local, REG_ZH, listing, "不通过")
    assert "请说明整改不通过的原因" in asked.text
    too_long = await local.client.send(REG_ZH, "堵" * 1001)
    assert "1000" in too_long.text and await _status(sessions, hazard_id) == "submitted"
    sent_back = await local.client.send(REG_ZH, "货物仍堵在安全出口")
    assert "已退回整改：安全出口被货物堵塞-确认" in sent_back.text
    assert await _status(sessions, hazard_id) != "submitted"
    async with sessions() as s:
        note = await s.scalar(
            select(HazardEvent.note).where(HazardEvent.hazard_id == hazard_id).order_by(HazardEvent.id.desc())
        )
    assert note == "货物仍堵在安全出口"


async def test_lists_name_places_and_enterprises_one_way_in_chinese_punctuation(scene):  # noqa: F811
    """/coverage names a township by name in the coverage lines and in the inspections under
    them alike; labels built from a name and a count or a kind read 「企业：…」 and 「…（3）」."""
    local, ent, sessions = scene["local"], scene["ent"], scene["sessions"]
    township = ent["division"]
    await grant(sessions, REG_ZH, "regulator", township)
    await grant(sessions, STAFF_ZH, "staff", scene["agency"])
    async with sessions() as s:
        place = await s.scalar(select(Division.name).where(Division.code == township))
        eid = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == ent["uscc"]))
        agency_id = await s.scalar(select(Agency.id).where(Agency.code == scene["agency"]))
        s.add(
            Inspection(ref="COV-1", division_prefix=township, enterprise_id=eid, date=TODAY, kind="routine")
        )
        for i in range(9):  # more than one /verify screen: the enterprises are picked first
            s.add(
                Hazard(
                    agency_id=agency_id, ref=f"PICK-{i}", enterprise_id=eid, found_on=TODAY - timedelta(days=9),
                    description=f"待复查隐患{i}", level="general", deadline=TODAY + timedelta(days=9),
                    status="submitted", submitted_on=TODAY,
                )
            )  # fmt: skip
        await s.commit()
    coverage = await local.client.send(REG_ZH, "/coverage")
    assert f"· {place}：" in coverage.text and township not in coverage.text
    assert "政府监督检查：本周 1 次" in coverage.text

    picker = await local.client.send(STAFF_ZH, "/verify")
    assert f"{ent['name'][:40]}（9）" in buttons(picker.last_with_buttons())

    await local.client.send(TIPSTER_ZH, "/tip")
    found = await local.client.send(TIPSTER_ZH, ent["name"])
    assert f"企业：{ent['name'][:50]}" in buttons(found.last_with_buttons())


async def test_a_hazard_under_review_can_be_discarded_like_a_visit(scene):  # noqa: F811
    local, ent, sessions = scene["local"], scene["ent"], scene["sessions"]
    await record_visit(local, ent)
    visits = await local.client.send(STAFF, "/hazard")
    await local.client.press(STAFF, visits.last_with_buttons(), button=0)
    await local.client.send(STAFF, "配电箱门未上锁-放弃")
    await local.client.send(STAFF, "三号车间")
    levels = await local.client.send(STAFF, "done")
    await press(local, STAFF, levels, "general hazard")
    deadline = await local.client.send(STAFF, "加锁")
    review = await press(local, STAFF, deadline, "Use the default")
    assert buttons(review.last_with_buttons()) == ["✅ Save the hazard", "✏️ Change the deadline", "🗑 Discard"]
    dropped = await press(local, STAFF, review, "Discard")
    assert "Cancelled" in dropped.text
    async with sessions() as s:
        assert await s.scalar(select(Hazard.id).where(Hazard.description == "配电箱门未上锁-放弃")) is None


async def test_a_tip_under_review_can_be_discarded(local, seeded, county):
    ent = rows(county, "enterprises")[0]
    await local.client.send(TIPSTER_ZH, "/tip")
    category = await press(local, TIPSTER_ZH, await local.client.send(TIPSTER_ZH, ent["name"]), ent["name"])
    await press(local, TIPSTER_ZH, category, "其他")
    await local.client.send(TIPSTER_ZH, "仓库夜间无人值守，电动车在室内充电")
    review = await local.client.send(TIPSTER_ZH, "完成")
    dropped = await press(local, TIPSTER_ZH, review, "放弃")
    assert "未保存任何内容" in dropped.text
    async with seeded() as s:
        assert await s.scalar(select(func.count()).select_from(Tip)) == 0
