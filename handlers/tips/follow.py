"""/follow RECEIPT: the tip's replies, and more material added to it."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import BoundTranslator
from bot.images import ImageRefused
from bot.paging import PageCb, pager_buttons, paginate
from bot.tip_guard import TipGuard
from bot.ui import settle_press
from bot.viewer import Viewer
from domain.anonymity import TipKeys, looks_like_receipt
from handlers.tips.common import FollowCb, FollowDialog, open_ref, seal_ref
from handlers.tips.tip import cleaned_image, image_refusal
from storage import tips as store
from storage.clock import local
from storage.models import Tip


async def follow_command(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    state: FSMContext,
    tip_guard: TipGuard,
    tip_keys: TipKeys,
    settings: Settings,
) -> None:
    await state.clear()
    if not command.args:
        await state.set_state(FollowDialog.receipt)
        await message.answer(t("follow.ask_receipt"))
        return
    await _follow(message, command.args, t, viewer, session, state, tip_guard, tip_keys, settings)


async def follow_receipt(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    state: FSMContext,
    tip_guard: TipGuard,
    tip_keys: TipKeys,
    settings: Settings,
) -> None:
    await _follow(message, message.text or "", t, viewer, session, state, tip_guard, tip_keys, settings)


async def _follow(
    message: Message, receipt: str, t, viewer, session, state, tip_guard, tip_keys, settings
) -> None:
    if await tip_guard.throttled(viewer.user_id):
        await state.clear()
        await message.answer(t("follow.slow_down"))
        return
    tip = await store.by_receipt(session, tip_keys, receipt) if looks_like_receipt(receipt[:60]) else None
    if tip is None:
        await tip_guard.miss(viewer.user_id)
        await state.clear()
        await message.answer(t("follow.not_found"))
        return
    await state.clear()  # the dialog state never holds the tip beside the sender
    text, markup = await _follow_page(t, session, tip_keys, settings, tip, 0)
    await message.answer(text, reply_markup=markup)


async def follow_page(
    query: CallbackQuery,
    callback_data: PageCb,
    t: BoundTranslator,
    session: AsyncSession,
    tip_keys: TipKeys,
    settings: Settings,
) -> None:
    tip_id = open_ref(tip_keys, callback_data.arg)
    tip = await session.get(Tip, tip_id) if tip_id else None
    if tip is None:
        await query.answer(t("follow.again"), show_alert=True)
        return
    await query.answer()
    text, markup = await _follow_page(t, session, tip_keys, settings, tip, callback_data.page)
    await query.message.edit_text(text, reply_markup=markup)


async def _follow_page(t, session, tip_keys, settings, tip: Tip, page: int):
    """The tip's status and the regulator's replies, paged by reply. The buttons carry the
    tip's id sealed with the tip keys: nothing about the tip stays in the dialog's state."""
    replies = [
        {"hour": local(r["hour"], settings.tz).strftime("%Y-%m-%d %H:00"), "text": r["text"]}
        for r in await store.messages(session, tip_keys, tip.id, ("regulator",))
    ]
    params = {
        "status": t(f"tipstatus.{tip.status}"),
        "category": t(f"tip.category_{tip.category}"),
        "filed": local(tip.created_hour, settings.tz).strftime("%Y-%m-%d %H:00"),
    }
    text, shown = paginate(lambda part: t("follow.status", replies=part, **params), replies, page)
    ref = seal_ref(tip_keys, tip.id)
    kb = InlineKeyboardBuilder()
    kb.button(text=t.label("follow.add"), callback_data=FollowCb(action="add", ref=ref))
    kb.row(*pager_buttons("fl", shown, arg=ref))
    return text, kb.as_markup()


async def follow_add(
    query: CallbackQuery,
    callback_data: FollowCb,
    t: BoundTranslator,
    session: AsyncSession,
    state: FSMContext,
    tip_keys: TipKeys,
    settings: Settings,
) -> None:
    tip_id = open_ref(tip_keys, callback_data.ref)
    if tip_id is None:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await settle_press(query)
    if await _followups_full(session, tip_id, settings):
        await state.clear()
        await query.message.answer(t("follow.full", limit=settings.tip_followup_limit))
        return
    await state.set_state(FollowDialog.message)
    await state.update_data(tip_id=tip_id)
    await query.message.answer(t("follow.ask_message", max=settings.tip_followup_chars))


async def _followups_full(session: AsyncSession, tip_id: int | None, settings: Settings) -> bool:
    used = await store.count_messages(session, tip_id, "tipster") if tip_id else 0
    return used >= settings.tip_followup_limit


async def follow_message(
    message: Message,
    t: BoundTranslator,
    session: AsyncSession,
    state: FSMContext,
    tip_keys: TipKeys,
    bot: Bot,
    settings: Settings,
) -> None:
    text = (message.text or message.caption or "").strip()
    photos: list[bytes] = []
    if message.photo or message.document:
        try:
            photos.append(await cleaned_image(message, bot, settings))
        except ImageRefused as exc:
            await message.answer(image_refusal(t, exc, settings))
            return
    if len(text) > settings.tip_followup_chars or (not text and not photos):
        await message.answer(t("follow.ask_message", max=settings.tip_followup_chars))
        return
    tip_id = (await state.get_data()).get("tip_id")
    await state.clear()
    tip = await session.get(Tip, tip_id)
    if tip is None:
        await message.answer(t("follow.not_found"))
        return
    if await _followups_full(session, tip.id, settings):
        await message.answer(t("follow.full", limit=settings.tip_followup_limit))
        return
    await store.add_message(session, tip_keys, tip, "tipster", text, photos)
    await session.commit()
    await message.answer(t("follow.added"))
