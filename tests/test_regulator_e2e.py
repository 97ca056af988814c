"""The regulators' toolkit over HTTP, its figures recomputed here from the import files."""

import io
import math
import re
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.emulator.harness import TgUser
from bot.scheduler import grades_job
from domain.grading import Period, grade, score
from notifications.reminders import run_reminders
from storage.clock import today
from storage.models import AgencyGrade, Enterprise, Hazard, HazardEvent, Rating, Visit
from tests.conftest import TZ_SETTINGS, grant, rows

COUNTY = TgUser(994000001, "County", "Reg", "", "en")
TOWN = TgUser(994000002, "Town", "Reg", "", "en")
STAFF = TgUser(994000003, "Staff", "", "", "en")
OWNER = TgUser(994000004, "Owner", "", "", "en")
TODAY = today(TZ_SETTINGS.tz)
KEY_TAGS = {"危化品", "粉尘涉爆", "有限空间", "涂装", "金属冶炼", "涉氨", "矿山"}


def _d(text):
    return date.fromisoformat(text) if text else None


async def _rate_visits(sessions, agency_code: str, stars: list[int]) -> None:
    """Ratings are not in the import files: give some of the agency's visits this half year."""
    period = Period.of(TODAY)
    async with sessions() as s:
        from storage.models import Agency

        aid = await s.scalar(select(Agency.id).where(Agency.code == agency_code))
        visits = (
            await s.scalars(
                select(Visit.id)
                .where(Visit.agency_id == aid, Visit.date >= period.start)
                .order_by(Visit.id)
                .limit(len(stars))
            )
        ).all()
        s.add_all(Rating(visit_id=v, stars=n) for v, n in zip(visits, stars, strict=False))
        await s.commit()


def expected_agency(county, code: str, stars: list[int], division: str = "") -> str:
    period = Period.of(TODAY)
    start, end = period.start, min(period.end, TODAY)
    ents = {e["uscc"] for e in rows(county, "enterprises") if e["division"].startswith(division)}
    visits = [
        v
        for v in rows(county, "visits")
        if v["agency_code"] == code and v["uscc"] in ents and start <= _d(v["date"]) <= end
    ]
    reports = {
        r["visit_ref"]: _d(r["submitted_on"]) for r in rows(county, "reports") if r["agency_code"] == code
    }
    # Only visits that need a report (the default kinds) count in the on-time share.
    due = [
        v
        for v in visits
        if v["kind"] in ("comprehensive", "monthly") and _d(v["date"]) <= end - timedelta(days=30)
    ]
    on_time = sum(
        1 for v in due if reports.get(v["ref"]) and reports[v["ref"]] <= _d(v["date"]) + timedelta(days=30)
    )
    found = [
        h
        for h in rows(county, "hazards")
        if h["agency_code"] == code and h["uscc"] in ents and start <= _d(h["found_on"]) <= end
    ]
    closed = sum(h["status"] == "verified" for h in found)
    avg = sum(stars) / len(stars) if stars else None
    on_time_share = on_time / len(due) if due else None
    closure = closed / len(found) if found else None
    points = score(avg, on_time_share, closure, 0)
    pct = lambda x: f"{x:.0%}" if x is not None else "—"  # noqa: E731
    letter = grade(points, len(stars))
    # Below the minimum ratings: no score, and why there is no grade.
    graded = f"{points} · {letter}" if letter else "fewer than 5 ratings, not graded yet"
    return (
        f"{len({v['uscc'] for v in visits})} · {len(visits)} · {len(stars)}/"
        f"{f'{avg:.2f}' if avg is not None else '—'}★ · {pct(on_time_share)} · {pct(closure)} · 0 · {graded}"
    )


async def test_agencies_figures_equal_an_independent_computation(local, seeded, county):
    await grant(seeded, COUNTY, "regulator", "330226")
    stars = [5, 4, 4, 5, 3, 4]
    await _rate_visits(seeded, "AG001", stars)
    reply = await local.client.send(COUNTY, "/agencies")
    text = reply.text
    for code in ("AG001", "AG002"):
        exp = expected_agency(county, code, stars if code == "AG001" else [])
        block = text.split(f"{code} ", 1)[1].split("\n")[1].strip()
        assert block == exp, (code, block, exp)

    export = await local.client.press(
        COUNTY,
        reply.last_with_buttons(),
        data=next(
            b["callback_data"]
            for row in reply.last_with_buttons()["reply_markup"]["inline_keyboard"]
            for b in row
            if "Export" in b["text"]
        ),
    )
    sent = next(m for m in export.messages if "document" in m)
    doc = sent["document"]
    assert doc["file_name"] == f"agencies-330226-{Period.of(TODAY).label}.xlsx"
    assert sent["caption"].startswith("Agency grades: ") and Period.of(TODAY).label in sent["caption"]
    sheet = load_workbook(io.BytesIO(await local.client.file(doc["file_id"]))).active
    assert sheet.freeze_panes == "A2"
    ag1 = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "AG001")
    assert ag1[4] == len(stars) and math.isclose(ag1[5], sum(stars) / len(stars))
    ag2 = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "AG002")
    assert ag2[-3:] == (None, "too few ratings, not graded", "✗")  # no ratings: no score
    assert ag1[-1] == ("✓" if ag1[-2] in ("A", "B", "C") else "✗")

    staff = await local.client.press(COUNTY, reply.last_with_buttons(), button=0)
    assert "Staff " in staff.text and re.search(r"\d+ visits?, average", staff.text)


