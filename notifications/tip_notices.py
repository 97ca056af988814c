"""Regulators learn of new tips from an hourly count, never from the tip's own transaction:
a notice written when a tip is filed would record its exact time."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from channels import fanout
from domain.divisions import covers
from domain.enums import Role
from notifications.notices import notify
from storage.models import RoleGrant
from storage.tips import new_counts, new_follow_ups


async def notify_new_tips(session: AsyncSession, translator: Translator, hour: datetime) -> int:
    """One message per regulator for the tips and follow-ups of `hour`; returns recipients."""
    tips, follow_ups = await new_counts(session, hour), await new_follow_ups(session, hour)
    if not tips and not follow_ups:
        return 0
    regulators = (
        await session.execute(
            select(RoleGrant.user_id, RoleGrant.target).where(RoleGrant.role == Role.regulator)
        )
    ).all()
    prefixes: dict[int, list[str]] = defaultdict(list)
    for uid, prefix in regulators:
        prefixes[uid].append(prefix)
    sent = 0
    for uid, mine in prefixes.items():
        n_tips, n_msgs = (
            sum(n for division, n in rows if any(covers(p, division) for p in mine))
            for rows in (tips, follow_ups)
        )
        if n_tips or n_msgs:
            sent += await notify(
                session,
                translator,
                [uid],
                "new_tips",
                "tips.notice",
                f"tips:{hour.isoformat()}",
                tips=n_tips,
                messages=n_msgs,
            )
    await fanout.tip_counts(session, translator, hour, tips, follow_ups)
    await session.commit()
    return sent
