"""A button's words typed instead of pressing it count as the press, in every dialog that
asked its question with bot.ui.ask: 「确认」 or 「放弃」 do what the button does. Tried after
the dialogs' own handlers, so a step that takes free text (a date, a search) keeps it, unless
the step tries it first (typed_first), for a comment only on a button's whole words."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import CallbackQuery, Message

from bot.ui import asked_button, in_dialog, remember_typed


class _TypedPress:
    """The bot as the pressed button's handler sees it: there is no callback query to answer,
    so a notice meant for a pop-up is sent as a message instead."""

    def __init__(self, bot: Bot, chat_id: int) -> None:
        self._bot, self._chat_id = bot, chat_id

    async def __call__(self, method: TelegramMethod, request_timeout: int | None = None) -> Any:
        if isinstance(method, AnswerCallbackQuery):
            if method.text:
                await self._bot.send_message(self._chat_id, method.text, parse_mode=None)  # alerts are plain
            return True
        return await self._bot(method, request_timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bot, name)


class TypedButton(Filter):
    """The callback data of the remembered question's button whose words were typed; `read`
    turns other ways of saying it into the button's words (「五星」 into 「★★★★★」); `exact`
    takes only the whole words of a button, where a step takes free text too (a comment that
    merely contains 「跳过」 stays a comment)."""

    def __init__(self, read: Callable[[str], str | None] | None = None, exact: bool = False) -> None:
        self.read, self.exact = read, exact

    async def __call__(self, message: Message, state: FSMContext) -> bool | dict[str, Any]:
        if await state.get_state() is None:
            return False
        typed = message.text
        if self.read is not None and typed:
            typed = self.read(typed) or typed
        found = await asked_button(state, typed, self.exact)
        return {"typed": found} if found else False


def typed_first(
    router: Router, *steps: State, read: Callable[[str], str | None] | None = None, exact: bool = False
) -> None:
    """In steps whose own handler would take any text (a photo step's hint, a date, a
    comment), a button's typed words are tried first."""
    for step in steps:
        router.message.register(typed_press, step, F.text, TypedButton(read, exact))


async def typed_press(
    message: Message, typed: tuple[int, str], bot: Bot, dispatcher: Dispatcher, state: FSMContext, **data: Any
) -> None:
    message_id, callback_data = typed
    if not await in_dialog(state):  # a card's words count once
        await state.clear()
    question = Message.model_validate(
        {"message_id": message_id, "date": message.date, "chat": message.chat.model_dump()},
        context={"bot": bot},
    )
    query = CallbackQuery(
        id=f"typed-{secrets.token_hex(8)}",
        from_user=message.from_user,
        chat_instance=str(message.chat.id),
        message=question,
        data=callback_data,
    ).as_(_TypedPress(bot, message.chat.id))
    await dispatcher.propagate_event(
        "callback_query", query, bot=bot, dispatcher=dispatcher, state=state, **data
    )
    await remember_typed(state, message.text)
