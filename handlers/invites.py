"""Roles by invite: admins create one-time invites, people accept them by deep link."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from aiogram.utils.deep_linking import create_start_link
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator
from bot.menus import set_user_menu
from bot.viewer import Viewer
from domain.anonymity import TipKeys
from domain.enums import Role
from domain.roles import TargetError, normalise_target, role_from_word
from storage.clock import local, utcnow
from storage.users import InviteError, accept_invite, create_invite, enterprises_under


async def accept(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    bot: Bot,
    tip_keys: TipKeys,
) -> None:
    code = command.args.removeprefix("inv_")
    try:
        grant = await accept_invite(
            session,
            tip_keys,
            code,
            viewer.user_id,
            message.from_user.full_name,
            utcnow(),
            message.from_user.language_code,
        )
    except InviteError as exc:
        await message.answer(t(f"invite.refused.{exc}"))
        return
    roles = viewer.roles | {grant.role}
    await message.answer(t("invite.accepted", role=t(f"role.{grant.role}"), target=grant.target))
    await set_user_menu(bot, t, viewer.user_id, roles)


async def invite(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    tip_keys: TipKeys,
) -> None:
    parts = (command.args or "").split()
    if len(parts) != 2:
        await message.answer(t("invite.usage"))
        return
    role, raw_target = role_from_word(parts[0]), parts[1]
    if role is None:
        await message.answer(t("invite.bad.role", value=parts[0][:60]) + "\n" + t("invite.usage"))
        return
    try:
        target = normalise_target(role, raw_target)
        inv, code = await create_invite(
            session, tip_keys, role, target, viewer.user_id, settings.invite_days, utcnow()
        )
    except (TargetError, InviteError) as exc:
        await message.answer(t(f"invite.bad.{exc}", value=raw_target[:60]) + "\n" + t("invite.usage"))
        return
    link = await create_start_link(bot, f"inv_{code}")
    text = t(
        "invite.created",
        role=t(f"role.{role}"),
        target=target,
        link=link,
        code=code,
        expires=local(inv.expires_at, settings.tz).strftime("%Y-%m-%d %H:%M"),
    )
    if role == Role.regulator and not await enterprises_under(session, target):
        text += "\n" + t("invite.empty_jurisdiction", target=target)
    await message.answer(text)


def build_router() -> Router:
    router = Router(name="invites")
    router.message.register(accept, CommandStart(deep_link=True, magic=F.args.startswith("inv_")))
    router.message.register(invite, Command("invite"), HasRole(Role.admin))
    return router
