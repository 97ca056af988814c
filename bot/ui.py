"""Small pieces the dialogs share: step buttons, date input, text limits."""

from __future__ import annotations

import re
from datetime import date, timedelta

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import LOCALES
from domain.dates import read_day

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class StepCb(CallbackData, prefix="step"):
    action: str  # today | done | skip | default


def step_button(text: str, action: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=text, callback_data=StepCb(action=action))
    return kb.as_markup()


def parse_day(text: str, today: date | None = None) -> date | None:
    """A date a person typed, relative to `today` (明天, 下周五, +7 …); without `today`, only
    the YYYY-MM-DD form that dialogs store."""
    if today is not None:
        return read_day(text, today)
    text = text.strip()
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def typed_choice(text: str | None, t, labels: dict[str, str]) -> str | None:
    """The choice whose button label (`labels`: choice → text key) a person typed instead of
    pressing it, in either language, ignoring spaces, case and emoji; None when none matches."""
    said = _bare(text or "")
    if not said:
        return None
    for choice, key in labels.items():
        if any(_bare(t.translator(key, loc)) == said for loc in LOCALES):
            return choice
    return None


def _bare(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def date_hint(t, today: date) -> str:
    """What a person may type for a date, with examples computed from today."""
    return t("dialog.date_format", example=(today + timedelta(days=7)).isoformat())


def fits(text: str | None, limit: int, least: int = 2) -> bool:
    """At most `limit` characters, of which at least `least` are letters, digits or CJK:
    an emoji or a dot alone is not a reason, a description or a note."""
    return bool(text) and len(text) <= limit and sum(c.isalnum() for c in text) >= least


async def collect_photo(message: Message, t, state: FSMContext, item: str, limit: int) -> bool:
    """Add one photo to the dialog's draft; True once `limit` photos are in (then the caller
    moves on), otherwise the person is told the count and offered Done."""
    photos = (await state.get_data()).get("photos", [])
    photos.append(item)
    await state.update_data(photos=photos)
    if len(photos) >= limit:
        return True
    await message.answer(
        t("dialog.photo_received", n=len(photos), limit=limit),
        reply_markup=step_button(t("dialog.done"), "done"),
    )
    return False


async def settle_press(query: CallbackQuery) -> None:
    """Answer a button press and take the buttons off its message, so it is not pressed twice."""
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
