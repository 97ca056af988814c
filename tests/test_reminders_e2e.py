"""Reminders end to end over HTTP: who gets what, once per occasion, repeated, escalated."""

import asyncio
from argparse import Namespace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import commands, planning
from bot.emulator.harness import LocalRun, TgUser
from domain.compliance import Thresholds
from domain.indicators import load_catalogue
from domain.lifecycle import Action
from domain.uscc import complete
from notifications.reminders import PlannerBusy, run_reminders
from storage import db, hazards
from storage.clock import today, utcnow
from storage.importer import import_file
from storage.models import Enterprise, Hazard, JobMark
from storage.profiles import build_profile
from tests.conftest import TZ_SETTINGS, grant

TODAY = today(TZ_SETTINGS.tz)
A, B = complete("91330226AAAAAAAA1"), complete("91330226BBBBBBBB2")
OWNER_A = TgUser(991000001, "Owner", "A", "", "en")
OWNER_B = TgUser(991000002, "Owner", "B", "", "en")
STAFF = TgUser(991000003, "Staff", "One", "", "en")
STAFF_2 = TgUser(991000004, "Staff", "Two", "", "en")
REG_A = TgUser(991000005, "Reg", "A", "", "en")
REG_B = TgUser(991000006, "Reg", "B", "", "en")
PEOPLE = (OWNER_A, OWNER_B, STAFF, STAFF_2, REG_A, REG_B)


