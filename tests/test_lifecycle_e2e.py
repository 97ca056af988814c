"""The inspection lifecycle end to end over HTTP: visits, hazards, rectification and
verification, reports, ratings, and who may act for whom."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.emulator.harness import Reply, TgUser
from storage.clock import today
from storage.models import Agency, Enterprise, Hazard, HazardEvent, Outbox, Rating, ServiceReport, Visit
from tests.conftest import TZ_SETTINGS, grant, rows

STAFF = TgUser(970000001, "Li", "Staff", "li_staff", "en")
OWNER = TgUser(970000002, "Wang", "Owner", "wang_owner", "en")
REG_A = TgUser(970000003, "Reg", "A", "reg_a", "en")
REG_B = TgUser(970000004, "Reg", "B", "reg_b", "en")
TODAY = today(TZ_SETTINGS.tz)
PHOTO = b"\xff\xd8\xff\xe0 fake jpeg"


@pytest.fixture
async def scene(local, seeded, county):
    """An agency, a client under an active contract that started 40+ days ago, and people."""
    contract = next(
        c
        for c in rows(county, "contracts")
        if date.fromisoformat(c["start_date"]) <= TODAY - timedelta(days=40)
        and date.fromisoformat(c["end_date"]) > TODAY
    )
    ents = {e["uscc"]: e for e in rows(county, "enterprises")}
    ent = ents[contract["uscc"]]
    other_town = next(e["division"] for e in ents.values() if e["division"] != ent["division"])
    await grant(seeded, STAFF, "staff", contract["agency_code"])
    await grant(seeded, OWNER, "owner", ent["uscc"])
    await grant(seeded, REG_A, "regulator", ent["division"])
    await grant(seeded, REG_B, "regulator", other_town)
    for user in (OWNER, REG_A, REG_B):
        await local.client.send(user, "/start")  # they have opened the bot: their chats exist
    return {"ent": ent, "agency": contract["agency_code"], "local": local, "sessions": seeded}


def button(reply: Reply | dict, text: str) -> tuple[dict, str]:
    """The message holding a button whose label contains `text`, and that button's data."""
    messages = reply.messages if isinstance(reply, Reply) else [reply]
    for message in reversed(messages):
        for row in message.get("reply_markup", {}).get("inline_keyboard", []):
            for b in row:
                if text in b["text"]:
                    return message, b["callback_data"]
    raise AssertionError(f"no button {text!r} in {[m.get('text') for m in messages]}")


async def press(local, user, reply, text: str) -> Reply:
    message, data = button(reply, text)
    result = await local.client.press(user, message, data=data)
    assert result.answered
    return result


async def record_visit(local, ent, when: str | None = None) -> Reply:
    start = await local.client.send(STAFF, "/visit")
    assert "Choose the client" in start.text
    found = await local.client.send(STAFF, ent["name"])
    kinds = await press(local, STAFF, found, ent["name"])
    asked = await press(local, STAFF, kinds, "monthly inspection")
    if when is None:
        review = await press(local, STAFF, asked, "Today")
    else:
        review = await local.client.send(STAFF, when)
    if "Please check the visit before saving" not in review.text:
        return review  # refused: the date is asked again
    return await press(local, STAFF, review, "Save the visit")


async def record_hazard(local, description: str, level: str = "general hazard") -> Reply:
    visits = await local.client.send(STAFF, "/hazard")
    await local.client.press(STAFF, visits.last_with_buttons(), button=0)
    await local.client.send(STAFF, description)
    photos = await local.client.send(STAFF, "二号车间配电箱")
    assert "Send photos of the hazard" in photos.text
    got = await local.client.send_photo(STAFF, PHOTO)
    assert "Photo 1 received" in got.text
    levels = await press(local, STAFF, got, "Done")
    suggestion = await press(local, STAFF, levels, level)
    assert "Rectification suggestion" in suggestion.text
    deadline = await local.client.send(STAFF, "更换配电箱门锁")
    review = await press(local, STAFF, deadline, "Use the default")
    assert "Nothing is saved until you confirm" in review.text and description in review.text
    return await press(local, STAFF, review, "Save the hazard")


