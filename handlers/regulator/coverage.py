"""/coverage: how much of each township the agencies' services cover."""

from __future__ import annotations

from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import BoundTranslator
from bot.status_view import coverage_line, coverage_targets
from handlers.headline import send_headline
from handlers.lookup import jurisdictions
from storage import regulator as q
from storage.clock import today as local_today
from storage.coverage import coverage_by_division, total
from storage.division_names import names


async def coverage_command(
    message: Message, t: BoundTranslator, viewer, session: AsyncSession, settings: Settings
) -> None:
    today, cs = local_today(settings.tz), settings.coverage()
    rows = await coverage_by_division(session, q.in_jurisdiction(jurisdictions(viewer)), today, cs)
    places = await names(session, rows)
    await message.answer(
        t(
            "coverage.text",
            as_of=today.isoformat(),
            items=[coverage_line(c, cs, division=places.get(d, d)) for d, c in rows.items()],
            all=coverage_line(total(rows), cs) if len(rows) > 1 else None,
            **coverage_targets(cs),
        )
    )
    await send_headline(message, t, viewer, session, settings)
