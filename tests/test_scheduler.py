"""Only one process schedules: the lease in the database."""

from datetime import timedelta

from sqlalchemy import update

from bot.scheduler import JOBS, hold_lease
from storage.models import SchedulerLock


async def test_only_one_process_holds_the_scheduler_lease(sessions):
    assert await hold_lease(sessions, "process-a")
    assert not await hold_lease(sessions, "process-b")
    assert await hold_lease(sessions, "process-a")  # renewal by the holder
    async with sessions() as s:  # process A dies: its lease runs out
        await s.execute(
            update(SchedulerLock).values(expires_at=SchedulerLock.expires_at - timedelta(hours=1))
        )
        await s.commit()
    assert await hold_lease(sessions, "process-b")
    assert not await hold_lease(sessions, "process-a")


def test_the_contract_jobs_can_be_run_by_name():
    assert {"reminders", "outbox", "tips"} <= set(JOBS)
