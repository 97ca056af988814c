"""Files received in the chat, kept: downloaded once when the record is saved, hashed, copied
to the file store and recorded with their Telegram file_id."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from storage.evidence import Received, keep_file
from storage.filestore import FileStore, LocalFileStore
from storage.models import StoredFile


def file_store(settings: Settings) -> FileStore:
    return LocalFileStore(settings.file_store_dir)


def received(message: Message) -> tuple[Received, int | None] | None:
    """The photo or document of a message and its size; None when it has neither."""
    if message.photo:
        photo = message.photo[-1]
        return Received(
            photo.file_id, f"photo-{photo.file_unique_id}.jpg", "image/jpeg", "photo"
        ), photo.file_size
    if message.document:
        doc = message.document
        name = doc.file_name or "document"
        return Received(doc.file_id, name, doc.mime_type or "", "document"), doc.file_size
    return None


async def keep_all(
    bot: Bot, session: AsyncSession, settings: Settings, items: list[dict]
) -> list[StoredFile]:
    store = file_store(settings)
    kept = []
    for item in items:
        data = (await bot.download(item["file_id"])).read()
        kept.append(await keep_file(session, store, Received(**item), data))
    return kept
