"""Small pieces the dialogs share: step buttons, date input, text limits."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import LOCALES
from domain.dates import read_day

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BRACKETED = re.compile(r"[（(][^）)]*[）)]")


class StepCb(CallbackData, prefix="step"):
    action: str  # today | done | skip | default


def choice_buttons(
    t, values: Iterable[str], label: str, data: Callable[[str], CallbackData], per_row: int = 8
) -> InlineKeyboardMarkup:
    """One button per value, worded by the text key `label` + value."""
    kb = InlineKeyboardBuilder()
    for value in values:
        kb.button(text=t.label(f"{label}{value}"), callback_data=data(value))
    kb.adjust(per_row)
    return kb.as_markup()


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


def _words(text: str) -> str:
    """A label as typed words: bare, or as it stands when it is symbols only (「★★★」)."""
    return _bare(text) or text.strip()


def date_hint(t, today: date, past: bool = False) -> str:
    """What a person may type for a date, with examples computed from today: looking back for
    a day that has been (a visit, an inspection), forward for a deadline."""
    if past:
        example = today - timedelta(days=7)
        return t("dialog.date_format_past", example=example.isoformat(), month=example.month, day=example.day)
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
    await ask(
        message,
        state,
        t("dialog.photo_received", n=len(photos), limit=limit),
        step_button(t("dialog.done"), "done"),
    )
    return False


async def ask(
    message: Message,
    state: FSMContext,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = False,
) -> None:
    """Put a dialog's question (sent, or edited into the pressed message) and remember it with
    its buttons, so whatever does not answer it can be met with the question again."""
    if edit:
        await message.edit_text(text, reply_markup=reply_markup)
        message_id = message.message_id
    else:
        sent = await message.answer(text, reply_markup=reply_markup)
        message_id = sent.message_id
    markup = reply_markup.model_dump(mode="json", exclude_none=True) if reply_markup else None
    step = await state.get_state()
    await state.update_data(asked={"step": step, "text": text, "markup": markup, "message_id": message_id})


class Card(StatesGroup):
    """A view with buttons (a tip, a confirmation) whose words the very next message may type
    instead of pressing one; it asks nothing, so whatever else comes is met as outside a dialog."""

    open = State()


async def show_card(
    message: Message,
    state: FSMContext,
    text: str,
    reply_markup: InlineKeyboardMarkup | None,
    *,
    edit: bool = False,
) -> None:
    """Send (or edit in) a card and let its buttons be typed; in a dialog, the dialog's
    question keeps that place."""
    if await in_dialog(state):
        await (message.edit_text if edit else message.answer)(text, reply_markup=reply_markup)
        return
    await state.clear()
    await state.set_state(Card.open)
    await ask(message, state, text, reply_markup, edit=edit)


async def in_dialog(state: FSMContext) -> bool:
    """A dialog waits for an answer (a card does not)."""
    return await state.get_state() not in (None, Card.open.state)


async def asked_button(state: FSMContext, typed: str | None, exact: bool = False) -> tuple[int, str] | None:
    """The question's message id and the data of its button whose words were typed (ignoring
    spaces, case, emoji and a bracketed detail such as a date), or else (unless `exact`, as in
    a step that takes free text) of the one button whose words contain what was typed
    (「确认」 for 「确认保存」); None if none or several."""
    asked = await asked_again(state)
    said = _words(typed or "")
    if not said or asked is None or not asked["markup"]:
        return None
    buttons = [
        (_words(b["text"]), _words(_BRACKETED.sub("", b["text"])), b["callback_data"])
        for row in asked["markup"]["inline_keyboard"]
        for b in row
        if b.get("callback_data")
    ]
    exact = [data for label, short, data in buttons if said in (label, short)]
    # Words within a button's are taken for it only when they are words: never digits (a
    # typed date is not the button that shows one) and never the words just typed to open
    # this card (the same word sent twice must not confirm what it only asked about).
    loose = len(said) >= 2 and not exact and not any(c.isdigit() for c in said)
    loose = loose and said != (await state.get_data()).get("typed_before")
    within = [data for label, _, data in buttons if said in label] if loose else []
    found = exact or within
    return (asked["message_id"], found[0]) if len(found) == 1 else None


async def remember_typed(state: FSMContext, typed: str | None) -> None:
    """After a typed press: the words, so that the card or question it opened does not take
    the same words again for one of its own buttons."""
    if await state.get_state() is not None:
        await state.update_data(typed_before=_words(typed or ""))


async def asked_again(state: FSMContext) -> dict | None:
    """The question of the dialog's current step, if it was put with ask()."""
    asked = (await state.get_data()).get("asked")
    return asked if asked and asked["step"] == await state.get_state() else None


async def ask_again(message: Message, state: FSMContext) -> bool:
    """The dialog's last question and its buttons once more; False if none was remembered."""
    asked = await asked_again(state)
    if asked is None:
        return False
    markup = InlineKeyboardMarkup.model_validate(asked["markup"]) if asked["markup"] else None
    await message.answer(asked["text"], reply_markup=markup)
    return True


async def reask(message: Message, state: FSMContext, hint: str) -> None:
    """What this step needs (`hint`), then its question once more with its buttons."""
    await message.answer(hint)
    await ask_again(message, state)


def hint_and_question(key: str):
    """A handler for whatever misses a step: the hint `key` (a text key), then the question."""

    async def handler(message: Message, t, state: FSMContext) -> None:
        await reask(message, state, t(key))

    return handler


async def settle_press(query: CallbackQuery) -> None:
    """Answer a button press and take the buttons off its message, so it is not pressed twice."""
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
