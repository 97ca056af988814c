"""Government inspections (检查) and their findings: hazards with `source = regulator` that
follow the same rectification lifecycle and are verified by the regulators of the division."""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import HazardEventKind, HazardSource, HazardStatus, TipStatus
from storage.hazards import add_event
from storage.models import Enterprise, Hazard, Inspection, Tip
from storage.regulator import in_jurisdiction


async def open_tips(session: AsyncSession, enterprise_id: int, limit: int = 8) -> list[Tip]:
    """Tips about the enterprise an inspection may follow up, newest first."""
    rows = await session.scalars(
        select(Tip)
        .where(Tip.enterprise_id == enterprise_id, Tip.status.in_((TipStatus.new, TipStatus.in_review)))
        .order_by(Tip.created_hour.desc(), Tip.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def record(
    session: AsyncSession,
    *,
    enterprise: Enterprise,
    division_prefix: str,
    day: date,
    kind: str,
    note: str,
    findings: list[dict],
    document_id: int | None,
    tip_id: int | None,
    actor: int,
) -> tuple[Inspection, list[Hazard]]:
    """The inspection and its findings (dicts: description, location, level, deadline, photos)."""
    inspection = Inspection(
        ref=f"TG{day:%Y%m%d}-{secrets.token_hex(4)}",
        division_prefix=division_prefix,
        enterprise_id=enterprise.id,
        date=day,
        kind=kind,
        note=note,
        document_id=document_id,
        tip_id=tip_id,
        inspector_id=actor,
    )
    session.add(inspection)
    await session.flush()
    hazards = []
    for n, f in enumerate(findings, start=1):
        hazard = Hazard(
            ref=f"{inspection.ref}-H{n}",
            enterprise_id=enterprise.id,
            found_on=day,
            description=f["description"],
            location=f.get("location", ""),
            level=f["level"],
            deadline=date.fromisoformat(f["deadline"]),
            status=HazardStatus.open,
            source=HazardSource.regulator,
            inspection_id=inspection.id,
        )
        session.add(hazard)
        await session.flush()
        await add_event(session, hazard.id, HazardEventKind.created, actor, "", hazard.deadline, f["photos"])
        hazards.append(hazard)
    return inspection, hazards


def _waiting(prefixes: list[str]):
    return (
        select(Hazard, Enterprise)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .where(
            Hazard.source == HazardSource.regulator,
            Hazard.status == HazardStatus.submitted,
            in_jurisdiction(prefixes),
        )
    )


async def waiting_rectifications(session: AsyncSession, prefixes: list[str], limit: int = 8) -> list[tuple]:
    """(hazard, enterprise) found by regulators, rectified and waiting for their check: the
    `limit` with the earliest deadlines."""
    rows = await session.execute(_waiting(prefixes).order_by(Hazard.deadline, Hazard.id).limit(limit))
    return [tuple(r) for r in rows]


async def count_waiting(session: AsyncSession, prefixes: list[str]) -> int:
    return await session.scalar(select(func.count()).select_from(_waiting(prefixes).subquery())) or 0


async def verifiable(session: AsyncSession, prefixes: list[str], hazard_id: int) -> tuple | None:
    row = (await session.execute(_waiting(prefixes).where(Hazard.id == hazard_id))).first()
    return tuple(row) if row else None