async def hazards_page_with(local, description: str) -> Reply:
    """The page of the owner's /hazards that lists `description` (the last page if none)."""
    listing = await local.client.send(OWNER, "/hazards")
    while description not in listing.text:
        pages = listing.last_with_buttons()
        nxt = [b for row in (pages or {}).get("reply_markup", {}).get("inline_keyboard", []) for b in row]
        nxt = [b for b in nxt if b["text"] == "▶"]
        if not nxt:
            break
        listing = await local.client.press(OWNER, pages, data=nxt[0]["callback_data"])
    return listing


async def submit_fix(local, description: str, note: str) -> Reply:
    listing = await hazards_page_with(local, description)
    number = next(line.split(".")[0] for line in listing.texts[-1].splitlines() if description in line)
    asked = await press(local, OWNER, listing, f"#{number} rectified")
    assert "Send photos of the rectification" in asked.text
    got = await local.client.send_photo(OWNER, PHOTO)
    await press(local, OWNER, got, "Done")
    return await local.client.send(OWNER, note)


async def open_verify(local, ent) -> Reply:
    """/verify, choosing the enterprise first when many are waiting."""
    review = await local.client.send(STAFF, "/verify")
    if "Choose one, or type part of a name" in review.text:
        review = await press(local, STAFF, review, ent["name"])
    return review


def section(text: str, header: str) -> list[str]:
    """The bullet lines under `header`, up to the next blank line."""
    lines = text.splitlines()
    if header not in lines:
        return []
    out = []
    for line in lines[lines.index(header) + 1 :]:
        if not line.strip():
            break
        out.append(line)
    return out


def bot_texts(chat: list[dict]) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in chat if m["from"]["is_bot"]]


async def test_full_lifecycle_with_rejection_and_history(scene):
    local, ent = scene["local"], scene["ent"]
    description = "配电箱电线裸露-生命周期"
    visit = await record_visit(local, ent)
    assert f"Visit recorded: {ent['name']}, {TODAY.isoformat()}" in visit.text

    saved = await record_hazard(local, description)
    assert "Hazard recorded" in saved.text and "1 owner told" in saved.text
    await local.flush()
    assert any(
        "New safety hazard" in t and description in t for t in bot_texts(await local.client.chat(OWNER.id))
    )
    assert description in (await hazards_page_with(local, description)).text

    first = await submit_fix(local, description, "已更换门锁")
    assert "Rectification submitted" in first.text
    await local.flush()
    assert any("Rectification submitted" in t for t in bot_texts(await local.client.chat(STAFF.id)))

    review = await open_verify(local, ent)
    item = next(m for m in review.messages if description in (m.get("text") or "") and m.get("reply_markup"))
    assert "Owner's note: 已更换门锁" in item["text"] and "Photos: 1" in item["text"]
    album = [m for m in review.messages if m.get("media_group_id")]  # before and after, side by side
    assert len(album) == 2 and album[0]["caption"].startswith("Before (1) and after (1)")
    asked = await press(local, STAFF, item, "Reject")
    assert "Why is the rectification rejected" in asked.text
    rejected = await local.client.send(STAFF, "门锁型号不符合要求")
    assert "Sent back" in rejected.text
    await local.flush()
    assert any("Reason: 门锁型号不符合要求" in t for t in bot_texts(await local.client.chat(OWNER.id)))

    second = await submit_fix(local, description, "已按要求更换")
    assert "Rectification submitted" in second.text
    await local.flush()  # the notice to staff arrives before the review is opened
    review = await open_verify(local, ent)
    item = next(m for m in review.messages if description in (m.get("text") or "") and m.get("reply_markup"))
    asked = await press(local, STAFF, item, "Approve")  # closing asks once more on the same card
    assert "Verified and closed" not in asked.text
    back = await press(local, STAFF, asked.messages[-1], "Back")
    asked = await press(local, STAFF, back.messages[-1], "Approve")
    async with scene["sessions"]() as s:
        assert await s.scalar(select(Hazard.status).where(Hazard.description == description)) == "submitted"
    approved = await press(local, STAFF, asked.messages[-1], "cannot be undone")
    assert "Verified and closed" in approved.text

    async with scene["sessions"]() as s:
        hazard = await s.scalar(select(Hazard).where(Hazard.description == description))
        events = (
            await s.execute(
                select(HazardEvent.kind, HazardEvent.actor_id, HazardEvent.note)
                .where(HazardEvent.hazard_id == hazard.id)
                .order_by(HazardEvent.id)
            )
        ).all()
        visit_row = await s.get(Visit, hazard.visit_id)
    assert (hazard.status, hazard.closed_on) == ("verified", TODAY)
    assert visit_row.date == TODAY and visit_row.kind == "monthly"
    assert [(k, a) for k, a, _ in events] == [
        ("created", STAFF.id),
        ("submitted", OWNER.id),
        ("rejected", STAFF.id),
        ("submitted", OWNER.id),
        ("verified", STAFF.id),
    ]
    assert events[2][2] == "门锁型号不符合要求"
    # A closed hazard is no longer on the owner's list.
    assert description not in (await hazards_page_with(local, description)).text


