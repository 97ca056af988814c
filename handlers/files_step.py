"""The file step that /evidence, /inspect and /review share: a photo or document taken in a
dialog (checked against the file settings), kept when the record is saved, shown to whoever
reviews it."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.files import keep_all, received
from domain.evidence import file_problem
from storage.evidence import Received
from storage.models import StoredFile


async def taken_file(
    message: Message, t, settings: Settings, expected: str, markup: InlineKeyboardMarkup | None = None
) -> Received | None:
    """The message's file when it is of a kind and size taken; otherwise the person is told
    why (`expected`: the text key for a message that holds no file) and gets None."""
    got = received(message)
    if got is None:
        await message.answer(t(expected), reply_markup=markup)
        return None
    item, size = got
    limits = settings.evidence()
    problem = file_problem(item.name, size, limits)
    if problem:
        await message.answer(
            t(f"evidence.file_{problem}", mb=limits.max_file_bytes // 2**20), reply_markup=markup
        )
        return None
    return item


async def keep(
    bot: Bot, session: AsyncSession, settings: Settings, t, items: list[dict]
) -> tuple[list[StoredFile], str]:
    """The files' records, and what to add to the confirmation: a paragraph when the archive
    copy is left for later (the store was unavailable), else nothing."""
    kept = await keep_all(bot, session, settings, items)
    late = any(not f.copied for f in kept)
    return kept, "\n\n" + t("store.copy_later") if late else ""


async def show(message: Message, files: list[StoredFile]) -> None:
    """The files as they were sent: photos as photos, the rest as documents."""
    for f in files:
        if f.mime.startswith("image/") and f.name.startswith("photo-"):
            await message.answer_photo(f.file_id)
        else:
            await message.answer_document(f.file_id)
