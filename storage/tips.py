"""Anonymous tips: rows hold the target, category, status, the hour, sealed contents and the
receipt's keyed hash — never anything about the sender."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.anonymity import TipKeys, new_receipt, row_context, to_hour
from domain.divisions import covers, prefix_range, tip_route
from domain.enums import TipStatus, TipTarget
from storage.clock import utcnow
from storage.models import Agency, Contract, Enterprise, Tip, TipAttachment, TipMessage

OPEN = (TipStatus.new, TipStatus.in_review)
CLOSED = (TipStatus.substantiated, TipStatus.unfounded, TipStatus.referred)


@dataclass
class Target:
    kind: str
    id: int
    name: str
    division: str


async def find_targets(session: AsyncSession, query: str, limit: int = 8) -> list[Target]:
    """Enterprises by USCC or part of the name, agencies by code or part of the name."""
    q = query.strip()
    pattern = "%" + q.replace("%", "").replace("_", "") + "%"
    ents = (
        await session.scalars(
            select(Enterprise)
            .where((Enterprise.uscc == q.upper()) | Enterprise.name.like(pattern))
            .limit(limit)
        )
    ).all()
    agencies = (
        await session.scalars(
            select(Agency).where((Agency.code == q) | Agency.name.like(pattern)).limit(limit)
        )
    ).all()
    found = [Target(TipTarget.agency, a.id, a.name, a.division) for a in agencies]
    found += [Target(TipTarget.enterprise, e.id, e.name, e.division) for e in ents]
    return found[:limit]


async def target_by(session: AsyncSession, kind: str, target_id: int) -> Target | None:
    if kind == TipTarget.enterprise:
        ent = await session.get(Enterprise, target_id)
        return Target(kind, ent.id, ent.name, ent.division) if ent else None
    if kind == TipTarget.agency:
        agency = await session.get(Agency, target_id)
        return Target(kind, agency.id, agency.name, agency.division) if agency else None
    return None


async def route(session: AsyncSession, target: Target, default: str) -> str:
    """The division a tip is filed under, so that some regulator always sees it."""
    served: list[str] = []
    if target.kind == TipTarget.agency and not target.division:
        rows = await session.scalars(
            select(Enterprise.division)
            .join(Contract, Contract.enterprise_id == Enterprise.id)
            .where(Contract.agency_id == target.id)
        )
        served = list(rows.all())
    routed = tip_route(target.division, served, default)
    return routed or await home_county(session)


async def home_county(session: AsyncSession) -> str:
    """The county most registered enterprises are in: where a tip goes when nothing else
    says where (no division, no contracts, no DEFAULT_JURISDICTION)."""
    county = func.substr(Enterprise.division, 1, 6)
    return (
        await session.scalar(
            select(county).where(county != "").group_by(county).order_by(func.count().desc(), county).limit(1)
        )
        or ""
    )


async def file_tip(
    session: AsyncSession,
    keys: TipKeys,
    target: Target,
    category: str,
    text: str,
    photos: list[bytes],
    default_division: str = "",
) -> str:
    """Store a tip and return its receipt, which exists nowhere else afterwards."""
    receipt = new_receipt()
    hour = to_hour(utcnow())
    tip = Tip(
        receipt_hash=keys.receipt_hash(receipt),
        target_kind=target.kind,
        enterprise_id=target.id if target.kind == TipTarget.enterprise else None,
        agency_id=target.id if target.kind == TipTarget.agency else None,
        division=await route(session, target, default_division),
        category=category,
        status=TipStatus.new,
        created_hour=hour,
        body=b"",  # sealed below, once the row has its id
    )
    session.add(tip)
    await session.flush()
    tip.body = keys.seal(json.dumps({"text": text}, ensure_ascii=False).encode(), _tip_context(tip))
    await _attach(session, keys, tip.id, None, photos)
    await session.commit()
    return receipt


# Each body is sealed with its row's ids as associated data: a body copied into another row
# does not open. Rows written before that used the kind alone, and still open with it.
def _tip_context(tip: Tip) -> bytes:
    return row_context("tip", tip.id)


def _message_context(m: TipMessage) -> bytes:
    return row_context("message", m.tip_id, m.id)


def _attachment_context(a: TipAttachment) -> bytes:
    return row_context("attachment", a.tip_id, a.message_id, a.id)


def _open(keys: TipKeys, blob: bytes, context: bytes, legacy: bytes) -> bytes:
    try:
        return keys.open(blob, context)
    except InvalidTag:
        return keys.open(blob, legacy)


async def _attach(
    session: AsyncSession, keys: TipKeys, tip_id: int, message_id: int | None, photos: list[bytes]
) -> None:
    rows = [TipAttachment(tip_id=tip_id, message_id=message_id, body=b"") for _ in photos]
    session.add_all(rows)
    await session.flush()
    for row, photo in zip(rows, photos, strict=True):
        row.body = keys.seal(photo, _attachment_context(row))


async def by_receipt(session: AsyncSession, keys: TipKeys, receipt: str) -> Tip | None:
    return await session.scalar(select(Tip).where(Tip.receipt_hash == keys.receipt_hash(receipt)))


async def add_message(
    session: AsyncSession, keys: TipKeys, tip: Tip, author: str, text: str, photos: list[bytes] = ()
) -> None:
    message = TipMessage(tip_id=tip.id, author=author, created_hour=to_hour(utcnow()), body=b"")
    session.add(message)
    await session.flush()
    message.body = keys.seal(text.encode(), _message_context(message))
    await _attach(session, keys, tip.id, message.id, list(photos))


async def count_messages(session: AsyncSession, tip_id: int, author: str) -> int:
    query = select(func.count()).select_from(TipMessage)
    return int(await session.scalar(query.where(TipMessage.tip_id == tip_id, TipMessage.author == author)))


async def messages(session: AsyncSession, keys: TipKeys, tip_id: int, authors: tuple[str, ...]) -> list[dict]:
    rows = (
        await session.scalars(
            select(TipMessage)
            .where(TipMessage.tip_id == tip_id, TipMessage.author.in_(authors))
            .order_by(TipMessage.id)
        )
    ).all()
    return [
        {
            "author": m.author,
            "hour": m.created_hour,
            "text": _open(keys, m.body, _message_context(m), b"message").decode(),
        }
        for m in rows
    ]


async def attachments(session: AsyncSession, keys: TipKeys, tip_id: int) -> list[bytes]:
    rows = (
        await session.scalars(
            select(TipAttachment).where(TipAttachment.tip_id == tip_id).order_by(TipAttachment.id)
        )
    ).all()
    return [_open(keys, a.body, _attachment_context(a), b"attachment") for a in rows]


def text_of(keys: TipKeys, tip: Tip) -> str:
    return json.loads(_open(keys, tip.body, _tip_context(tip), b"tip"))["text"]


def in_jurisdiction(prefixes: list[str]):
    return or_(*(and_(Tip.division >= lo, Tip.division < hi) for lo, hi in map(prefix_range, prefixes)))


def visible(prefixes: list[str], tip: Tip) -> bool:
    return any(covers(p, tip.division) for p in prefixes)


async def for_regulator(
    session: AsyncSession, prefixes: list[str], limit: int = 10, offset: int = 0
) -> tuple[list[Tip], int]:
    """One page of the jurisdiction's tips (unhandled first, newest first), and how many
    there are in all."""
    unhandled = Tip.status.in_(OPEN)
    rows = await session.scalars(
        select(Tip)
        .where(in_jurisdiction(prefixes))
        .order_by(unhandled.desc(), Tip.created_hour.desc(), Tip.id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(Tip).where(in_jurisdiction(prefixes)))
    return list(rows.all()), int(total or 0)


async def set_status(session: AsyncSession, tip: Tip, status: str) -> bool:
    """Move an open tip to `status`; False (nothing changed) once the tip is closed, even if
    another regulator closed it a moment ago: an outcome is final."""
    done = await session.execute(
        update(Tip).where(Tip.id == tip.id, Tip.status.in_(OPEN)).values(status=status)
    )
    return done.rowcount == 1


async def new_counts(session: AsyncSession, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """(division, number of tips filed in the hours [start, end)) for the notice to regulators."""
    rows = await session.execute(
        select(Tip.division, func.count())
        .where(Tip.created_hour >= start, Tip.created_hour < end)
        .group_by(Tip.division)
    )
    return [(d, int(n)) for d, n in rows]


async def new_follow_ups(session: AsyncSession, start: datetime, end: datetime) -> list[tuple[str, int]]:
    created = TipMessage.created_hour
    rows = await session.execute(
        select(Tip.division, func.count())
        .join(TipMessage, TipMessage.tip_id == Tip.id)
        .where(TipMessage.author == "tipster", created >= start, created < end)
        .group_by(Tip.division)
    )
    return [(d, int(n)) for d, n in rows]