async def test_the_stars_are_kept_when_the_owner_leaves_the_comment_step(scene):
    """The rating counts at the press: another command instead of a comment loses nothing,
    and the visit is not offered for rating again."""
    local, ent = scene["local"], scene["ent"]
    await record_visit(local, ent)
    await local.flush()
    request = next(
        m for m in await local.client.chat(OWNER.id) if "Please rate this service" in (m.get("text") or "")
    )
    two = await local.client.press(OWNER, request, button=1)
    assert "★★ — rating saved." in two.text and "Any comment?" in two.text
    await local.client.send(OWNER, "/status")
    assert "No recent visit is waiting" in (await local.client.send(OWNER, "/rate")).text
    async with scene["sessions"]() as s:
        ratings = (await s.execute(select(Rating.stars, Rating.comment))).all()
    assert [tuple(r) for r in ratings] == [(2, "")]


async def test_a_major_hazard_alerts_only_the_township_regulator(scene):
    local, ent = scene["local"], scene["ent"]
    await record_visit(local, ent)
    saved = await record_hazard(local, "涉氨管道泄漏-重大", level="major hazard")
    assert "1 regulator alerted" in saved.text
    await local.flush()
    reg_a = bot_texts(await local.client.chat(REG_A.id))
    assert any("Major accident hazard" in t and ent["uscc"] in t for t in reg_a)
    assert not any("Major accident hazard" in t for t in bot_texts(await local.client.chat(REG_B.id)))
    async with scene["sessions"]() as s:
        alerted = (await s.scalars(select(Outbox.chat_id).where(Outbox.kind == "hazard_major"))).all()
    assert alerted == [REG_A.id]


async def test_rating_once_with_a_comment_and_forgeries_refused(scene):
    local, ent = scene["local"], scene["ent"]
    partner = TgUser(970000005, "Zhao", "Partner", "", "en")
    await grant(scene["sessions"], partner, "owner", ent["uscc"])
    await local.client.send(partner, "/start")
    await record_visit(local, ent)
    await local.flush()

    def request_in(chat):
        return next(m for m in chat if "Please rate this service" in (m.get("text") or ""))

    request = request_in(await local.client.chat(OWNER.id))
    four = await local.client.press(OWNER, request, button=3)
    assert "★★★★" in four.text and "Any comment?" in four.text
    assert "reply_markup" not in four.messages[0]  # the stars are gone from the request
    thanks = await local.client.send(OWNER, "服务认真，讲解清楚")
    assert "Thank you for your rating: ★★★★" in thanks.text

    # The enterprise's other owner got the same request: the visit is rated already.
    again = await local.client.press(partner, request_in(await local.client.chat(partner.id)), button=4)
    assert again.alerts == ["This visit has already been rated. Thank you!"]
    assert "No recent visit is waiting" in (await local.client.send(OWNER, "/rate")).text

    async with scene["sessions"]() as s:
        mine = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == ent["uscc"]))
        visit_id = await s.scalar(
            select(Visit.id).where(Visit.enterprise_id == mine).order_by(Visit.id.desc())
        )
        other_visit = await s.scalar(select(Visit.id).where(Visit.enterprise_id != mine).limit(1))
    replay = await local.client.press(OWNER, request, data=f"rate:{visit_id}:5", forge=True)
    assert replay.alerts == ["This visit has already been rated. Thank you!"]
    forged = await local.client.press(OWNER, request, data=f"rate:{other_visit}:5", forge=True)
    assert forged.alerts == ["This button is no longer valid, or not yours to press."]
    async with scene["sessions"]() as s:
        ratings = (
            await s.execute(select(Rating.visit_id, Rating.stars, Rating.comment, Rating.rated_by))
        ).all()
    assert [tuple(r) for r in ratings] == [(visit_id, 4, "服务认真，讲解清楚", OWNER.id)]


