"""Everyone's commands: /start, /help, /whoami, /language, /cancel."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import LOCALES, BoundTranslator
from bot.menus import set_user_menu
from bot.ui import in_dialog, settle_press
from bot.viewer import Viewer
from domain.roles import menu
from storage.users import grant_labels, load_user, set_locale


class LanguageCb(CallbackData, prefix="lang"):
    locale: str


def help_text(t: BoundTranslator, viewer: Viewer) -> str:
    return t("help.text", commands=[(c.name, t(f"cmd.{c.name}")) for c in menu(viewer.roles)])


async def start(message: Message, t: BoundTranslator, viewer: Viewer) -> None:
    await message.answer(t("start.welcome") + "\n\n" + help_text(t, viewer))


async def help_command(message: Message, t: BoundTranslator, viewer: Viewer) -> None:
    await message.answer(help_text(t, viewer))


async def whoami(message: Message, t: BoundTranslator, viewer: Viewer, session: AsyncSession) -> None:
    _, grants = await load_user(session, viewer.user_id)
    labels = await grant_labels(session, grants)
    roles = [(t(f"role.{g.role}"), g.target, label) for g, label in zip(grants, labels, strict=True)]
    await message.answer(
        t(
            "whoami.text",
            user_id=viewer.user_id,
            roles=roles,
            admin=viewer.is_admin,
            locale=t(f"locale.{viewer.locale}"),
        )
    )


def language_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for loc in LOCALES:
        kb.button(text={"zh": "中文", "en": "English"}[loc], callback_data=LanguageCb(locale=loc))
    return kb.as_markup()


async def language(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    bot: Bot,
) -> None:
    choice = (command.args or "").strip().lower()
    if not choice:
        await message.answer(t("language.choose"), reply_markup=language_keyboard())
        return
    if choice not in LOCALES:
        await message.answer(t("language.bad", value=choice[:20]), reply_markup=language_keyboard())
        return
    await _switch(session, bot, t, viewer, choice, message.answer)


async def language_pressed(
    query: CallbackQuery,
    callback_data: LanguageCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    bot: Bot,
) -> None:
    if callback_data.locale not in LOCALES:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await settle_press(query)
    await _switch(session, bot, t, viewer, callback_data.locale, query.message.answer)


async def _switch(session, bot, t: BoundTranslator, viewer: Viewer, locale: str, reply) -> None:
    await set_locale(session, viewer.user_id, locale)
    new_t = t.translator.bind(locale)
    await reply(new_t("language.saved"))
    await set_user_menu(bot, new_t, viewer.user_id, viewer.roles)


async def cancel(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    if not await in_dialog(state):
        await state.clear()  # a card's buttons are no longer typed
        await message.answer(t("cancel.nothing"))
        return
    await state.clear()
    await message.answer(t("cancel.done"))


async def discard(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    """A draft's Discard button: what /cancel does, from the review before saving."""
    await state.clear()
    await settle_press(query)
    await query.message.answer(t("cancel.done"))


def build_router() -> Router:
    router = Router(name="common")
    router.message.register(start, CommandStart(deep_link=False), F.text.regexp(r"^/start(@\w+)?$"))
    router.message.register(help_command, Command("help"))
    router.message.register(whoami, Command("whoami"))
    router.message.register(language, Command("language"))
    router.callback_query.register(language_pressed, LanguageCb.filter())
    router.message.register(cancel, Command("cancel"))
    return router