async def test_a_township_regulator_sees_only_its_township(local, seeded, county):
    ents = rows(county, "enterprises")
    town = ents[0]["division"]
    other = next(e["division"] for e in ents if e["division"] != town)
    await grant(seeded, TOWN, "regulator", town)
    assert "not in your jurisdiction" in (await local.client.send(TOWN, f"/overdue {other}")).text
    names = {e["name"] for e in ents if e["division"] == town}
    listing = await local.client.send(TOWN, "/overdue")
    shown = re.findall(r"^   (.+?) · deadline", listing.text, re.M)
    assert shown and set(shown) <= names
    text = (await local.client.send(TOWN, "/agencies")).text
    block = text.split("AG001 ", 1)[1].split("\n")[1].strip()
    assert block == expected_agency(county, "AG001", [], division=town)
    async with seeded() as s:
        foreign = await s.scalar(
            select(Hazard.id)
            .join(Enterprise)
            .where(Enterprise.division == other, Hazard.status != "verified", Hazard.deadline < TODAY)
        )
    forged = await local.client.press(
        TOWN, listing.last_with_buttons(), data=f"rh:open:{foreign}", forge=True
    )
    assert forged.alerts == ["This enterprise is not in your jurisdiction."]
    coverage = (await local.client.send(TOWN, "/coverage")).text
    assert f"Coverage (as of {TODAY.isoformat()}; industrial enterprises as the base)" in coverage
    industrial = [
        e["uscc"] for e in ents if e["division"] == town and e["industry"] and e["industry"] != "仓储物流"
    ]
    key = [e["uscc"] for e in ents if e["division"] == town and set(e["tags"].split(";")) & KEY_TAGS]

    def covered(day):
        return {
            c["uscc"] for c in rows(county, "contracts") if _d(c["start_date"]) <= day <= _d(c["end_date"])
        }

    now, before = covered(TODAY), covered(TODAY.replace(year=TODAY.year - 1))
    n_now, n_before = len(now & set(industrial)), len(before & set(industrial))
    rate, new = n_now / len(industrial), (n_now - n_before) / len(industrial)
    key_now = len(now & set(key))
    place = {d["code"]: d["name"] for d in rows(county, "divisions")}[town]  # named, not coded
    assert (
        f"{place}: {n_now}/{len(industrial)} = {rate:.1%} {'✅' if rate >= 0.5 else '⚠️'}; "
        f"a year ago {n_before / len(industrial):.1%}, new {new * 100:+.1f} points {'✅' if new >= 0.1 else '⚠️'}; "
        f"key high-risk {key_now}/{len(key)} = {key_now / len(key):.1%} {'✅' if key_now == len(key) else '⚠️'}"
    ) in coverage
    assert len(industrial) < len([e for e in ents if e["division"] == town])  # warehouses are not counted


