"""Callback data and keyboards used by more than one feature (and by notices in the outbox)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import BoundTranslator


class RateCb(CallbackData, prefix="rate"):
    visit_id: int
    stars: int  # 0: show the star buttons for this visit


class ListCb(CallbackData, prefix="ls"):
    what: str  # hazards | due


def stars_keyboard(visit_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for n in range(1, 6):
        kb.button(text="★" * n, callback_data=RateCb(visit_id=visit_id, stars=n))
    kb.adjust(5)
    return kb.as_markup()


def list_button(t: BoundTranslator, what: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=t.label(f"notice.open_{what}"), callback_data=ListCb(what=what))
    return kb.as_markup()
