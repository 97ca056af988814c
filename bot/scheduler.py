"""Scheduled jobs (APScheduler 3) and the registry behind `jobs run NAME`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from domain.anonymity import to_hour
from notifications.tip_notices import notify_new_tips
from storage.clock import utcnow

Job = Callable[[App, Bot], Awaitable[object]]


async def outbox_job(app: App, bot: Bot) -> int:
    return await app.sender.flush(bot)


async def outbox_drain(app: App, bot: Bot) -> int:
    """`jobs run outbox`: everything due, waiting out retry_after and dead senders' leases."""
    return await app.sender.flush(bot, horizon=app.sender.lease + 5)


async def tips_job(app: App, bot: Bot) -> int:
    """Tell regulators how many tips arrived in the last full hour, then send."""
    hour = to_hour(utcnow()) - timedelta(hours=1)
    async with app.sessions() as session:
        told = await notify_new_tips(session, app.translator, hour)
    await app.sender.flush(bot)
    return told


JOBS: dict[str, Job] = {"outbox": outbox_drain, "tips": tips_job}


def build_scheduler(app: App, bot: Bot) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=app.settings.tz)
    scheduler.add_job(
        outbox_job, "interval", seconds=5, args=(app, bot), id="outbox", max_instances=1, coalesce=True
    )
    scheduler.add_job(tips_job, "cron", minute=5, args=(app, bot), id="tips", max_instances=1, coalesce=True)
    return scheduler
