"""/stats for admins: how notices fared (sent, waiting, unreachable users, refused by kind)."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import HasRole
from bot.i18n import BoundTranslator
from domain.enums import OutboxStatus, Role
from notifications.outbox import delivery_figures
from storage.clock import utcnow

DAYS = 7


async def stats(message: Message, t: BoundTranslator, session: AsyncSession) -> None:
    statuses, refused = await delivery_figures(session, utcnow() - timedelta(days=DAYS))
    await message.answer(
        t(
            "stats.text",
            days=DAYS,
            sent=statuses[OutboxStatus.sent],
            pending=statuses[OutboxStatus.pending] + statuses[OutboxStatus.sending],
            unreachable=statuses[OutboxStatus.unreachable],
            failed=statuses[OutboxStatus.failed],
            refused=refused.most_common(),
        )
    )


def build_router() -> Router:
    router = Router(name="delivery")
    router.message.register(stats, Command("stats"), HasRole(Role.admin))
    return router
