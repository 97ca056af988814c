"""Command menus per language and role (setMyCommands). A failure is logged, never fatal."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.i18n import LOCALES, BoundTranslator, Translator
from domain.roles import menu

log = logging.getLogger(__name__)


def commands_for(t: BoundTranslator, roles: set[str]) -> list[BotCommand]:
    return [BotCommand(command=c.name, description=t(f"cmd.{c.name}")) for c in menu(roles)]


async def set_default_menus(bot: Bot, translator: Translator) -> None:
    """Everyone's commands, per language (and the default locale for other languages)."""
    try:
        for locale in LOCALES:
            await bot.set_my_commands(
                commands_for(translator.bind(locale), set()),
                scope=BotCommandScopeDefault(),
                language_code=locale,
            )
        await bot.set_my_commands(
            commands_for(translator.bind(translator.default_locale), set()), scope=BotCommandScopeDefault()
        )
    except TelegramAPIError as exc:
        log.warning("could not set the default command menus: %s", exc)


async def set_user_menu(bot: Bot, t: BoundTranslator, chat_id: int, roles: set[str]) -> None:
    """One chat's menu, for its roles, in its language."""
    try:
        await bot.set_my_commands(commands_for(t, roles), scope=BotCommandScopeChat(chat_id=chat_id))
    except TelegramAPIError as exc:
        log.warning("could not set a chat's command menu: %s", exc)
