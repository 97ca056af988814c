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

BUSY_ATTEMPTS = 6  # each waits SQLite's busy timeout (storage.db.BUSY_TIMEOUT_MS)


async def plan_reminders(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], translator: Translator
) -> str:
    """Today's reminders for people and the overdue list for channels, in the outbox."""
    day = today(settings.tz)
    catalogue = load_catalogue(settings.indicator_catalogue)
    # Another writer (a planner, an import, a digest) may hold SQLite past its busy timeout:
    # try again, as planning twice finds nothing new; give up only after several waits.
    for _ in range(BUSY_ATTEMPTS):
        async with sessions() as session:
            try:
                recipients, items = await run_reminders(
                    session, translator, day, settings.reminders(), catalogue
                )
            except PlannerBusy:
                continue
            await fanout.overdue(session, translator, day)
            await session.commit()
        return f"{items} items for {recipients} recipients"
    log.warning(
        "reminders: not planned, the database stayed locked by another writer (a planner, an "
        "import or a digest) through %d waits; the next run plans what is due then",
        BUSY_ATTEMPTS,
    )
    return "skipped (the database stayed locked)"


async def waiting(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Outbox rows not yet sent (pending, or held by a sender)."""
    unsent = (OutboxStatus.pending, OutboxStatus.sending)
    async with sessions() as session:
        return await session.scalar(select(func.count()).where(Outbox.status.in_(unsent))) or 0


PLANNERS = {"reminders": plan_reminders}
