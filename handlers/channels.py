"""/channels: admins (everywhere) and regulators (their jurisdiction) register WeCom robots,
DingTalk robots and email addresses, and choose what each receives. The message carrying a
robot's key is deleted from the chat once the key is stored sealed."""

from __future__ import annotations

import contextlib
import re

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import HasRole
from bot.i18n import BoundTranslator
from bot.viewer import Viewer
from channels import store
from domain.anonymity import TipKeys
from domain.divisions import covers, is_jurisdiction
from domain.enums import Role
from storage.models import Channel

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROBOT_KEY = re.compile(r"^[A-Za-z0-9_\-]{8,128}$")


class ChannelCb(CallbackData, prefix="ch"):
    action: str  # topic | delete
    channel_id: int
    topic: str = ""


def _prefixes(viewer: Viewer) -> list[str] | None:
    """None for an admin (every channel); else the regulator's jurisdictions."""
    return None if viewer.is_admin else [g.target for g in viewer.targets(Role.regulator)]


def _may(viewer: Viewer, channel: Channel) -> bool:
    prefixes = _prefixes(viewer)
    return prefixes is None or any(covers(p, channel.jurisdiction) and channel.jurisdiction for p in prefixes)


def _keyboard(t: BoundTranslator, channel: Channel) -> InlineKeyboardMarkup:
    on = store.topics_of(channel)
    kb = InlineKeyboardBuilder()
    for topic in store.TOPICS:
        mark = "✅" if topic in on else "▫️"
        kb.button(
            text=f"{mark} {t.label(f'channels.topic_{topic}')}",
            callback_data=ChannelCb(action="topic", channel_id=channel.id, topic=topic),
        )
    kb.button(
        text=t.label("channels.delete"), callback_data=ChannelCb(action="delete", channel_id=channel.id)
    )
    kb.adjust(2)
    return kb.as_markup()


def _describe(t: BoundTranslator, channel: Channel) -> str:
    return t(
        "channels.item",
        kind=t(f"channels.kind_{channel.kind}"),
        label=channel.label,
        area=channel.jurisdiction or t("channels.everywhere"),
    )


async def channels_command(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    tip_keys: TipKeys,
    bot: Bot,
) -> None:
    if command.args:
        await _register(message, command.args.split(), t, viewer, session, tip_keys, bot)
        return
    found = await store.visible(session, _prefixes(viewer))
    await message.answer(t("channels.usage") + ("" if found else "\n\n" + t("channels.none")))
    for channel in found:
        await message.answer(_describe(t, channel), reply_markup=_keyboard(t, channel))


async def _register(
    message: Message, words: list[str], t, viewer: Viewer, session, keys: TipKeys, bot
) -> None:
    kind, rest = words[0].lower(), words[1:]
    need = {"wecom": 1, "dingtalk": 2, "email": 1}.get(kind)
    if need is None or len(rest) not in (need, need + 1):
        await message.answer(t("channels.usage"))
        return
    values, area = rest[:need], rest[need] if len(rest) > need else None
    if kind == "email" and not EMAIL.match(values[0]):
        await message.answer(t("channels.bad_address"))
        return
    if kind != "email" and not all(ROBOT_KEY.match(v) for v in values):
        await message.answer(t("channels.bad_key"))
        return
    prefixes = _prefixes(viewer)
    if area is None:
        area = "" if prefixes is None else prefixes[0]
    if (area and not is_jurisdiction(area)) or (
        prefixes is not None and not any(covers(p, area) and area for p in prefixes)
    ):
        await message.answer(t("channels.bad_area", area=area))
        return
    secret = {
        "wecom": lambda: {"key": values[0]},
        "dingtalk": lambda: {"token": values[0], "secret": values[1]},
        "email": lambda: {"address": values[0]},
    }[kind]()
    channel = await store.add(session, keys, kind, area, secret, viewer.user_id)
    if kind != "email":
        with contextlib.suppress(TelegramBadRequest):
            await bot.delete_message(message.chat.id, message.message_id)
    await message.answer(t("channels.added", item=_describe(t, channel)), reply_markup=_keyboard(t, channel))


async def channel_pressed(
    query: CallbackQuery, callback_data: ChannelCb, t: BoundTranslator, viewer: Viewer, session: AsyncSession
) -> None:
    channel = await session.get(Channel, callback_data.channel_id)
    if channel is None or not _may(viewer, channel):
        await query.answer(t("channels.not_yours"), show_alert=True)
        return
    if callback_data.action == "delete":
        await store.remove(session, channel)
        await query.answer()
        await query.message.edit_text(t("channels.deleted", item=_describe(t, channel)))
        return
    if callback_data.topic not in store.TOPICS:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    store.toggle(channel, callback_data.topic)
    await session.commit()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=_keyboard(t, channel))


def build_router() -> Router:
    router = Router(name="channels")
    allowed = HasRole(Role.regulator, Role.admin)
    router.message.register(channels_command, Command("channels"), allowed)
    router.callback_query.register(
        channel_pressed, ChannelCb.filter(F.action.in_({"topic", "delete"})), allowed
    )
    return router
