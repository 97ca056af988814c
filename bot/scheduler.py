"""Scheduled jobs (APScheduler 3) and the registry behind `jobs run NAME`. When several
processes run, only the one holding the scheduler lease (a row in the database) runs jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.app import App
from bot.files import copy_pending
from bot.planning import plan_reminders
from domain.anonymity import to_hour
from domain.enums import Role
from domain.grading import Period
from notifications.digest import enqueue_weekly
from notifications.notices import notify
from notifications.tip_notices import notify_new_tips
from storage.clock import today, utcnow
from storage.inspections import users_with_role
from storage.leases import hold_lease
from storage.models import JobMark
from storage.regulator import publish_grades

Job = Callable[[App, Bot], Awaitable[object]]


async def outbox_job(app: App, bot: Bot) -> int:
    return await app.sender.flush(bot) + await app.channels.flush()


async def outbox_drain(app: App, bot: Bot) -> int:
    """`jobs run outbox`: everything due, waiting out retry_after and dead senders' leases."""
    horizon = app.sender.lease + 5
    return await app.sender.flush(bot, horizon=horizon) + await app.channels.flush(horizon=horizon)


async def tips_job(app: App, bot: Bot) -> int:
    """Tell regulators how many tips arrived in the hours not yet reported: the last full
    hour, or every hour since the mark after a restart or a stall; then send."""
    end = to_hour(utcnow())
    async with app.sessions() as session:
        mark = await session.get(JobMark, "tips")
        start = end - timedelta(hours=1) if mark is None else mark.until.replace(tzinfo=UTC)
        told = 0
        if start < end:
            told = await notify_new_tips(session, app.translator, start, end)
            if mark is None:
                session.add(JobMark(name="tips", until=end))
            else:
                mark.until = end
            await session.commit()
    await app.sender.flush(bot)
    await app.channels.flush()
    return told


async def reminders_job(app: App, bot: Bot) -> str:
    planned = await plan_reminders(app.settings, app.sessions, app.translator)
    sent = await app.sender.flush(bot, horizon=5)
    await app.channels.flush(horizon=5)
    return f"{planned}, {sent} messages sent"


async def digest_job(app: App, bot: Bot) -> str:
    async with app.sessions() as session:
        regulators = await enqueue_weekly(session, app.translator, app.settings, today(app.settings.tz))
    sent = await app.sender.flush(bot, horizon=5)
    await app.channels.flush(horizon=5)
    return f"digest for {regulators} jurisdiction(s), {sent} messages sent"


async def grades_job(app: App, bot: Bot) -> str:
    """Publish the last half year's agency grades once, and tell each agency's staff."""
    day = today(app.settings.tz)
    period = Period.of(day).previous()
    async with app.sessions() as session:
        figures = await publish_grades(
            session, period, day, app.settings.report_due_days, app.settings.grades()
        )
        for f in figures:
            staff = await users_with_role(session, Role.staff, agency_id=f.agency_id)
            await notify(
                session,
                app.translator,
                staff,
                "grade",
                "agencies.notice",
                f"grade:{period.label}:{f.agency_id}",
                localize=lambda t, f=f: {"grade": f.grade or t("agencies.not_graded")},
                agency=f.name,
                period=period.label,
                score=f.score,
            )
        await session.commit()
    sent = await app.sender.flush(bot, horizon=5)
    return f"{len(figures)} grades published for {period.label}, {sent} messages sent"


async def files_job(app: App, bot: Bot) -> str:
    """Copy to the file store what it could not take when the files came."""
    copied, waiting = await copy_pending(bot, app.sessions, app.settings)
    return f"{copied} file copies made, {waiting} still waiting for the store"


JOBS: dict[str, Job] = {
    "outbox": outbox_drain,
    "tips": tips_job,
    "reminders": reminders_job,
    "digest": digest_job,
    "grades": grades_job,
    "files": files_job,
}


def _guarded(job: Job, app: App, bot: Bot) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        if await hold_lease(app.sessions, app.sender.token):
            await job(app, bot)

    return run


def build_scheduler(app: App, bot: Bot) -> AsyncIOScheduler:
    tz = app.settings.tz
    scheduler = AsyncIOScheduler(timezone=tz)
    options = {"max_instances": 1, "coalesce": True}
    # Every process runs the outbox job: the sender itself decides whether it may send.
    scheduler.add_job(outbox_job, "interval", seconds=5, id="outbox", args=(app, bot), **options)
    scheduler.add_job(_guarded(tips_job, app, bot), "cron", minute=5, id="tips", **options)
    scheduler.add_job(
        _guarded(reminders_job, app, bot),
        CronTrigger.from_crontab(app.settings.reminder_schedule, tz),
        id="reminders",
        **options,
    )
    scheduler.add_job(
        _guarded(digest_job, app, bot),
        CronTrigger.from_crontab(app.settings.digest_schedule, tz),
        id="digest",
        **options,
    )
    scheduler.add_job(
        _guarded(grades_job, app, bot),
        CronTrigger.from_crontab(app.settings.grades_schedule, tz),
        id="grades",
        **options,
    )
    scheduler.add_job(_guarded(files_job, app, bot), "interval", minutes=10, id="files", **options)
    return scheduler
