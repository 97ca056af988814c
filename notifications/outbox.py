"""The outbox: every notice is a row written in the transaction of the change that caused it.
A dedupe key makes a notice at most once per recipient and occasion. Senders claim rows with
a lease: two senders never hold the same row, and rows held by a sender that died are taken
up again when the lease runs out."""

from __future__ import annotations

import base64
import json
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import OutboxStatus
from storage.clock import utcnow
from storage.models import Outbox, User


async def enqueue(
    session: AsyncSession,
    chat_id: int,
    kind: str,
    text: str,
    *,
    dedupe_key: str | None = None,
    reply_markup: dict | None = None,
    attachment: tuple[str, bytes, str] | None = None,
    channel_id: int | None = None,
    extra: dict | None = None,
) -> None:
    """Add a notice to the caller's transaction; a repeated dedupe key adds nothing.
    `attachment` is ("photo" | "document", bytes, file name); `text` is then its caption.
    With `channel_id` the row goes to that channel (chat_id 0), `extra` joining its payload."""
    body: dict = {"text": text, "reply_markup": reply_markup, **(extra or {})}
    if attachment is not None:
        kind, data, name = attachment
        body.update(attach=kind, data=base64.b64encode(data).decode(), name=name)
    payload = json.dumps(body, ensure_ascii=False)
    now = utcnow()
    values = {
        "chat_id": chat_id,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "payload": payload,
        "status": OutboxStatus.pending,
        "not_before": now,
        "created_at": now,
        "claimed_by": "",
        "channel_id": channel_id,
    }
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(insert(Outbox).values(values).on_conflict_do_nothing(index_elements=["dedupe_key"]))


def _mine(channels: bool):
    # Telegram's sender and the channels' sender each take only their own rows.
    return Outbox.channel_id.is_not(None) if channels else Outbox.channel_id.is_(None)


def _claimable(now: datetime, lease: float, channels: bool = False):
    return and_(
        _mine(channels),
        or_(
            and_(Outbox.status == OutboxStatus.pending, Outbox.not_before <= now),
            and_(Outbox.status == OutboxStatus.sending, Outbox.claimed_at < now - timedelta(seconds=lease)),
        ),
    )


async def claim(
    sessions: async_sessionmaker[AsyncSession], token: str, batch: int, lease: float, channels: bool = False
) -> list[Outbox]:
    """Take up to `batch` due rows in one statement, oldest first."""
    now = utcnow()
    async with sessions() as session, session.begin():
        pick = select(Outbox.id).where(_claimable(now, lease, channels)).order_by(Outbox.id).limit(batch)
        if session.bind.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        stmt = (
            update(Outbox)
            .where(Outbox.id.in_(pick.scalar_subquery()))
            .values(
                status=OutboxStatus.sending, claimed_by=token, claimed_at=now, attempts=Outbox.attempts + 1
            )
            .returning(Outbox)
            .execution_options(synchronize_session=False)
        )
        rows = list((await session.scalars(stmt)).all())
    return sorted(rows, key=lambda r: r.id)


async def settle_many(
    sessions: async_sessionmaker[AsyncSession], token: str, changes: list[dict], unreachable: set[int]
) -> None:
    """Record many outcomes in one transaction: rows sent together in one statement, the rest
    (each with its own values) in one executemany; rows another sender took over are left."""
    table = Outbox.__table__
    sent = [c["id"] for c in changes if c["status"] == OutboxStatus.sent]
    others = [c for c in changes if c["status"] != OutboxStatus.sent]
    async with sessions() as session, session.begin():
        if sent:
            await session.execute(
                update(Outbox)
                .where(Outbox.id.in_(sent), Outbox.claimed_by == token)
                .values(status=OutboxStatus.sent, sent_at=utcnow(), error="")
                .execution_options(synchronize_session=False)
            )
        if others:
            rows = [
                {
                    "row_id": c["id"],
                    "new_status": c["status"],
                    "new_not_before": c.get("not_before") or utcnow(),
                    "new_attempts": c["attempts"],
                    "new_error": c.get("error", ""),
                }
                for c in others
            ]
            await session.execute(
                table.update()
                .where(table.c.id == bindparam("row_id"), table.c.claimed_by == token)
                .values(
                    status=bindparam("new_status"),
                    not_before=bindparam("new_not_before"),
                    attempts=bindparam("new_attempts"),
                    error=bindparam("new_error"),
                ),
                rows,
            )
        if unreachable:
            await session.execute(
                update(User)
                .where(User.id.in_(unreachable))
                .values(unreachable=True)
                .execution_options(synchronize_session=False)
            )


async def delivery_figures(session: AsyncSession, since: datetime) -> tuple[Counter, Counter]:
    """Notices created since `since`: how many per status, and the refused ones per kind."""
    created = Outbox.created_at >= since
    statuses = Counter(
        dict(
            (
                await session.execute(
                    select(Outbox.status, func.count()).where(created).group_by(Outbox.status)
                )
            ).all()
        )
    )
    refused = Counter(
        dict(
            (
                await session.execute(
                    select(Outbox.kind, func.count())
                    .where(created, Outbox.status == OutboxStatus.failed)
                    .group_by(Outbox.kind)
                )
            ).all()
        )
    )
    return statuses, refused


async def next_due(
    sessions: async_sessionmaker[AsyncSession], lease: float, channels: bool = False
) -> datetime | None:
    """When the next row becomes claimable: a pending row's time, or a lease running out."""
    async with sessions() as session:
        pending = await session.scalar(
            select(func.min(Outbox.not_before)).where(Outbox.status == OutboxStatus.pending, _mine(channels))
        )
        held = await session.scalar(
            select(func.min(Outbox.claimed_at)).where(Outbox.status == OutboxStatus.sending, _mine(channels))
        )
    times = [t for t in (pending, held + timedelta(seconds=lease) if held else None) if t is not None]
    return min(times) if times else None
