"""A chat people use without a manual: a stray answer gets the question again with its
buttons, and a button's words typed instead of pressed count as the press."""

from datetime import timedelta

from sqlalchemy import func, select

from bot.emulator.harness import TgUser
from storage.models import Agency, Division, Enterprise, Hazard, Tip
from tests.conftest import grant, rows
from tests.test_anonymity_audit import Disk
from tests.test_lifecycle_e2e import STAFF, TODAY, press, record_visit, scene  # noqa: F401  (fixture)
from tests.test_tips_e2e import RECEIPT, REG_A, REG_B, TIPSTER, needles, town  # noqa: F401  (fixture)

TIPSTER_ZH = TgUser(981000001, "Zhou", "", "", "zh")


def buttons(message: dict | None) -> list[str]:
    return [
        b["text"] for row in (message or {}).get("reply_markup", {}).get("inline_keyboard", []) for b in row
    ]


async def test_a_stray_answer_repeats_the_question_and_typed_words_press_buttons_en(scene):  # noqa: F811
    local, ent, sessions = scene["local"], scene["ent"], scene["sessions"]
    await record_visit(local, ent)
    asked = await local.client.send(STAFF, "/hazard")
    visit_buttons = buttons(asked.last_with_buttons())

    stray = await local.client.send(STAFF, "what now?")
    assert "The question is still open" in stray.text
    assert "On which visit was the hazard found?" in stray.texts[-1]  # the question itself, again
    assert buttons(stray.last_with_buttons()) == visit_buttons

    unknown = await local.client.send(STAFF, "/frobnicate")  # a command no one answers
    assert "There is no such command" in unknown.text and "The question is still open" in unknown.text
    assert buttons(unknown.last_with_buttons()) == visit_buttons

    described = await local.client.send(STAFF, visit_buttons[0])  # the visit's words, typed
    assert "Describe the hazard" in described.text
    await local.client.send(STAFF, "消防通道堆放杂物-手打按钮")
    await local.client.send(STAFF, "一号仓库")
    levels = await local.client.send(STAFF, "done")
    assert "level" in levels.text.lower()
    await local.client.send(STAFF, "General hazard")
    deadline = await local.client.send(STAFF, "清理杂物")
    assert any(b.startswith("+7 days") for b in buttons(deadline.last_with_buttons()))
    review = await local.client.send(STAFF, "+7 days")
    assert "Nothing is saved until you confirm" in review.text
    saved = await local.client.send(STAFF, "save")
    assert "Hazard recorded" in saved.text
    async with sessions() as s:
        assert (
            await s.scalar(select(func.count()).where(Hazard.description == "消防通道堆放杂物-手打按钮")) == 1
        )


async def test_a_stray_answer_repeats_the_question_and_typed_words_press_buttons_zh(local, town, seeded):  # noqa: F811
    name = town["ent"]["name"]
    await local.client.send(TIPSTER_ZH, "/tip")
    found = await local.client.send(TIPSTER_ZH, name)
    category = await press(local, TIPSTER_ZH, found, name)
    assert "举报类别" in category.text

    stray = await local.client.send(TIPSTER_ZH, "我不知道")
    assert "上一个问题还没有回答" in stray.text
    assert "举报类别" in stray.texts[-1]
    assert "隐患长期未整改" in buttons(stray.last_with_buttons())

    text = await local.client.send(TIPSTER_ZH, "隐患长期未整改")
    assert "请描述您看到的情况" in text.text
    await local.client.send(TIPSTER_ZH, "三号车间的灭火器过期一年多了，一直没有更换")
    review = await local.client.send(TIPSTER_ZH, "完成")
    assert "请确认举报内容" in review.text
    filed = await local.client.send(TIPSTER_ZH, "确认")
    assert "举报已提交" in filed.text and RECEIPT.search(filed.text)
    async with seeded() as s:
        assert await s.scalar(select(func.count()).select_from(Tip)) == 1


REG_EN = TgUser(981000002, "County", "Reg", "", "en")
REG_ZH = TgUser(981000003, "Xiang", "Zhen", "", "zh")
STAFF_ZH = TgUser(981000004, "Chen", "", "", "zh")


def find(reply, start: str) -> tuple[dict, str, str]:
    """The message, label and data of the first button whose label starts with `start`."""
    for message in reversed(reply.messages):
        for row in message.get("reply_markup", {}).get("inline_keyboard", []):
            for b in row:
                if b["text"].startswith(start):
                    return message, b["text"], b["callback_data"]
    raise AssertionError(f"no button {start!r}")


