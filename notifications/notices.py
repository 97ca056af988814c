"""The notices the inspection work causes, one per recipient in their language, written to the
outbox in the transaction of the change (a dedupe key per occasion and recipient).

Notices are written in bulk: a text is rendered once per distinct language and arguments, and
the rows go to the outbox in large batches, so that a job reaching tens of thousands of people
costs a few statements, not one per person. Nothing here imports aiogram: the planning jobs
run from the command line without it."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BoundTranslator, Translator
from domain.enums import OutboxStatus
from notifications.bulk import insert_new
from storage.clock import utcnow
from storage.inspections import locales_of
from storage.models import Outbox

if TYPE_CHECKING:
    from aiogram.types import InlineKeyboardMarkup


def payload(text: str, reply_markup: dict | None) -> str:
    """An outbox row's body, as `notifications.outbox.enqueue` writes it for a text notice."""
    return json.dumps({"text": text, "reply_markup": reply_markup}, ensure_ascii=False)


async def write_outbox(session: AsyncSession, kind: str, rows: Sequence[tuple[int, str, str]]) -> None:
    """Add (chat id, dedupe key, payload) rows in the caller's transaction; a dedupe key the
    outbox already holds adds nothing (at most once per recipient and occasion)."""
    now = utcnow()
    fixed = {
        "kind": kind,
        "status": OutboxStatus.pending.value,
        "attempts": 0,
        "not_before": now,
        "created_at": now,
        "claimed_by": "",
    }
    await insert_new(session, Outbox, ("chat_id", "dedupe_key", "payload"), rows, fixed, ["dedupe_key"])


async def notify(
    session: AsyncSession,
    translator: Translator,
    user_ids: list[int],
    kind: str,
    key: str,
    occasion: str,
    markup: Callable[[BoundTranslator], InlineKeyboardMarkup | dict | None] | None = None,
    localize: Callable[[BoundTranslator], dict] | None = None,
    **params: object,
) -> int:
    """Render template `key` for each recipient in their language and enqueue it.
    `markup(t)` builds buttons; `localize(t)` adds parameters that depend on the language.
    The text and buttons depend only on the language: each is rendered once per language."""
    locales = await locales_of(session, user_ids, translator.default_locale)
    by_locale: dict[str, list[int]] = defaultdict(list)
    for uid in user_ids:
        by_locale[locales[uid]].append(uid)
    rows = []
    for locale, uids in by_locale.items():
        t = translator.bind(locale)
        keyboard = markup(t) if markup else None
        if keyboard is not None and not isinstance(keyboard, dict):
            keyboard = keyboard.model_dump(exclude_none=True)
        body = payload(t(key, **params, **(localize(t) if localize else {})), keyboard or None)
        rows += [(uid, f"{occasion}:{uid}", body) for uid in uids]
    await write_outbox(session, kind, rows)
    return len(user_ids)


async def hazards_to_owners(
    session: AsyncSession, translator: Translator, owners: list[int], name: str, hazards: list
) -> None:
    """Tell the owners of each hazard found on a government inspection (no photos are sent)."""
    for hazard in hazards:
        await notify(
            session,
            translator,
            owners,
            "hazard_new",
            "hazard.notice_owner",
            f"hazard:{hazard.id}:created",
            localize=lambda lt, h=hazard: {"level": lt(f"level.{h.level}")},
            name=name,
            description=hazard.description,
            location=hazard.location or "—",
            deadline=hazard.deadline.isoformat(),
            suggestion=hazard.suggestion or "—",
            photos=0,
        )
