"""Visits imported without a staff member belong to the agency: every staff member sees them
in /due and /report marked "unassigned", and whoever reports one takes it. Which visit kinds
need a report is a setting (training does not, by default)."""

from datetime import timedelta

from sqlalchemy import select

from bot.emulator.harness import TgUser
from storage.clock import today
from storage.importer import import_directory
from storage.models import Agency, Enterprise, Staff, Visit
from tests.conftest import TZ_SETTINGS, grant, rows

STAFF_A = TgUser(996000001, "Anna", "A", "", "en")
STAFF_B = TgUser(996000002, "Bo", "B", "", "en")
TODAY = today(TZ_SETTINGS.tz)
AGENCY = "AG002"


def expected_unreported(county) -> list[dict]:
    reported = {(r["agency_code"], r["visit_ref"]) for r in rows(county, "reports")}
    return [
        v
        for v in rows(county, "visits")
        if v["agency_code"] == AGENCY
        and v["kind"] in ("comprehensive", "monthly")
        and (AGENCY, v["ref"]) not in reported
    ]


def report_lines(text: str) -> list[str]:
    lines = text.split("Service reports to submit:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [line for line in lines if line.startswith("  · ")]


async def test_staff_see_and_take_the_agencys_unassigned_visits(local, seeded, county, tmp_path):
    ent = next(c["uscc"] for c in rows(county, "contracts") if c["agency_code"] == AGENCY)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "visits.csv").write_text(
        f"ref,agency_code,uscc,date,kind\nXT1,{AGENCY},{ent},{TODAY - timedelta(days=40)},training\n",
        encoding="utf-8",
    )
    async with seeded() as s:
        assert all(r.written for r in await import_directory(s, extra))
    await grant(seeded, STAFF_A, "staff", AGENCY)
    await grant(seeded, STAFF_B, "staff", AGENCY)
    unreported = expected_unreported(county)
    n = len(unreported)
    assert n > 10

    for who in (STAFF_A, STAFF_B):
        due = (await local.client.send(who, "/due")).text
        assert "No service report to submit" not in due
        lines = report_lines(due)
        assert len(lines) == min(30, n) and all("(unassigned)" in line for line in lines)
        assert n <= 30 or f"… and {n - 30} more" in due
        assert "any of you can submit the report with /report and take them" in due
        oldest = min(unreported, key=lambda v: v["date"])
        assert lines[0].startswith(f"  · {oldest['date']} ")
    assert "training" not in due and str(TODAY - timedelta(days=40)) not in due

    choose = await local.client.send(STAFF_A, "/report")
    buttons = [b for row in choose.last_with_buttons()["reply_markup"]["inline_keyboard"] for b in row]
    visits = [b for b in buttons if b["text"] not in ("◀", "▶")]
    assert visits and all(b["text"].endswith("· unassigned") for b in visits)
    await local.client.press(STAFF_A, choose.last_with_buttons(), button=0)
    saved = await local.client.send_document(STAFF_A, "report.pdf", b"%PDF-1.4 report")
    assert "late" in saved.text or "on time" in saved.text
    async with seeded() as s:
        mine = await s.scalar(select(Staff.id).where(Staff.user_id == STAFF_A.id))
        taken = (await s.scalars(select(Visit).where(Visit.staff_id == mine))).all()
    assert len(taken) == 1
    due_b = (await local.client.send(STAFF_B, "/due")).text
    assert len(report_lines(due_b)) == min(30, n - 1)


def _buttons(reply) -> list[dict]:
    return [b for row in reply.messages[-1]["reply_markup"]["inline_keyboard"] for b in row]


async def test_every_visit_waiting_for_a_report_can_be_reached_by_page_or_name(local, seeded, county):
    """More visits than one screen: ▶ pages through all of them, and a typed part of a name
    narrows the list to that enterprise; the upload prompt names the enterprise."""
    await grant(seeded, STAFF_A, "staff", AGENCY)
    served = {c["uscc"] for c in rows(county, "contracts") if c["agency_code"] == AGENCY}
    waiting = [v for v in expected_unreported(county) if v["uscc"] in served]
    assert len(waiting) > 8
    names = {e["uscc"]: e["name"] for e in rows(county, "enterprises")}
    reply = await local.client.send(STAFF_A, "/report")
    assert f"{len(waiting)} visits waiting for a report" in reply.text
    seen = []
    while True:
        seen += [b["text"] for b in _buttons(reply) if b["text"] not in ("◀", "▶")]
        forward = [b for b in _buttons(reply) if b["text"] == "▶"]
        if not forward:
            break
        reply = await local.client.press(STAFF_A, reply.messages[-1], data=forward[0]["callback_data"])
    assert len(seen) == len(waiting)
    target = waiting[-1]
    name = names[target["uscc"]]
    found = await local.client.send(STAFF_A, name[:4])
    assert f"named like “{name[:4]}”" in found.text
    pick = next(b for b in _buttons(found) if target["date"] in b["text"] and name[:10] in b["text"])
    asked = await local.client.press(STAFF_A, found.messages[-1], data=pick["callback_data"])
    assert f"Send the report of the visit to {name}" in asked.text


async def test_a_new_staff_member_records_a_hazard_on_an_unassigned_visit(local, seeded, county):
    """A newcomer with no visit of their own is offered the agency's unassigned visits (not
    sent to log a duplicate) and takes the one they record on."""
    served = {c["uscc"] for c in rows(county, "contracts") if c["agency_code"] == AGENCY}
    async with seeded() as s:
        visit = await s.scalar(
            select(Visit)
            .join(Agency, Agency.id == Visit.agency_id)
            .join(Enterprise, Enterprise.id == Visit.enterprise_id)
            .where(Agency.code == AGENCY, Enterprise.uscc.in_(served), Visit.staff_id.is_(None))
            .order_by(Visit.id)
        )
        visit.date = TODAY - timedelta(days=3)
        await s.commit()
    await grant(seeded, STAFF_B, "staff", AGENCY)
    choose = await local.client.send(STAFF_B, "/hazard")
    pick = next(b for b in _buttons(choose) if b["callback_data"] == f"pv:hazard:{visit.id}")
    assert pick["text"].endswith("· unassigned")
    asked = await local.client.press(STAFF_B, choose.messages[-1], data=pick["callback_data"])
    assert "describe" in asked.text.lower()
    async with seeded() as s:
        taken = await s.get(Visit, visit.id)
        assert taken.staff_id == await s.scalar(select(Staff.id).where(Staff.user_id == STAFF_B.id))
