"""Reminders (domain.md "Reminders"), planned with set-based SQL over the whole database.

Each query yields (recipient, item) pairs for one occasion; an item names its hazard, visit or
indicator record, its stage and, for repeated reminders, its repeat window, so the reminder
log (unique per recipient and item) makes a second run the same day send nothing. Each
recipient then gets one message listing all their items with counts."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BoundTranslator, Translator
from domain.reminders import ReminderSettings
from handlers.callbacks import ListCb
from notifications.notices import notify
from notifications.reminder_items import Item, plan
from storage.models import ReminderLog

# Occasions in the order a message lists them; the role that receives each.
OCCASIONS = (
    "escalated",
    "overdue",
    "overdue_clients",
    "verify",
    "soon",
    "report_grace",
    "report_late",
    "report_due",
    "indicators",
    "reviews",
)
OWNER_OCCASIONS = {"overdue", "soon", "indicators"}
STAFF_OCCASIONS = {"overdue_clients", "verify", "report_late", "report_due"}
EXAMPLES = 3


async def run_reminders(
    session: AsyncSession,
    translator: Translator,
    today: date,
    s: ReminderSettings,
    catalogue_names: dict[str, dict[str, str]] | None = None,
    validity: dict[str, int] | None = None,
) -> tuple[int, int]:
    """Plan, log and enqueue one message per recipient; returns (recipients, items)."""
    items = await plan(session, today, s, validity)
    if not items:
        return 0, 0
    by_user: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        by_user[item.user_id].append(item)
    rows = [{"user_id": i.user_id, "item": i.key} for i in items]
    for start in range(0, len(rows), 2000):
        await session.execute(insert(ReminderLog), rows[start : start + 2000])
    for uid, mine in by_user.items():
        occasions = {i.occasion for i in mine}
        digest = hashlib.sha256("|".join(sorted(i.key for i in mine)).encode()).hexdigest()[:16]
        await notify(
            session,
            translator,
            [uid],
            "reminder",
            "reminders.message",
            f"rem:{digest}",
            markup=lambda t, o=occasions: _buttons(t, o),
            localize=lambda t, m=mine: {"sections": _sections(t, m, today, catalogue_names or {})},
        )
    await session.commit()
    return len(by_user), len(items)


def _sections(
    t: BoundTranslator, items: list[Item], today: date, names: dict[str, dict[str, str]]
) -> list[dict]:
    sections = []
    for occasion in OCCASIONS:
        mine = sorted((i for i in items if i.occasion == occasion), key=lambda i: (i.day, i.name))
        if not mine:
            continue
        examples = []
        for i in mine[:EXAMPLES]:
            named = occasion in ("indicators", "reviews")
            what = names.get(i.what, {}).get(t.locale, i.what) if named else i.what

            if occasion.startswith("report"):
                what = t(f"visit.{i.what}")
            examples.append(
                {"name": i.name, "what": what, "day": i.day.isoformat(), "days": abs((today - i.day).days)}
            )
        sections.append(
            {
                "title": t(f"reminders.{occasion}", n=len(mine)),
                "examples": examples,
                "more": len(mine) - len(examples),
            }
        )
    return sections


def _buttons(t: BoundTranslator, occasions: set[str]) -> InlineKeyboardMarkup | None:
    kb = InlineKeyboardBuilder()
    if occasions & OWNER_OCCASIONS:
        kb.button(text=t("notice.open_hazards"), callback_data=ListCb(what="hazards"))
    if occasions & STAFF_OCCASIONS:
        kb.button(text=t("notice.open_due"), callback_data=ListCb(what="due"))
    if "reviews" in occasions:
        kb.button(text=t("notice.open_review"), callback_data=ListCb(what="review"))
    return kb.as_markup() if kb.buttons else None