async def test_a_report_31_days_after_its_visit_is_late_and_due_lists_missing_reports(scene):
    local, ent = scene["local"], scene["ent"]
    old = (TODAY - timedelta(days=31)).isoformat()
    recent = (TODAY - timedelta(days=3)).isoformat()
    assert "Visit recorded" in (await record_visit(local, ent, old)).text
    assert "Visit recorded" in (await record_visit(local, ent, recent)).text
    assert "Visit recorded" in (await record_visit(local, ent)).text

    due = await local.client.send(STAFF, "/due")
    # The agency's imported visits (no staff member) are listed too, marked unassigned.
    lines = [line for line in section(due.text, "Service reports to submit:") if "(unassigned)" not in line]
    assert len(lines) == 3 and all(ent["name"] in line for line in lines)
    assert any(old in line and "⚠️ 1 day overdue" in line for line in lines)

    choose = await local.client.send(STAFF, "/report")
    asked = await press(local, STAFF, choose, old)
    assert "Send the report" in asked.text
    wrong = await local.client.send_document(STAFF, "notes.txt", b"plain text")
    assert "PDF, a Word document or an image" in wrong.text
    saved = await local.client.send_document(STAFF, "report.pdf", b"%PDF-1.4 report")
    assert "1 day late" in saved.text

    async with scene["sessions"]() as s:
        report = await s.scalar(
            select(ServiceReport)
            .join(Visit)
            .where(Visit.date == date.fromisoformat(old), Visit.staff_id.is_not(None))
        )
    assert report.submitted_on == TODAY
    due = await local.client.send(STAFF, "/due")
    remaining = [
        line for line in section(due.text, "Service reports to submit:") if "(unassigned)" not in line
    ]
    assert len(remaining) == 2 and not any(old in line for line in remaining)


async def test_staff_without_a_contract_cannot_record_visits_or_hazards(scene, county):
    local, sessions = scene["local"], scene["sessions"]
    served = {c["uscc"] for c in rows(county, "contracts") if c["agency_code"] == scene["agency"]}
    stranger = next(e for e in rows(county, "enterprises") if e["uscc"] not in served)
    assert (
        "No client matches"
        in (
            await local.client.send(STAFF, "/visit") and await local.client.send(STAFF, stranger["name"])
        ).text
    )
    async with sessions() as s:
        eid = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == stranger["uscc"]))
        foreign_visit = await s.scalar(select(Visit.id).where(Visit.enterprise_id == eid).limit(1))
        visits_before = await s.scalar(select(func.count()).select_from(Visit))
    menu = await local.client.send(STAFF, "/visit")
    forged = await local.client.press(STAFF, menu.last_with_buttons(), data=f"cli:{eid}", forge=True)
    assert forged.alerts == [
        "Your agency has no active service contract with this enterprise; this cannot be done."
    ]

    await local.client.send(STAFF, "/cancel")
    await record_visit(local, scene["ent"])
    hazard_menu = await local.client.send(STAFF, "/hazard")
    if foreign_visit is not None:
        forged = await local.client.press(
            STAFF, hazard_menu.last_with_buttons(), data=f"pv:hazard:{foreign_visit}", forge=True
        )
        assert "no active service contract" in forged.alerts[0]
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Visit)) == visits_before + 1
        assert await s.scalar(
            select(func.count()).select_from(Hazard).where(Hazard.enterprise_id == eid)
        ) == len([h for h in rows(county, "hazards") if h["uscc"] == stranger["uscc"]])


