"""/digest for regulators: this week's digest for their jurisdiction, now."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator
from domain.enums import Role
from handlers.lookup import jurisdictions
from notifications import digest
from storage.clock import today


async def digest_command(
    message: Message, t: BoundTranslator, viewer, session: AsyncSession, settings: Settings, bot: Bot
) -> None:
    prefixes = jurisdictions(viewer)
    if not prefixes:
        await message.answer(t("digest.none"))
        return
    for prefix in prefixes:
        await bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_DOCUMENT)
        d = await digest.build(session, t, prefix, today(settings.tz), settings)
        span = {"start": d.week.start.isoformat(), "end": d.week.end.isoformat()}
        await message.answer(d.text)
        await message.answer_photo(
            BufferedInputFile(d.chart, filename="digest.png"), caption=t("digest.caption_chart", **span)
        )
        await message.answer_document(
            BufferedInputFile(d.workbook, filename=d.filename), caption=t("digest.caption_book", **span)
        )


def build_router() -> Router:
    router = Router(name="digest")
    router.message.register(digest_command, Command("digest"), HasRole(Role.regulator))
    return router