async def test_extending_a_deadline_stops_reminders_until_then_with_history(local, seeded, county):
    await grant(seeded, COUNTY, "regulator", "330226")
    async with seeded() as s:
        hazard = await s.scalar(
            select(Hazard).where(Hazard.status == "open", Hazard.deadline < TODAY).order_by(Hazard.id)
        )
        uscc = await s.scalar(select(Enterprise.uscc).where(Enterprise.id == hazard.enterprise_id))
    await grant(seeded, OWNER, "owner", uscc)
    item = f"h{hazard.id}:"

    async def owner_items(day):
        async with local.app.sessions() as s:
            await run_reminders(s, local.app.translator, day, local.settings.reminders())
            from storage.models import ReminderLog

            return [
                k
                for k in (await s.scalars(select(ReminderLog.item).where(ReminderLog.user_id == OWNER.id)))
                if k.startswith(item)
            ]

    assert len(await owner_items(TODAY)) == 1  # overdue: reminded

    listing = await local.client.send(COUNTY, "/overdue")
    opened = await local.client.press(
        COUNTY, listing.last_with_buttons(), data=f"rh:open:{hazard.id}", forge=True
    )
    assert hazard.description in opened.text
    assert "imported: status when imported: to rectify" in opened.text  # words, not field names
    asked = await local.client.press(COUNTY, opened.last_with_buttons(), button=0)
    assert "new deadline" in asked.text
    new = TODAY + timedelta(days=10)
    assert "after today" in (await local.client.send(COUNTY, TODAY.isoformat())).text
    await local.client.send(COUNTY, new.isoformat())
    check = await local.client.send(COUNTY, "企业申请停产检修，延期十天")
    assert f"{hazard.deadline.isoformat()} → {new.isoformat()}" in check.text  # asked before it is done
    async with seeded() as s:
        assert await s.scalar(select(Hazard.deadline).where(Hazard.id == hazard.id)) == hazard.deadline
    done = await local.client.press(COUNTY, check.last_with_buttons(), button=0)
    assert f"Deadline extended: {hazard.description} → {new.isoformat()}" in done.text

    def overdue_items(items):
        return [k for k in items if ":over:" in k]

    for day in (TODAY + timedelta(days=3), TODAY + timedelta(days=6), new):
        assert len(overdue_items(await owner_items(day))) == 1  # no overdue reminder before the new deadline
    items = await owner_items(new + timedelta(days=1))
    assert len(overdue_items(items)) == 2  # overdue again after it
    assert f"h{hazard.id}:{new.isoformat()}:soon" in items  # and told when the new deadline came near
    async with seeded() as s:
        event = await s.scalar(
            select(HazardEvent).where(HazardEvent.hazard_id == hazard.id, HazardEvent.kind == "extended")
        )
    assert (event.actor_id, event.note, event.deadline) == (COUNTY.id, "企业申请停产检修，延期十天", new)
    history = await local.client.press(
        COUNTY, listing.last_with_buttons(), data=f"rh:open:{hazard.id}", forge=True
    )
    assert f"deadline extended → {new.isoformat()}: 企业申请停产检修" in history.text

    asked = await local.client.press(COUNTY, history.last_with_buttons(), button=1)
    assert "cannot be undone" in asked.text
    confirm = asked.last_with_buttons()
    enforce = await local.client.press(COUNTY, confirm, button=0)
    assert "Marked for enforcement" in enforce.text
    again = await local.client.press(COUNTY, confirm, data=f"rh:enforce_yes:{hazard.id}", forge=True)
    assert "Already marked for enforcement" in again.text  # a second press marks nothing twice
    async with seeded() as s:
        marks = await s.scalar(
            select(func.count())
            .select_from(HazardEvent)
            .where(HazardEvent.hazard_id == hazard.id, HazardEvent.kind == "enforcement")
        )
    assert marks == 1
    reopened = await local.client.press(
        COUNTY, listing.last_with_buttons(), data=f"rh:open:{hazard.id}", forge=True
    )
    assert "Mark for enforcement" not in str(reopened.last_with_buttons())


async def test_published_grades_do_not_change_and_staff_are_told(local, seeded, county):
    await grant(seeded, STAFF, "staff", "AG001")
    await local.client.send(STAFF, "/start")
    result = await grades_job(local.app, local.bot)
    label = Period.of(TODAY).previous().label
    assert f"grades published for {label}" in result
    await local.flush()
    assert any(
        f"credit grade for {label}" in (m.get("text") or "") for m in await local.client.chat(STAFF.id)
    )
    async with seeded() as s:
        before = {g.agency_id: (g.score, g.grade) for g in (await s.scalars(select(AgencyGrade))).all()}
        await s.execute(Hazard.__table__.update().values(status="verified", closed_on=TODAY))  # later edits
        await s.commit()
    assert (await grades_job(local.app, local.bot)).startswith(f"0 grades published for {label}")
    async with seeded() as s:
        after = {g.agency_id: (g.score, g.grade) for g in (await s.scalars(select(AgencyGrade))).all()}
    assert after == before and before


async def test_on_time_reports_count_only_visits_that_need_a_report(local, seeded):
    """Training and drills need no service report: an agency with both monthly checks reported
    on time and a training and a drill without report is 100% on time, not 50%."""
    from domain.uscc import complete
    from storage.models import Agency, ServiceReport

    period = Period.of(Period.of(TODAY).start - timedelta(days=1))  # the last full half year
    town = "330226998"
    day = period.start + timedelta(days=10)
    async with seeded() as s:
        agency = Agency(code="AG900", name="培训演练咨询机构")
        ent = Enterprise(
            uscc=complete("91330226998000001"),
            name="演练机械厂",
            division=town,
            industry="机械制造",
            size="small",
            public_code="reports-only-where-due",
        )
        s.add_all([agency, ent])
        await s.flush()
        for n, kind in enumerate(("monthly", "monthly", "training", "drill")):
            visit = Visit(agency_id=agency.id, ref=f"R{n}", enterprise_id=ent.id, date=day, kind=kind)
            s.add(visit)
            await s.flush()
            if kind == "monthly":
                s.add(ServiceReport(visit_id=visit.id, submitted_on=day + timedelta(days=5)))
        await s.commit()
    await grant(seeded, TOWN, "regulator", town)
    text = (await local.client.send(TOWN, f"/agencies {period.label}")).text
    line = text.split("AG900 ", 1)[1].split("\n")[1].strip()
    assert line.startswith("1 · 4 · 0/—★ · 100% · "), line
