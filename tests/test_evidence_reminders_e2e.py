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
from tests.test_reminders_e2e import OWNER_A, REG_A, REG_B, TODAY, A, d, reminders_for, town  # noqa: F401

VALIDITY = {i.code: i.validity_months for i in load_catalogue() if i.validity_months}


async def remind(run, day) -> tuple[int, int]:
    async with run.app.sessions() as s:
        names = {i.code: {"zh": i.name_zh, "en": i.name_en} for i in load_catalogue()}
        result = await run_reminders(s, run.app.translator, day, run.settings.reminders(), names, VALIDITY)
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
