"""The notices the inspection work causes, one per recipient in their language, written to the
outbox in the transaction of the change (a dedupe key per occasion and recipient)."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BoundTranslator, Translator
from notifications.outbox import enqueue
from storage.inspections import locales_of


async def notify(
    session: AsyncSession,
    translator: Translator,
    user_ids: list[int],
    kind: str,
    key: str,
    occasion: str,
    markup: Callable[[BoundTranslator], InlineKeyboardMarkup | None] | None = None,
    localize: Callable[[BoundTranslator], dict] | None = None,
    **params: object,
) -> int:
    """Render template `key` for each recipient in their language and enqueue it.
    `markup(t)` builds buttons; `localize(t)` adds parameters that depend on the language."""
    locales = await locales_of(session, user_ids, translator.default_locale)
    for uid in user_ids:
        t = translator.bind(locales[uid])
        keyboard = markup(t) if markup else None
        reply_markup = keyboard.model_dump(exclude_none=True) if keyboard else None
        text = t(key, **params, **(localize(t) if localize else {}))
        await enqueue(session, uid, kind, text, dedupe_key=f"{occasion}:{uid}", reply_markup=reply_markup)
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
