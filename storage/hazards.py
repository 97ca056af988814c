"""Hazards: recorded, moved through rectification and verification, listed for owners and staff.

Every change to a hazard is a guarded update (`WHERE status = old`) plus an event, so two
people acting at once cannot both move it, and nothing is overwritten without a trace."""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import HazardEventKind, HazardStatus
from domain.lifecycle import Action, transition
from storage.compliance import overdue_at
from storage.inspections import PAGE, UNCLOSED
from storage.models import (
    Enterprise,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Visit,
)


async def record_hazard(
    session: AsyncSession,
    visit: Visit,
    *,
    description: str,
    location: str,
    level: str,
    suggestion: str,
    deadline: date,
    photos: list[str],
    actor: int,
) -> Hazard:
    hazard = Hazard(
        agency_id=visit.agency_id,
        ref=f"{visit.ref}-H{secrets.token_hex(3)}",
        enterprise_id=visit.enterprise_id,
        visit_id=visit.id,
        found_on=visit.date,
        description=description,
        location=location,
        suggestion=suggestion,
        level=level,
        deadline=deadline,
        status=HazardStatus.open,
    )
    session.add(hazard)
    await session.flush()
    await add_event(session, hazard.id, HazardEventKind.created, actor, "", deadline, photos)
    return hazard


async def add_event(
    session: AsyncSession,
    hazard_id: int,
    kind: str,
    actor: int | None,
    note: str,
    deadline: date | None = None,
    photos: list[str] = (),
) -> HazardEvent:
    event = HazardEvent(hazard_id=hazard_id, kind=kind, actor_id=actor, note=note, deadline=deadline)
    session.add(event)
    await session.flush()
    session.add_all(HazardPhoto(event_id=event.id, file_id=f) for f in photos)
    return event


async def move_hazard(
    session: AsyncSession,
    hazard: Hazard,
    action: Action,
    actor: int,
    note: str,
    photos: list[str] = (),
    today: date | None = None,
) -> bool:
    """Apply one step of the state machine; False when someone else moved the hazard first."""
    new = transition(hazard.status, action)
    values: dict = {"status": new}
    if new == HazardStatus.verified:
        values["closed_on"] = today
    elif new == HazardStatus.submitted:
        values["submitted_on"] = today  # by the deadline: awaits the check, not overdue
    else:
        values["submitted_on"] = None  # rejected: overdue again if the deadline has passed
    moved = await session.execute(
        update(Hazard).where(Hazard.id == hazard.id, Hazard.status == hazard.status).values(**values)
    )
    if moved.rowcount != 1:
        return False
    kind = {
        Action.submit: HazardEventKind.submitted,
        Action.reject: HazardEventKind.rejected,
        Action.verify: HazardEventKind.verified,
    }[action]
    await add_event(session, hazard.id, kind, actor, note, None, list(photos))
    await session.refresh(hazard)
    return True


async def owner_hazards(session: AsyncSession, enterprise_ids: list[int]) -> list[tuple]:
    """(hazard, enterprise name) not yet closed, soonest deadline first: all of them, the
    view pages them."""
    rows = await session.execute(
        select(Hazard, Enterprise.name)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .where(Hazard.enterprise_id.in_(enterprise_ids), Hazard.status.in_(UNCLOSED))
        .order_by(Hazard.deadline, Hazard.id)
    )
    return list(rows.all())


async def waiting_verification(
    session: AsyncSession, agency_id: int, enterprise_id: int | None = None, limit: int = PAGE
) -> list[tuple]:
    """(hazard, enterprise name) with evidence waiting for the agency, soonest deadline first."""
    stmt = (
        select(Hazard, Enterprise.name)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .where(Hazard.agency_id == agency_id, Hazard.status == HazardStatus.submitted)
        .order_by(Hazard.deadline, Hazard.id)
        .limit(limit)
    )
    if enterprise_id is not None:
        stmt = stmt.where(Hazard.enterprise_id == enterprise_id)
    return list((await session.execute(stmt)).all())


async def waiting_by_enterprise(
    session: AsyncSession, agency_id: int, limit: int = 20, offset: int = 0, name: str = ""
) -> tuple[list[tuple], int]:
    """One page of (enterprise id, name, waiting count) for the agency, the soonest deadline
    first, optionally only names containing `name`; and how many enterprises there are."""
    where = [Hazard.agency_id == agency_id, Hazard.status == HazardStatus.submitted]
    if name:
        where.append(Enterprise.name.contains(name, autoescape=True))
    grouped = (
        select(
            Enterprise.id, Enterprise.name, func.count().label("n"), func.min(Hazard.deadline).label("due")
        )
        .select_from(Hazard)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .where(*where)
        .group_by(Enterprise.id, Enterprise.name)
        .subquery()
    )
    total = int(await session.scalar(select(func.count()).select_from(grouped)) or 0)
    rows = await session.execute(
        select(grouped.c.id, grouped.c.name, grouped.c.n)
        .order_by(grouped.c.due, grouped.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def latest_event(
    session: AsyncSession, hazard_id: int, kind: str
) -> tuple[HazardEvent | None, list[str]]:
    event = await session.scalar(
        select(HazardEvent)
        .where(HazardEvent.hazard_id == hazard_id, HazardEvent.kind == kind)
        .order_by(HazardEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return None, []
    photos = (
        await session.scalars(select(HazardPhoto.file_id).where(HazardPhoto.event_id == event.id))
    ).all()
    return event, list(photos)


async def history(session: AsyncSession, hazard_id: int) -> list[HazardEvent]:
    return list(
        (
            await session.scalars(
                select(HazardEvent).where(HazardEvent.hazard_id == hazard_id).order_by(HazardEvent.id)
            )
        ).all()
    )


async def overdue_by_client(session: AsyncSession, agency_id: int, today: date) -> list[tuple]:
    """(enterprise name, overdue count, oldest deadline) for each of the agency's clients
    with an overdue hazard, the oldest first. Overdue as /overdue counts it: a rectification
    submitted in time and waiting for the agency's check is not (it is in /verify)."""
    rows = await session.execute(
        select(Enterprise.name, func.count(), func.min(Hazard.deadline))
        .select_from(Hazard)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .where(Hazard.agency_id == agency_id, Hazard.status.in_(UNCLOSED), overdue_at(today))
        .group_by(Enterprise.id, Enterprise.name)
        .order_by(func.min(Hazard.deadline))
    )
    return list(rows.all())
