"""Per-update context: a database session, the acting viewer, and their translator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.i18n import Translator, locale_for
from bot.viewer import Grant, Viewer
from storage.users import load_user


class ContextMiddleware(BaseMiddleware):
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], settings: Settings, translator: Translator
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.translator = translator

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        tg_user: User | None = data.get("event_from_user")
        async with self.sessions() as session:
            data["session"] = session
            if tg_user is not None:
                viewer = await self._viewer(session, tg_user)
                data["viewer"] = viewer
                data["t"] = self.translator.bind(viewer.locale)
            return await handler(event, data)

    async def _viewer(self, session: AsyncSession, tg_user: User) -> Viewer:
        # Reads only: a user row is created when there is something to keep (a role, a language).
        user, grants = await load_user(session, tg_user.id)
        if user is not None and (user.telegram_language != tg_user.language_code or user.unreachable):
            # Notices are sent outside any update: they need the language Telegram reports.
            # Someone who writes to the bot again has unblocked it.
            user.telegram_language = tg_user.language_code
            user.unreachable = False
            await session.commit()
        return Viewer(
            user_id=tg_user.id,
            locale=locale_for(
                user.locale if user else None, tg_user.language_code, self.settings.default_locale
            ),
            is_admin=tg_user.id in self.settings.admin_ids,
            grants=[Grant(g.role, g.target, g.enterprise_id, g.agency_id) for g in grants],
            known=user is not None,
        )