async def test_clients_lists_the_agency_clients_with_pages(scene, county):
    local = scene["local"]
    today = TODAY
    active = {
        c["uscc"]
        for c in rows(county, "contracts")
        if c["agency_code"] == scene["agency"]
        and date.fromisoformat(c["start_date"]) <= today <= date.fromisoformat(c["end_date"])
    }
    first = await local.client.send(STAFF, "/clients")
    assert f"Client enterprises ({len(active)}, page 1/" in first.text
    if len(active) > 8:
        second = await local.client.press(STAFF, first.last_with_buttons(), data="cpg:1")
        assert "page 2/" in second.text


async def test_clients_are_listed_most_urgent_first(scene, county):
    """The client with the most overdue hazards heads /clients, whatever its name; the rest
    follow by how many are overdue."""
    local = scene["local"]
    active = sorted(
        (e for e in rows(county, "enterprises") for c in rows(county, "contracts")
         if c["uscc"] == e["uscc"] and c["agency_code"] == scene["agency"]
         and date.fromisoformat(c["start_date"]) <= TODAY <= date.fromisoformat(c["end_date"])),
        key=lambda e: e["name"],
    )  # fmt: skip
    last = active[-1]  # alphabetically last: first only by urgency
    async with scene["sessions"]() as s:
        agency_id = await s.scalar(select(Agency.id).where(Agency.code == scene["agency"]))
        ent_id = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == last["uscc"]))
        for i in range(40):
            s.add(
                Hazard(
                    agency_id=agency_id,
                    ref=f"URGENT-{i}",
                    enterprise_id=ent_id,
                    found_on=TODAY - timedelta(days=60),
                    description="灭火器失效",
                    level="general",
                    deadline=TODAY - timedelta(days=10),
                    status="open",
                )
            )
        await s.commit()
    first = (await local.client.send(STAFF, "/clients")).text
    names = [line for line in first.splitlines()[1:] if line.strip() and not line.startswith(" ")]
    assert names[0] == last["name"]
    overdue = [int(n) for n in re.findall(r"\((\d+) overdue\)", first)]
    assert overdue == sorted(overdue, reverse=True) and overdue[0] >= 40


async def test_dialog_steps_refuse_bad_input_and_cancel_leaves_nothing(scene):
    local, ent = scene["local"], scene["ent"]
    await local.client.send(STAFF, "/visit")
    found = await local.client.send(STAFF, ent["name"])
    kinds = await press(local, STAFF, found, ent["name"])
    asked = await press(local, STAFF, kinds, "training")
    hint = await local.client.send(STAFF, "soon")
    assert "not a date I can read" in hint.text and (TODAY - timedelta(days=7)).isoformat() in hint.text
    # A visit has been: the examples look back.
    assert "last friday" in hint.text and "next friday" not in hint.text
    assert hint.last_with_buttons() is not None  # the Today button comes back with the hint
    future = (TODAY + timedelta(days=1)).isoformat()
    assert "cannot be in the future" in (await local.client.send(STAFF, future)).text
    assert "before the contract's start" in (await local.client.send(STAFF, "2000-01-01")).text
    assert asked.answered
    async with scene["sessions"]() as s:
        before = await s.scalar(select(func.count()).select_from(Visit))
    assert "Cancelled" in (await local.client.send(STAFF, "/cancel")).text
    async with scene["sessions"]() as s:
        assert await s.scalar(select(func.count()).select_from(Visit)) == before

    await record_visit(local, ent)
    visits = await local.client.send(STAFF, "/hazard")
    await local.client.press(STAFF, visits.last_with_buttons(), button=0)
    assert "at most 2000" in (await local.client.send(STAFF, "x" * 5000)).text
    assert "an emoji alone is not enough" in (await local.client.send(STAFF, "🔥🔥 !")).text
    await local.client.send(STAFF, "描述")
    await local.client.send(STAFF, "位置")
    assert "Please send a photo" in (await local.client.send(STAFF, "no photo here")).text
    async with scene["sessions"]() as s:
        hazards_before = await s.scalar(select(func.count()).select_from(Hazard))
    assert "Cancelled" in (await local.client.send(STAFF, "/cancel")).text
    async with scene["sessions"]() as s:
        assert await s.scalar(select(func.count()).select_from(Hazard)) == hazards_before


