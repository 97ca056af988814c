"""Files received in the chat, kept: downloaded once when the record is saved, hashed, copied
to the file store and recorded with their Telegram file_id. Copies the store could not take
are made later by the `files` job, from the file_id."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from storage.evidence import Received, keep_file
from storage.filestore import FileStore, LocalFileStore, S3FileStore, StoreUnavailable, content_key
from storage.models import StoredFile

log = logging.getLogger(__name__)


def file_store(settings: Settings) -> FileStore:
    if settings.file_store == "s3":
        return S3FileStore(settings.s3())
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
    """The files' records; `copied` is False on those the store could not take now (after
    one refusal the rest are not tried: the person is not kept waiting on a store that is down)."""
    store: FileStore | None = file_store(settings)
    kept = []
    for item in items:
        data = (await bot.download(item["file_id"])).read()
        row = await keep_file(session, store, Received(**item), data)
        if not row.copied:
            store = None
        kept.append(row)
    return kept


async def copy_pending(bot: Bot, sessions: async_sessionmaker, settings: Settings) -> tuple[int, int]:
    """Copy to the store the files it could not take when they came: (copied, still waiting).
    Stops at the first refusal; the next run goes on."""
    store = file_store(settings)
    done = 0
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(StoredFile).where(StoredFile.copied.is_(False)).order_by(StoredFile.id)
            )
        ).all()
        for row in rows:
            try:
                data = (await bot.download(row.file_id)).read()
            except TelegramAPIError as exc:
                log.warning("file %s cannot be downloaded for its copy: %s", row.id, exc)
                continue
            if content_key(data)[0] != row.sha256:  # never file other content under this hash
                log.warning("file %s downloaded with another hash; not copied", row.id)
                continue
            try:
                await store.put(row.store_key, data)
            except StoreUnavailable:
                break
            row.copied = True
            await session.commit()
            done += 1
    return done, len(rows) - done
