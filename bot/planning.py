"""The planning half of the scheduled jobs that only write to the outbox (reminders): no
aiogram on this path, so `jobs run reminders` plans at the cost of its own imports and loads
the sender only when there is something to send."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.i18n import Translator
from channels import fanout
from domain.enums import OutboxStatus
from domain.indicators import load_catalogue
from notifications.reminders import PlannerBusy, run_reminders
from storage.clock import today
from storage.models import Outbox

log = logging.getLogger(__name__)


async def plan_reminders(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], translator: Translator
) -> str:
    """Today's reminders for people and the overdue list for channels, in the outbox."""
    day = today(settings.tz)
    catalogue = load_catalogue(settings.indicator_catalogue)
    async with sessions() as session:
        try:
            recipients, items = await run_reminders(session, translator, day, settings.reminders(), catalogue)
        except PlannerBusy:
            # Skipping loses nothing: the planner holding the lock plans and logs the same items.
            log.warning("reminders: skipped, another planner has held the database past its busy timeout")
            return "skipped (another planner is running)"
        await fanout.overdue(session, translator, day)
        await session.commit()
    return f"{items} items for {recipients} recipients"


async def waiting(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Outbox rows not yet sent (pending, or held by a sender)."""
    unsent = (OutboxStatus.pending, OutboxStatus.sending)
    async with sessions() as session:
        return await session.scalar(select(func.count()).where(Outbox.status.in_(unsent))) or 0


PLANNERS = {"reminders": plan_reminders}