def d(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


FILES = {
    "enterprises": f"uscc,name,division\n{A},甲机械厂,330226100\n{B},乙化工厂,330226101\n",
    "agencies": "code,name\nAG1,一号安全咨询\nAG2,二号安全咨询\n",
    "contracts": f"agency_code,uscc,kind,start_date,end_date\nAG1,{A},monthly,{d(-200)},{d(165)}\n"
    f"AG1,{B},comprehensive,{d(-200)},{d(165)}\n",
    "visits": f"ref,agency_code,uscc,date,kind\nV1,AG1,{A},{d(-31)},monthly\nV2,AG1,{B},{d(-50)},comprehensive\n"
    f"V3,AG1,{A},{d(-25)},monthly\nV4,AG1,{A},{d(-5)},monthly\n",
    "hazards": "ref,agency_code,uscc,visit_ref,found_on,description,level,deadline\n"
    f"H1,AG1,{A},V1,{d(-31)},配电箱未上锁,general,{d(-1)}\n"
    f"H2,AG1,{B},V2,{d(-50)},涉氨管道泄漏,major,{d(-43)}\n"
    f"H3,AG1,{A},V4,{d(-5)},灭火器过期,general,{d(2)}\n",
}


@pytest.fixture
async def town(settings, sessions):
    async with sessions() as s:
        for kind, text in FILES.items():
            result = await import_file(s, kind, f"{kind}.csv", text.encode())
            assert result.written and not result.errors, (kind, result.errors)
    for user, role, target in (
        (OWNER_A, "owner", A),
        (OWNER_B, "owner", B),
        (STAFF, "staff", "AG1"),
        (STAFF_2, "staff", "AG2"),
        (REG_A, "regulator", "330226100"),
        (REG_B, "regulator", "330226101"),
    ):
        await grant(sessions, user, role, target)
    async with LocalRun(settings) as run:
        await run.client.control("users", users=[p.as_dict() for p in PEOPLE])
        yield run


async def remind(run, day) -> tuple[int, int]:
    async with run.app.sessions() as s:
        result = await run_reminders(s, run.app.translator, day, run.settings.reminders())
    await run.flush()
    return result


async def reminders_for(run, user) -> list[str]:
    return [m["text"] for m in await run.client.chat(user.id) if "Safety reminders" in (m.get("text") or "")]


async def test_overdue_reminders_once_then_repeated_then_stopped_by_verification(town):
    run = town
    await remind(run, TODAY)
    owner, staff = await reminders_for(run, OWNER_A), await reminders_for(run, STAFF)
    assert len(owner) == 1 and len(staff) == 1
    assert "Overdue: 1 hazard " in owner[0] and "配电箱未上锁" in owner[0]
    assert "Due soon: 1 hazard " in owner[0] and "灭火器过期" in owner[0]
    assert "Clients' overdue hazards: 2" in staff[0]

    assert await remind(run, TODAY) == (0, 0)  # the same day again: nothing new
    assert len(await reminders_for(run, OWNER_A)) == 1
    await remind(run, TODAY + timedelta(days=2))  # H1 is still inside its repeat window
    assert len(await reminders_for(run, OWNER_A)) == 1

    await remind(run, TODAY + timedelta(days=3))  # the repeat interval has passed
    again = await reminders_for(run, OWNER_A)
    assert len(again) == 2 and "配电箱未上锁" in again[1]

    async with run.app.sessions() as s:
        hazard = await s.scalar(select(Hazard).where(Hazard.ref == "H1"))
        await hazards.move_hazard(s, hazard, Action.submit, OWNER_A.id, "fixed")
        await hazards.move_hazard(s, hazard, Action.verify, STAFF.id, "", today=TODAY)
        await s.commit()
    await remind(run, TODAY + timedelta(days=6))
    later = await reminders_for(run, OWNER_A)
    assert all("配电箱未上锁" not in text for text in later[2:])


async def test_escalation_and_reports_reach_only_the_right_people(town):
    run = town
    await remind(run, TODAY)
    reg_b, reg_a = await reminders_for(run, REG_B), await reminders_for(run, REG_A)
    assert len(reg_b) == 1 and "For supervision: 1 hazard " in reg_b[0] and "涉氨管道泄漏" in reg_b[0]
    assert "Service reports long overdue: 1" in reg_b[0]  # V2: 50 days, beyond 30 + 15
    assert reg_a == []  # H1 is overdue one day only, and V1's report is within the grace
    staff = (await reminders_for(run, STAFF))[0]
    assert "Service reports overdue: 2" in staff  # V1 (31 days) and V2 (50 days)
    assert "Service reports due soon: 1" in staff  # V3: due in 5 days
    assert await reminders_for(run, STAFF_2) == []  # another agency's staff
    owner_a = (await reminders_for(run, OWNER_A))[0]
    assert "Service report" not in owner_a


async def test_one_message_per_recipient_with_a_button_into_the_list(town):
    run = town
    recipients, items = await remind(run, TODAY)
    assert recipients == 4 and items > recipients  # owners A and B, AG1 staff, regulator B: one message each
    message = next(
        m for m in await run.client.chat(OWNER_A.id) if "Safety reminders" in (m.get("text") or "")
    )
    opened = await run.client.press(OWNER_A, message, button=0)
    assert "Hazards to rectify" in opened.text and "配电箱未上锁" in opened.text
    staff_message = next(
        m for m in await run.client.chat(STAFF.id) if "Safety reminders" in (m.get("text") or "")
    )
    due = await run.client.press(STAFF, staff_message, button=0)
    assert "My deadlines" in due.text


async def test_a_rectification_submitted_in_time_is_not_overdue_until_rejected(town):
    """H3 (deadline in 2 days) is submitted today: after its deadline the owner is not told it
    is overdue and it does not count as overdue; the agency is reminded to verify. Rejected
    after the deadline, it is overdue for the owner from then on."""
    run = town
    async with run.app.sessions() as s:
        hazard = await s.scalar(select(Hazard).where(Hazard.ref == "H3"))
        assert await hazards.move_hazard(s, hazard, Action.submit, OWNER_A.id, "换新灭火器", today=TODAY)
        await s.commit()
    later = TODAY + timedelta(days=3)
    await remind(run, later)
    owner, staff = await reminders_for(run, OWNER_A), await reminders_for(run, STAFF)
    assert "灭火器过期" not in owner[-1] and "配电箱未上锁" in owner[-1]
    assert "awaiting your check: 1 hazard (by deadline)" in staff[-1] and "灭火器过期" in staff[-1]
    assert "Clients' overdue hazards: 2" in staff[-1]  # H1 and H2, not H3
    async with run.app.sessions() as s:
        ent = await s.scalar(select(Enterprise).where(Enterprise.uscc == A))
        profile = await build_profile(s, ent, later, load_catalogue(), Thresholds())
        assert (profile.hazards.open, profile.hazards.overdue) == (2, 1)  # H1 only
        hazard = await s.scalar(select(Hazard).where(Hazard.ref == "H3"))
        assert await hazards.move_hazard(s, hazard, Action.reject, STAFF.id, "仍未更换", today=later)
        await s.commit()
        profile = await build_profile(s, ent, later, load_catalogue(), Thresholds())
        assert profile.hazards.overdue == 2
    await remind(run, later)
    assert "灭火器过期" in (await reminders_for(run, OWNER_A))[-1]


async def test_two_planners_at_once_remind_each_person_once(town):
    """Two processes planning the same day (a retried cron job beside the scheduler): one plans
    everything, the other finds nothing new; no error, no second message."""
    run = town

    async def planner():
        async with run.app.sessions() as s:
            return await run_reminders(s, run.app.translator, TODAY, run.settings.reminders())

    first, second = await asyncio.gather(planner(), planner())
    assert sorted([first, second])[0] == (0, 0) and sorted([first, second])[1][0] == 4
    await run.flush()
    for person in (OWNER_A, OWNER_B, STAFF, REG_B):
        assert len(await reminders_for(run, person)) == 1, person


async def test_a_planner_kept_waiting_once_tries_again_and_plans(town, monkeypatch):
    """A writer that held the database through one wait (an import, say) does not cost the
    day's reminders: the planner tries again and plans each person once."""
    run = town
    waits = []

    async def busy_once(*args, **kw):
        if not waits:
            waits.append(1)
            raise PlannerBusy
        return await run_reminders(*args, **kw)

    monkeypatch.setattr(planning, "run_reminders", busy_once)
    assert await commands.jobs(run.settings, Namespace(name="reminders")) == 0
    assert waits == [1]
    for person in (OWNER_A, OWNER_B, STAFF, REG_B):
        assert len(await reminders_for(run, person)) == 1, person


async def test_a_planner_kept_waiting_on_sqlite_skips_cleanly_and_the_next_run_plans(
    town, monkeypatch, caplog
):
    """`jobs run reminders` while another writer holds SQLite through every wait of the
    planner: it says so in the log, exits 0 and writes nothing; the next run plans each
    person once."""
    run = town
    if not run.settings.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL waits on the row lock instead")
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)  # the command's own engine waits 50 ms, not 10 s
    args = Namespace(name="reminders")
    async with run.app.sessions() as other:  # a planner in the middle of its run
        other.add(JobMark(name="reminders", until=utcnow()))
        await other.flush()
        assert await commands.jobs(run.settings, args) == 0
        await other.rollback()
    assert "reminders: not planned, the database stayed locked" in caplog.text
    assert await reminders_for(run, OWNER_A) == []
    assert await commands.jobs(run.settings, args) == 0
    assert await commands.jobs(run.settings, args) == 0
    for person in (OWNER_A, OWNER_B, STAFF, REG_B):
        assert len(await reminders_for(run, person)) == 1, person
