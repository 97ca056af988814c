"""Evidence submissions (云档案) and their review (审核反馈): what an owner sent for an
indicator, the files, and the regulator's decision. A decision is a guarded update
(`WHERE status = 'submitted'`), so two reviewers cannot both decide one submission."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import EvidenceStatus
from storage.clock import utcnow
from storage.filestore import FileStore, StoreUnavailable, content_key
from storage.models import Enterprise, EvidenceFile, EvidenceSubmission, IndicatorRecord, StoredFile
from storage.regulator import in_jurisdiction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """A file as the chat delivered it, before it is kept."""

    file_id: str
    name: str
    mime: str
    kind: str  # photo | document


async def keep_file(
    session: AsyncSession, store: FileStore | None, received: Received, data: bytes
) -> StoredFile:
    """The file's record. When the store is unavailable (or `store` is None: known to be), the
    record says the copy is still to be made; the file_id keeps the file reachable meanwhile,
    so nothing the person sent is lost."""
    digest, key = content_key(data)
    copied = False
    if store is not None:
        try:
            await store.put(key, data)
            copied = True
        except StoreUnavailable as exc:
            log.warning("file store unavailable, %s left for the files job: %s", key, exc)
    row = StoredFile(
        file_id=received.file_id,
        sha256=digest,
        name=received.name[:200],
        mime=received.mime[:100],
        size=len(data),
        store_key=key,
        copied=copied,
    )
    session.add(row)
    await session.flush()
    return row


async def pending_codes(session: AsyncSession, enterprise_id: int) -> set[str]:
    rows = await session.scalars(
        select(EvidenceSubmission.indicator).where(
            EvidenceSubmission.enterprise_id == enterprise_id,
            EvidenceSubmission.status == EvidenceStatus.submitted,
        )
    )
    return set(rows.all())


def latest_rejections_query(enterprise_id):
    """(id, indicator, reason) where the indicator's latest decision was a rejection and
    nothing newer was sent (the profile reads it with the rest, in one statement)."""
    latest = (
        select(EvidenceSubmission.indicator, func.max(EvidenceSubmission.id).label("last"))
        .where(EvidenceSubmission.enterprise_id == enterprise_id)
        .group_by(EvidenceSubmission.indicator)
        .subquery()
    )
    return (
        select(EvidenceSubmission.id, EvidenceSubmission.indicator, EvidenceSubmission.reason)
        .join(latest, latest.c.last == EvidenceSubmission.id)
        .where(EvidenceSubmission.status == EvidenceStatus.rejected)
    )


async def submit(
    session: AsyncSession,
    enterprise_id: int,
    indicator: str,
    fulfilled_on: date,
    expires_on: date | None,
    user_id: int,
    files: list[StoredFile],
) -> EvidenceSubmission:
    sub = EvidenceSubmission(
        enterprise_id=enterprise_id,
        indicator=indicator,
        fulfilled_on=fulfilled_on,
        expires_on=expires_on,
        status=EvidenceStatus.submitted,
        submitted_by=user_id,
    )
    session.add(sub)
    await session.flush()
    session.add_all(EvidenceFile(submission_id=sub.id, file_id=f.id) for f in files)
    return sub


async def history(session: AsyncSession, enterprise_id: int, indicator: str, limit: int = 10) -> list:
    """(submission, file count), newest first."""
    files = (
        select(func.count(EvidenceFile.id))
        .where(EvidenceFile.submission_id == EvidenceSubmission.id)
        .correlate(EvidenceSubmission)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(EvidenceSubmission, files)
        .where(EvidenceSubmission.enterprise_id == enterprise_id, EvidenceSubmission.indicator == indicator)
        .order_by(EvidenceSubmission.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def files_of(session: AsyncSession, submission_id: int) -> list[StoredFile]:
    rows = await session.scalars(
        select(StoredFile)
        .join(EvidenceFile, EvidenceFile.file_id == StoredFile.id)
        .where(EvidenceFile.submission_id == submission_id)
        .order_by(EvidenceFile.id)
    )
    return list(rows.all())


def _waiting(prefixes: list[str]):
    return (
        select(EvidenceSubmission, Enterprise)
        .join(Enterprise, Enterprise.id == EvidenceSubmission.enterprise_id)
        .where(EvidenceSubmission.status == EvidenceStatus.submitted, in_jurisdiction(prefixes))
    )


async def queue(session: AsyncSession, prefixes: list[str], offset: int = 0) -> tuple[tuple | None, int]:
    """The submission at `offset` of the jurisdiction's queue (oldest first) and the queue's length."""
    stmt = _waiting(prefixes)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    row = (
        await session.execute(
            stmt.order_by(EvidenceSubmission.submitted_at, EvidenceSubmission.id).offset(offset).limit(1)
        )
    ).first()
    return (tuple(row) if row else None), int(total or 0)


async def waiting_in(session: AsyncSession, prefixes: list[str], submission_id: int) -> tuple | None:
    """(submission, enterprise) when it awaits review in the jurisdiction."""
    row = (await session.execute(_waiting(prefixes).where(EvidenceSubmission.id == submission_id))).first()
    return tuple(row) if row else None


async def decide(
    session: AsyncSession,
    sub: EvidenceSubmission,
    accept: bool,
    reviewer: int,
    reason: str = "",
    now: datetime | None = None,
) -> bool:
    """Accept (the indicator is fulfilled from the given date) or reject with a reason; False
    when another reviewer decided first."""
    status = EvidenceStatus.accepted if accept else EvidenceStatus.rejected
    moved = await session.execute(
        update(EvidenceSubmission)
        .where(EvidenceSubmission.id == sub.id, EvidenceSubmission.status == EvidenceStatus.submitted)
        .values(status=status, reviewer_id=reviewer, reviewed_at=now or utcnow(), reason=reason)
    )
    if moved.rowcount != 1:
        return False
    if accept:
        await _fulfil(session, sub)
    await session.refresh(sub)
    return True


async def _fulfil(session: AsyncSession, sub: EvidenceSubmission) -> None:
    """The record behind the indicator's state; older evidence does not replace newer."""
    record = await session.scalar(
        select(IndicatorRecord).where(
            IndicatorRecord.enterprise_id == sub.enterprise_id, IndicatorRecord.indicator == sub.indicator
        )
    )
    if record is None:
        session.add(
            IndicatorRecord(
                enterprise_id=sub.enterprise_id,
                indicator=sub.indicator,
                fulfilled_on=sub.fulfilled_on,
                expires_on=sub.expires_on,
            )
        )
    elif record.fulfilled_on <= sub.fulfilled_on:
        record.fulfilled_on, record.expires_on = sub.fulfilled_on, sub.expires_on
    await session.flush()