async def test_dates_typed_as_people_say_them(scene):
    """「昨天」 for the visit date and 「下周五」 for the deadline are read relative to today; a
    button's words typed instead of pressing it count as the press."""
    local, ent = scene["local"], scene["ent"]
    yesterday = TODAY - timedelta(days=1)
    await local.client.send(STAFF, "/visit")
    found = await local.client.send(STAFF, ent["name"])
    await press(local, STAFF, found, ent["name"])
    again = await local.client.send(STAFF, "巡查")  # not a kind: the question comes back with its buttons
    button(again, "monthly inspection")
    asked = await local.client.send(STAFF, "全面排查")  # a button's words, typed, count as the press
    assert "Date of the visit" in asked.text
    review = await local.client.send(STAFF, "昨天")
    assert "Please check the visit before saving" in review.text
    visit = await local.client.send(STAFF, "save")
    assert f"Visit recorded: {ent['name']}, {yesterday.isoformat()}, comprehensive" in visit.text
    visits = await local.client.send(STAFF, "/hazard")
    await local.client.press(STAFF, visits.last_with_buttons(), button=0)
    await local.client.send(STAFF, "消防通道堆放杂物")
    await local.client.send(STAFF, "仓库")
    got = await local.client.send_photo(STAFF, PHOTO)
    await press(local, STAFF, got, "Done")
    assert "Rectification suggestion" in (await local.client.send(STAFF, "一般隐患")).text
    asked = await local.client.send(STAFF, "清理通道")
    assert "next friday" in asked.text  # the question says what may be typed
    next_friday = TODAY - timedelta(days=TODAY.weekday()) + timedelta(days=11)
    too_late = await local.client.send(STAFF, "2099-01-01")
    latest = (TODAY - timedelta(days=1) + timedelta(days=90)).isoformat()
    assert f"must be between {TODAY.isoformat()} and {latest}" in too_late.text
    button(too_late, "+30 days")  # the question comes back with its buttons
    review = await local.client.send(STAFF, "下周五")
    changed = await press(local, STAFF, review, "Change the deadline")
    review = await press(local, STAFF, changed, "+30 days")
    assert (TODAY + timedelta(days=30)).isoformat() in review.text
    async with scene["sessions"]() as s:  # nothing saved before the confirmation
        assert await s.scalar(select(Hazard.id).where(Hazard.description == "消防通道堆放杂物")) is None
    await press(local, STAFF, review, "Change the deadline")
    review = await local.client.send(STAFF, "下周五")
    saved = await press(local, STAFF, review, "Save the hazard")
    assert "Hazard recorded" in saved.text
    async with scene["sessions"]() as s:
        deadline = await s.scalar(select(Hazard.deadline).where(Hazard.description == "消防通道堆放杂物"))
    assert deadline == next_friday


async def test_verify_picker_pages_and_finds_a_typed_name(scene):
    """With many enterprises waiting, every one can be reached: by paging or by typing a name."""
    local, sessions = scene["local"], scene["sessions"]
    async with sessions() as s:
        agency_id = await s.scalar(select(Agency.id).where(Agency.code == scene["agency"]))
        await s.execute(
            Hazard.__table__.update()
            .where(Hazard.agency_id == agency_id, Hazard.status == "open")
            .values(status="submitted")
        )
        await s.commit()
        names = (
            await s.scalars(
                select(Enterprise.name)
                .join(Hazard, Hazard.enterprise_id == Enterprise.id)
                .where(Hazard.agency_id == agency_id, Hazard.status == "submitted")
                .group_by(Enterprise.name)
                .order_by(func.min(Hazard.deadline), Enterprise.name)
            )
        ).all()
    assert len(names) > 8  # more than one page
    first = await local.client.send(STAFF, "/verify")
    assert f"at {len(names)} enterprises" in first.text and "page 1/" in first.text
    labels = [b["text"] for row in first.last_with_buttons()["reply_markup"]["inline_keyboard"] for b in row]
    assert "▶️" in labels
    second = await press(local, STAFF, first, "▶️")
    assert "page 2/" in second.text
    last = names[-1]
    found = await local.client.send(STAFF, last[-5:])  # part of a name beyond the first page
    assert "named like" in found.text
    cards = await press(local, STAFF, found, last[:20])
    assert any(last in (m.get("text") or "") and m.get("reply_markup") for m in cards.messages)