async def test_overdue_buttons_say_what_they_open_and_lead_back_to_the_page(local, seeded, county):
    ents = rows(county, "enterprises")
    await grant(seeded, REG_EN, "regulator", ents[0]["division"][:6])
    async with seeded() as s:  # enough overdue hazards for a second page
        ent = await s.scalar(select(Enterprise).where(Enterprise.uscc == ents[0]["uscc"]))
        agency_id = await s.scalar(select(Agency.id).limit(1))
        for i in range(12):
            s.add(
                Hazard(
                    agency_id=agency_id,
                    ref=f"OVD-{i}",
                    enterprise_id=ent.id,
                    found_on=TODAY - timedelta(days=60),
                    description=f"灭火器过期第{i}处",
                    location="仓库",
                    suggestion="更换",
                    level="general",
                    deadline=TODAY - timedelta(days=30 + i),
                    status="open",
                )
            )
        await s.commit()
    listing = await local.client.send(REG_EN, "/overdue")
    assert "page 1/" in listing.text and "page 1/1" not in listing.text  # the county has pages
    nav_message, _, nav_data = find(listing, "›")
    second = await local.client.press(REG_EN, nav_message, data=nav_data)
    assert "page 2/" in second.text
    message, label, data = find(second, "#11 ")
    name = next(line.split(" · ")[0].strip() for line in second.text.splitlines() if line.startswith("   "))
    assert name[:16] in label  # the button names the enterprise, and the hazard after it
    assert len(label) > len(f"#11 {name[:16]}: ")
    opened = await local.client.press(REG_EN, message, data=data)
    assert name in opened.text
    back_message, back_label, back_data = find(opened, "◀ Back to the list")
    assert "page 2" in back_label
    back = await local.client.press(REG_EN, back_message, data=back_data)
    assert "page 2/" in back.text and name in back.text


async def test_township_names_not_codes_and_one_term_for_monthly_checks_zh(local, seeded, scene):  # noqa: F811
    township = scene["ent"]["division"]
    await grant(seeded, REG_ZH, "regulator", township)
    async with seeded() as s:
        place = await s.scalar(select(Division.name).where(Division.code == township))
    assert place
    listing = await local.client.send(REG_ZH, f"/overdue {township}")
    assert f"乡镇 {place}" in listing.text and township not in listing.text
    coverage = await local.client.send(REG_ZH, "/coverage")
    assert place in coverage.text and township not in coverage.text

    await grant(seeded, STAFF_ZH, "staff", scene["agency"])
    await local.client.send(STAFF_ZH, "/visit")
    found = await local.client.send(STAFF_ZH, scene["ent"]["name"])
    kinds = await press(local, STAFF_ZH, found, scene["ent"]["name"])
    assert "按月排查" in buttons(kinds.last_with_buttons())
    clients = await local.client.send(STAFF_ZH, "/clients")
    assert "月度排查" not in kinds.text + clients.text


async def test_a_tip_about_an_unregistered_workshop_reaches_its_township_anonymously(
    local,
    town,  # noqa: F811
    settings,
):
    disk = Disk(settings.database_url)
    await disk.begin()
    async with local.app.sessions() as s:
        place = await s.scalar(select(Division.name).where(Division.code == town["ent"]["division"]))
    await local.client.send(TIPSTER, "/tip")
    nothing = await local.client.send(TIPSTER, "无证喷漆小作坊")
    assert "Nothing matches" in nothing.text
    asked = await press(local, TIPSTER, nothing, "Not in the list")
    assert "Type the name of the business or workshop" in asked.text
    towns = await local.client.send(TIPSTER, "桥头无证喷漆作坊-7731")
    assert "In which township" in towns.text and place in buttons(towns.last_with_buttons())
    category = await press(local, TIPSTER, towns, place)
    assert "桥头无证喷漆作坊-7731 (unregistered, " in category.text
    await press(local, TIPSTER, category, "Unsafe condition")
    await local.client.send(TIPSTER, "晚上偷偷喷漆，没有任何通风和消防设施")
    review = await press(local, TIPSTER, await local.client.send(TIPSTER, "done"), "Send it")
    assert RECEIPT.search(review.text), review.text

    async with local.app.sessions() as s:
        tip = await s.scalar(select(Tip))
    assert (tip.target_kind, tip.division, tip.enterprise_id, tip.agency_id) == (
        "unlisted",
        town["ent"]["division"],
        None,
        None,
    )
    assert f"#{tip.id}" not in (await local.client.send(REG_B, "/tips")).text  # another township's
    listing = await local.client.send(REG_A, "/tips")
    assert f"#{tip.id} " in listing.text and "unregistered business" in listing.text
    opened = await press(local, REG_A, listing, f"#{tip.id}")
    assert "桥头无证喷漆作坊-7731" in opened.text and "没有任何通风" in opened.text
    stored = await disk.read()
    assert [what for what, needle in needles().items() if needle in stored] == []
