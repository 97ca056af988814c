"""Users, role grants and invites."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.anonymity import TipKeys
from domain.divisions import prefix_range
from domain.enums import Role
from storage.models import Agency, Division, Enterprise, Invite, RoleGrant, Staff, User


class InviteError(Exception):
    """Why an invite cannot be made or used; the message is a reason key."""


OWNED = "granted_enterprises"  # session.info key

# Every update reads the user and their grants: one statement, built once. The enterprise an
# owner's grant names comes along, so /status and /qr find it in the session without another.
_USER_AND_GRANTS = (
    select(User, RoleGrant, Enterprise)
    .outerjoin(RoleGrant, RoleGrant.user_id == User.id)
    .outerjoin(Enterprise, Enterprise.id == RoleGrant.enterprise_id)
    .where(User.id == bindparam("user_id"))
    .order_by(RoleGrant.id)
)


async def load_user(session: AsyncSession, user_id: int) -> tuple[User | None, list[RoleGrant]]:
    rows = (await session.execute(_USER_AND_GRANTS, {"user_id": user_id})).all()
    if not rows:
        return None, []
    # Kept with the session (the update's): `enterprises_by_ids` looks here first.
    session.info[OWNED] = {e.id: e for _, _, e in rows if e is not None}
    return rows[0][0], [grant for _, grant, _ in rows if grant is not None]


async def ensure_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id)
        session.add(user)
        await session.flush()
    return user


async def set_locale(session: AsyncSession, user_id: int, locale: str) -> None:
    user = await ensure_user(session, user_id)
    user.locale = locale
    await session.commit()


async def resolve_target(session: AsyncSession, role: str, target: str) -> tuple[int | None, int | None]:
    """(enterprise_id, agency_id) the target names; InviteError when it names nothing."""
    if role == Role.owner:
        eid = await session.scalar(select(Enterprise.id).where(Enterprise.uscc == target))
        if eid is None:
            raise InviteError("unknown_enterprise")
        return eid, None
    if role == Role.staff:
        aid = await session.scalar(select(Agency.id).where(Agency.code == target))
        if aid is None:
            raise InviteError("unknown_agency")
        return None, aid
    return None, None


async def create_invite(
    session: AsyncSession,
    keys: TipKeys,
    role: str,
    target: str,
    created_by: int | None,
    days: int,
    now: datetime,
) -> tuple[Invite, str]:
    """The invite and its code; only the code's keyed hash is stored, so it is shown once."""
    await resolve_target(session, role, target)
    code = secrets.token_urlsafe(16)
    invite = Invite(
        code_hash=keys.invite_hash(code),
        role=role,
        target=target,
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(invite)
    await session.commit()
    return invite, code


async def accept_invite(
    session: AsyncSession,
    keys: TipKeys,
    code: str,
    user_id: int,
    full_name: str,
    now: datetime,
    language: str | None = None,
) -> RoleGrant:
    """Use an invite once: the conditional update makes a race between two acceptors safe."""
    code_hash = keys.invite_hash(code[:64])
    claimed = await session.execute(
        update(Invite)
        .where(Invite.code_hash == code_hash, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(used_at=now, used_by=user_id)
    )
    if claimed.rowcount != 1:
        used_at = (await session.execute(select(Invite.used_at).where(Invite.code_hash == code_hash))).first()
        await session.rollback()
        if used_at is None:
            raise InviteError("unknown")
        raise InviteError("used" if used_at[0] is not None else "expired")
    invite = await session.scalar(select(Invite).where(Invite.code_hash == code_hash))
    try:
        enterprise_id, agency_id = await resolve_target(session, invite.role, invite.target)
    except InviteError:
        await session.rollback()
        raise
    user = await ensure_user(session, user_id)
    user.telegram_language = language
    grant = await session.scalar(
        select(RoleGrant).where(
            RoleGrant.user_id == user_id, RoleGrant.role == invite.role, RoleGrant.target == invite.target
        )
    )
    if grant is None:
        grant = RoleGrant(
            user_id=user_id,
            role=invite.role,
            target=invite.target,
            enterprise_id=enterprise_id,
            agency_id=agency_id,
        )
        session.add(grant)
    if invite.role == Role.staff:
        await _link_staff(session, agency_id, user_id, full_name)
    await session.commit()
    return grant


async def _link_staff(session: AsyncSession, agency_id: int, user_id: int, full_name: str) -> None:
    linked = await session.scalar(select(Staff).where(Staff.agency_id == agency_id, Staff.user_id == user_id))
    if linked is not None:
        return
    named = await session.scalar(
        select(Staff).where(Staff.agency_id == agency_id, Staff.name == full_name, Staff.user_id.is_(None))
    )
    if named is not None:
        named.user_id = user_id
        return
    name = full_name[:90] or str(user_id)
    taken = set(
        await session.scalars(
            select(Staff.name).where(
                Staff.agency_id == agency_id, Staff.name.startswith(name, autoescape=True)
            )
        )
    )
    # Namesakes are common (张伟): the second of a name is kept apart as 张伟（2）.
    unique = next(n for n in (name, *(f"{name}（{i}）" for i in range(2, len(taken) + 2))) if n not in taken)
    session.add(Staff(agency_id=agency_id, name=unique, user_id=user_id))


async def grant_labels(session: AsyncSession, grants: list) -> list[str]:
    """Display names of the enterprises, agencies and places that grants point to, in order."""
    eids = {g.enterprise_id for g in grants if g.enterprise_id}
    aids = {g.agency_id for g in grants if g.agency_id}
    names: dict[tuple[str, int], str] = {}
    if eids:
        for i, n in await session.execute(
            select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(eids))
        ):
            names[("e", i)] = n
    if aids:
        for i, n in await session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(aids))):
            names[("a", i)] = n
    places = {g.target for g in grants if g.role == Role.regulator}
    if places:
        for code, n in await session.execute(
            select(Division.code, Division.name).where(Division.code.in_(places))
        ):
            names[("d", code)] = n
    return [
        names.get(("e", g.enterprise_id)) or names.get(("a", g.agency_id)) or names.get(("d", g.target)) or ""
        for g in grants
    ]


async def enterprises_under(session: AsyncSession, prefix: str) -> int:
    """How many registered enterprises a jurisdiction holds (0 suggests a mistyped code)."""
    lo, hi = prefix_range(prefix)
    return (
        await session.scalar(
            select(func.count())
            .select_from(Enterprise)
            .where(Enterprise.division >= lo, Enterprise.division < hi)
        )
        or 0
    )
