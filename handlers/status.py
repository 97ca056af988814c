"""What owners and the public see about one enterprise: /status, /qr and the QR's deep link."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.deep_linking import create_start_link
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot import qr
from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator
from bot.status_view import render_card
from bot.viewer import Viewer
from domain.enums import Role
from storage.models import Enterprise
from storage.profiles import by_public_code, enterprises_by_ids


class OwnedCb(CallbackData, prefix="own"):
    action: str  # status | qr
    enterprise_id: int


def owned_ids(viewer: Viewer) -> list[int]:
    return [g.enterprise_id for g in viewer.targets(Role.owner) if g.enterprise_id]


async def _choose_or_run(
    message: Message,
    action: str,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
) -> None:
    owned = await enterprises_by_ids(session, owned_ids(viewer))
    if not owned:
        await message.answer(t("status.no_enterprise"))
        return
    if len(owned) == 1:
        await ACTIONS[action](message, owned[0], t, session, settings, bot)
        return
    kb = InlineKeyboardBuilder()
    for ent in owned:
        kb.button(text=ent.name[:60], callback_data=OwnedCb(action=action, enterprise_id=ent.id))
    kb.adjust(1)
    await message.answer(t("status.choose"), reply_markup=kb.as_markup())


async def status_command(
    message: Message, t: BoundTranslator, viewer: Viewer, session: AsyncSession, settings: Settings, bot: Bot
) -> None:
    await _choose_or_run(message, "status", t, viewer, session, settings, bot)


async def qr_command(
    message: Message, t: BoundTranslator, viewer: Viewer, session: AsyncSession, settings: Settings, bot: Bot
) -> None:
    await _choose_or_run(message, "qr", t, viewer, session, settings, bot)


async def owned_pressed(
    query: CallbackQuery,
    callback_data: OwnedCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
) -> None:
    # Callback data is never trusted: the enterprise must be one this person owns, today.
    if callback_data.action not in ACTIONS or callback_data.enterprise_id not in owned_ids(viewer):
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    enterprise = await session.get(Enterprise, callback_data.enterprise_id)
    await query.answer()
    await ACTIONS[callback_data.action](query.message, enterprise, t, session, settings, bot)


async def send_status(
    message: Message,
    enterprise: Enterprise,
    t: BoundTranslator,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
) -> None:
    await message.answer(await render_card(session, settings, t, enterprise, "status.card", hint="/hazards"))


async def send_qr(
    message: Message,
    enterprise: Enterprise,
    t: BoundTranslator,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
) -> None:
    await bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_DOCUMENT)
    # The public page opens in any phone's scanner (WeChat's too); else the bot's deep link.
    link = settings.public_link(f"/e/{enterprise.public_code}") or await create_start_link(
        bot, f"e_{enterprise.public_code}"
    )
    png = qr.render(link, enterprise.name, t("qr.subtitle"))
    await message.answer_document(
        BufferedInputFile(png, filename=f"safety-qr-{enterprise.uscc}.png"),
        caption=t("qr.caption", name=enterprise.name, link=link),
    )
    pdf = qr.poster(link, enterprise.name, t("qr.poster_line"))
    await message.answer_document(
        BufferedInputFile(pdf, filename=f"safety-qr-poster-{enterprise.uscc}.pdf"),
        caption=t("qr.poster_caption"),
    )


ACTIONS = {"status": send_status, "qr": send_qr}


async def public_status(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
) -> None:
    enterprise = await by_public_code(session, command.args.removeprefix("e_"))
    if enterprise is None:
        await message.answer(t("start.bad_link"))
        return
    tip_link = await create_start_link(bot, f"tip_{enterprise.public_code}")
    button = InlineKeyboardButton(text=t.label("public.tip_button"), url=tip_link)
    await message.answer(
        await render_card(session, settings, t, enterprise, "public.card"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )


def build_router() -> Router:
    router = Router(name="status")
    router.message.register(public_status, CommandStart(deep_link=True, magic=F.args.startswith("e_")))
    router.message.register(status_command, Command("status"), HasRole(Role.owner))
    router.message.register(qr_command, Command("qr"), HasRole(Role.owner))
    router.callback_query.register(owned_pressed, OwnedCb.filter(), HasRole(Role.owner))
    return router
