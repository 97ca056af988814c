"""Authorisation filters: a handler guarded by a role never sees anyone else."""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, TelegramObject

from bot.viewer import Viewer


class HasRole(Filter):
    def __init__(self, *roles: str) -> None:
        self.roles = roles

    async def __call__(self, event: TelegramObject, viewer: Viewer | None = None) -> bool:
        return viewer is not None and viewer.has(*self.roles)


class InPrivate(Filter):
    """The update comes from a private chat with the bot (a pressed button: the chat of its message)."""

    async def __call__(self, event: TelegramObject) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        chat = getattr(message, "chat", None)
        return chat is not None and chat.type == ChatType.PRIVATE
