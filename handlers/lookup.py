"""/enterprise for regulators: one enterprise's full profile, within their jurisdiction."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator
from bot.status_view import render_card
from bot.viewer import Viewer
from domain.divisions import covers
from domain.enums import Role
from storage.models import Enterprise
from storage.profiles import Search, search


class ProfileCb(CallbackData, prefix="prof"):
    enterprise_id: int


def jurisdictions(viewer: Viewer) -> list[str]:
    return [g.target for g in viewer.targets(Role.regulator)]


def covering(viewer: Viewer, enterprise: Enterprise | None) -> str | None:
    """The regulator's narrowest jurisdiction holding the enterprise, or None."""
    if enterprise is None:
        return None
    inside = [p for p in jurisdictions(viewer) if covers(p, enterprise.division)]
    return max(inside, key=len) if inside else None


def choices(
    t, result: Search, button: Callable[[Enterprise], CallbackData]
) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons that let a regulator pick one of several enterprises found."""
    kb = InlineKeyboardBuilder()
    for ent in result.found:
        kb.button(text=ent.name[:60], callback_data=button(ent))
    kb.adjust(1)
    return t("lookup.choose", n=len(result.found), more=result.more), kb.as_markup()


async def enterprise_command(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    query = (command.args or "").strip()
    if not query:
        await message.answer(t("lookup.usage"))
        return
    if len(query) > 100:
        await message.answer(t("lookup.too_long"))
        return
    result = await search(session, jurisdictions(viewer), query)
    if not result.found:
        await message.answer(t("lookup.none", query=query))
    elif len(result.found) == 1:
        await message.answer(
            await render_card(
                session, settings, t, result.found[0], "status.card", detailed=True, hint="/overdue"
            )
        )
    else:
        text, markup = choices(t, result, lambda ent: ProfileCb(enterprise_id=ent.id))
        await message.answer(text, reply_markup=markup)


async def profile_pressed(
    query: CallbackQuery,
    callback_data: ProfileCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    enterprise = await session.get(Enterprise, callback_data.enterprise_id)
    if covering(viewer, enterprise) is None:
        await query.answer(t("lookup.outside"), show_alert=True)
        return
    await query.answer()
    await query.message.answer(
        await render_card(session, settings, t, enterprise, "status.card", detailed=True, hint="/overdue")
    )


def build_router() -> Router:
    router = Router(name="lookup")
    router.message.register(enterprise_command, Command("enterprise"), HasRole(Role.regulator))
    router.callback_query.register(profile_pressed, ProfileCb.filter(), HasRole(Role.regulator))
    return router
