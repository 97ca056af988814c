"""Channels as stored: their secrets sealed with the tip keys, their topics, their jurisdiction."""

from __future__ import annotations

import json

from sqlalchemy import delete, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.anonymity import TipKeys
from domain.divisions import covers
from storage.models import Channel, Outbox

KINDS = ("wecom", "dingtalk", "email")
TOPICS = ("digest", "major", "overdue", "tips")
SEAL = b"channel"


def label_for(kind: str, secret: dict) -> str:
    """What lists show: the address, or the last characters of a robot's key."""
    if kind == "email":
        return secret["address"][:100]
    key = secret.get("key") or secret.get("token", "")
    return f"…{key[-4:]}"


async def add(
    session: AsyncSession, keys: TipKeys, kind: str, jurisdiction: str, secret: dict, created_by: int
) -> Channel:
    channel = Channel(
        kind=kind,
        jurisdiction=jurisdiction,
        label=label_for(kind, secret),
        secret=keys.seal(json.dumps(secret).encode(), SEAL),
        topics=",".join(TOPICS),
        created_by=created_by,
    )
    session.add(channel)
    await session.commit()
    return channel


def secret_of(keys: TipKeys, channel: Channel) -> dict:
    return json.loads(keys.open(channel.secret, SEAL))


def topics_of(channel: Channel) -> set[str]:
    return {t for t in channel.topics.split(",") if t}


def toggle(channel: Channel, topic: str) -> None:
    on = topics_of(channel) ^ {topic}
    channel.topics = ",".join(t for t in TOPICS if t in on)


async def visible(session: AsyncSession, prefixes: list[str] | None) -> list[Channel]:
    """Every channel for an admin (None); else those inside the regulator's jurisdiction."""
    rows = (await session.scalars(select(Channel).order_by(Channel.id))).all()
    if prefixes is None:
        return list(rows)
    return [c for c in rows if any(covers(p, c.jurisdiction) and c.jurisdiction for p in prefixes)]


async def subscribed(session: AsyncSession, topic: str, division: str | None = None) -> list[Channel]:
    """Channels taking `topic`; with `division`, only those whose jurisdiction contains it."""
    stmt = select(Channel).where(Channel.topics.contains(topic)).order_by(Channel.id)
    if division is not None:
        stmt = stmt.where(literal(division).like(Channel.jurisdiction + "%"))
    return list((await session.scalars(stmt)).all())


async def remove(session: AsyncSession, channel: Channel) -> None:
    """The channel, its sealed secret and its notices, sent or not."""
    await session.execute(delete(Outbox).where(Outbox.channel_id == channel.id))
    await session.delete(channel)
    await session.commit()
