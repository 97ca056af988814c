"""Scheduled jobs (APScheduler 3) and the registry behind `jobs run NAME`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App

Job = Callable[[App, Bot], Awaitable[object]]


async def outbox_job(app: App, bot: Bot) -> int:
    return await app.sender.flush(bot)


JOBS: dict[str, Job] = {"outbox": outbox_job}


def build_scheduler(app: App, bot: Bot) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=app.settings.tz)
    scheduler.add_job(
        outbox_job, "interval", seconds=5, args=(app, bot), id="outbox", max_instances=1, coalesce=True
    )
    return scheduler
