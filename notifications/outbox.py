"""The outbox: every notice is a row written in the transaction of the change that caused it,
then sent by `send_due`. A dedupe key makes a notice at most once per recipient and occasion."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import OutboxStatus
from storage.clock import utcnow
from storage.models import Outbox, User

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


async def enqueue(
    session: AsyncSession,
    chat_id: int,
    kind: str,
    text: str,
    *,
    dedupe_key: str | None = None,
    reply_markup: dict | None = None,
) -> None:
    """Add a notice to the caller's transaction; a repeated dedupe key adds nothing."""
    payload = json.dumps({"text": text, "reply_markup": reply_markup}, ensure_ascii=False)
    values = {
        "chat_id": chat_id,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "payload": payload,
        "status": OutboxStatus.pending,
        "not_before": utcnow(),
        "created_at": utcnow(),
    }
    dialect = session.bind.dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(insert(Outbox).values(values).on_conflict_do_nothing(index_elements=["dedupe_key"]))


async def _claim(sessions: async_sessionmaker[AsyncSession], batch: int) -> list[Outbox]:
    """Take due rows out of `pending` in one transaction, so two senders never share a row."""
    async with sessions() as session, session.begin():
        stmt = (
            select(Outbox)
            .where(Outbox.status == OutboxStatus.pending, Outbox.not_before <= utcnow())
            .order_by(Outbox.id)
            .limit(batch)
        )
        if session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list((await session.scalars(stmt)).all())
        for row in rows:
            row.status = OutboxStatus.sending
            row.attempts += 1
    return rows


async def send_due(bot: Bot, sessions: async_sessionmaker[AsyncSession], batch: int = 100) -> int:
    """Send what is due now; returns how many were sent."""
    sent = 0
    for row in await _claim(sessions, batch):
        payload = json.loads(row.payload)
        outcome: dict = {"status": OutboxStatus.sent, "sent_at": utcnow(), "error": ""}
        try:
            await bot.send_message(row.chat_id, payload["text"], reply_markup=payload.get("reply_markup"))
            sent += 1
        except TelegramRetryAfter as exc:
            outcome = {
                "status": OutboxStatus.pending,
                "not_before": utcnow() + timedelta(seconds=exc.retry_after),
            }
        except TelegramForbiddenError:
            outcome = {"status": OutboxStatus.unreachable, "error": "forbidden"}
            async with sessions() as session:
                await session.execute(update(User).where(User.id == row.chat_id).values(unreachable=True))
                await session.commit()
        except Exception as exc:  # network errors and 5xx: retried later with backoff
            retry = row.attempts < MAX_ATTEMPTS
            outcome = {
                "status": OutboxStatus.pending if retry else OutboxStatus.failed,
                "not_before": utcnow() + timedelta(seconds=2**row.attempts),
                "error": type(exc).__name__,
            }
            log.warning("outbox row %s failed (%s), attempt %s", row.id, type(exc).__name__, row.attempts)
        async with sessions() as session:
            await session.execute(update(Outbox).where(Outbox.id == row.id).values(**outcome))
            await session.commit()
    return sent
