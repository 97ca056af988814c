"""Small pieces the dialogs share: step buttons, date input, text limits."""

from __future__ import annotations

import re
from datetime import date

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class StepCb(CallbackData, prefix="step"):
    action: str  # today | done | skip | default


def step_button(text: str, action: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=text, callback_data=StepCb(action=action))
    return kb.as_markup()


def parse_day(text: str) -> date | None:
    text = text.strip()
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def fits(text: str | None, limit: int) -> bool:
    return bool(text and text.strip()) and len(text) <= limit
