"""Reminders of the compliance loop: indicators expiring in 30 and 7 days (the record's own
expiry or the catalogue's validity) to owners; evidence waiting for review to regulators."""

from datetime import timedelta

from sqlalchemy import select

from domain.compliance import add_months
from domain.indicators import load_catalogue
from notifications.reminders import run_reminders
from storage.clock import utcnow
from storage.importer import import_file
from storage.models import Enterprise, EvidenceSubmission
from tests.test_reminders_e2e import (  # noqa: F401
    OWNER_A,
    OWNER_B,
    REG_A,
    REG_B,
    TODAY,
    A,
    B,
    d,
    reminders_for,
    town,
)


async def remind(run, day) -> tuple[int, int]:
    async with run.app.sessions() as s:
        result = await run_reminders(s, run.app.translator, day, run.settings.reminders(), load_catalogue())
    await run.flush()
    return result


async def test_indicators_are_reminded_at_30_and_7_days_including_the_catalogue_expiry(town):  # noqa: F811
    run = town
    train_on = add_months(TODAY + timedelta(days=21), -12)  # catalogue: 12 months → expires in 20 days
    csv = f"uscc,indicator,fulfilled_on,expires_on\n{A},TRAIN,{train_on},\n{A},INSURANCE,{d(-300)},{d(5)}\n"
    async with run.app.sessions() as s:
        assert (await import_file(s, "indicators", "i.csv", csv.encode())).written

    await remind(run, TODAY)
    first = await reminders_for(run, OWNER_A)
    assert len(first) == 1
    assert f"Safety training and education ({d(20)})" in first[0]  # expiry from the catalogue
    assert f"Work-safety liability insurance ({d(5)})" in first[0]
    assert await remind(run, TODAY) == (0, 0)  # once per window

    await remind(run, TODAY + timedelta(days=14))  # training now 6 days from its expiry
    second = (await reminders_for(run, OWNER_A))[1:]
    assert len(second) == 1 and f"Safety training and education ({d(20)})" in second[0]
    assert "insurance" not in second[0]  # its 7-day reminder was the first one


async def test_evidence_waiting_too_long_is_reminded_to_the_townships_regulators(town):  # noqa: F811
    run = town
    async with run.app.sessions() as s:
        eid = await s.scalar(select(Enterprise.id).where(Enterprise.uscc == A))
        for days, code in ((4, "DRILL"), (1, "TRAIN")):
            s.add(
                EvidenceSubmission(
                    enterprise_id=eid,
                    indicator=code,
                    fulfilled_on=TODAY,
                    status="submitted",
                    submitted_at=utcnow() - timedelta(days=days),
                )
            )
        await s.commit()
    await remind(run, TODAY)
    told = await reminders_for(run, REG_A)
    assert len(told) == 1 and "Evidence waiting for review" in told[0]
    assert "Emergency plans and drills" in told[0] and "Safety training" not in told[0]
    assert not any("Evidence waiting" in m for m in await reminders_for(run, REG_B))  # another township
    review_button = next(m for m in await run.client.chat(REG_A.id) if m.get("reply_markup"))
    assert review_button["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ls:review"


async def test_expiry_reminders_only_for_indicators_that_apply_to_the_enterprise(town):  # noqa: F811
    """危化使用管理 applies where hazardous chemicals are used: B (tagged 危化品) is reminded of
    it, A (a machine shop) is not, though both have a record about to expire."""
    run = town
    async with run.app.sessions() as s:
        b = await s.scalar(select(Enterprise).where(Enterprise.uscc == B))
        b.tags = "危化品"
        await s.commit()
    csv = "uscc,indicator,fulfilled_on,expires_on\n" + "".join(
        f"{e},{code},{d(-300)},{d(5)}\n" for e in (A, B) for code in ("CHEM", "THREE_TWO", "FIRE")
    )
    async with run.app.sessions() as s:
        assert (await import_file(s, "indicators", "i.csv", csv.encode())).written

    await remind(run, TODAY)
    (owner_a,) = await reminders_for(run, OWNER_A)
    assert "Responsibility indicators expiring soon: 1 " in owner_a
    assert f"Fire equipment and escape routes ({d(5)})" in owner_a
    assert "Hazardous-chemical" not in owner_a and "Three-places" not in owner_a
    (owner_b,) = await reminders_for(run, OWNER_B)
    assert "Responsibility indicators expiring soon: 2 " in owner_b
    assert f"Hazardous-chemical use management ({d(5)})" in owner_b and "Three-places" not in owner_b


async def test_the_planner_knows_the_catalogue_expiry_without_being_told(town):  # noqa: F811
    """A record without an expiry of its own expires by the catalogue's validity, whoever runs
    the planner (here without passing a catalogue): 12 months for training."""
    run = town
    train_on = add_months(TODAY + timedelta(days=6), -12)  # expires in 5 days
    csv = f"uscc,indicator,fulfilled_on,expires_on\n{A},TRAIN,{train_on},\n"
    async with run.app.sessions() as s:
        assert (await import_file(s, "indicators", "i.csv", csv.encode())).written
    async with run.app.sessions() as s:
        await run_reminders(s, run.app.translator, TODAY, run.settings.reminders())
    await run.flush()
    (owner_a,) = await reminders_for(run, OWNER_A)
    assert f"Safety training and education ({d(5)})" in owner_a
