"""/tip (or the QR code's tip_ link): file an anonymous tip, reviewed before it is sent."""

from __future__ import annotations

import base64
from html import unescape  # a button's label is plain text, not HTML

from aiogram import Bot
from aiogram.filters import CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import BoundTranslator
from bot.images import ImageRefused, clean_image
from bot.tip_guard import TipGuard
from bot.ui import StepCb, ask, ask_again, collect_photo, fits, settle_press, step_button
from bot.viewer import Viewer
from domain.anonymity import TipKeys
from domain.enums import TipCategory, TipTarget
from domain.tip_rules import MAX_PHOTO_BYTES, MAX_PHOTOS, TEXT_MAX, TEXT_MIN, text_fits
from handlers.tips.common import MAX_TOWNSHIPS, UNLISTED, CategoryCb, TargetCb, TipDialog, TownshipCb
from storage import tips as store
from storage.models import Division
from storage.profiles import by_public_code


async def tip_command(
    message: Message, t: BoundTranslator, viewer: Viewer, state: FSMContext, tip_guard: TipGuard
) -> None:
    if not await _may_file(message, t, viewer, tip_guard):
        return
    await state.clear()
    await state.set_state(TipDialog.target)
    await message.answer(
        t("tip.intro", min=TEXT_MIN, max=TEXT_MAX, photos=MAX_PHOTOS) + "\n\n" + t("tip.ask_target")
    )


async def tip_link(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    state: FSMContext,
    tip_guard: TipGuard,
) -> None:
    enterprise = await by_public_code(session, command.args.removeprefix("tip_"))
    if enterprise is None:
        await message.answer(t("start.bad_link"))
        return
    if not await _may_file(message, t, viewer, tip_guard):
        return
    await state.clear()
    await state.update_data(kind=TipTarget.enterprise, target_id=enterprise.id, target_name=enterprise.name)
    await message.answer(t("tip.intro", min=TEXT_MIN, max=TEXT_MAX, photos=MAX_PHOTOS))
    await _ask_category(message, t, state, enterprise.name)


async def _may_file(message: Message, t, viewer: Viewer, tip_guard: TipGuard) -> bool:
    if await tip_guard.tips_left(viewer.user_id) <= 0:
        await message.answer(t("tip.limit", limit=tip_guard.daily_limit))
        return False
    return True


async def tip_target_text(
    message: Message, t: BoundTranslator, session: AsyncSession, state: FSMContext
) -> None:
    query = (message.text or "").strip()
    if not 2 <= len(query) <= 100:
        await message.answer(t("tip.ask_target"))
        return
    found = await store.find_targets(session, query)
    kb = InlineKeyboardBuilder()
    for target in found:
        kb.button(
            text=unescape(t("label.tip_target", kind=t(f"tip.kind_{target.kind}"), name=target.name[:50])),
            callback_data=TargetCb(kind=target.kind, target_id=target.id),
        )
    # A workshop nobody registered is exactly what a tip may be about.
    kb.button(text=t("tip.not_listed"), callback_data=TargetCb(kind=UNLISTED, target_id=0))
    kb.adjust(1)
    await ask(message, state, t("tip.choose_target" if found else "tip.no_target"), kb.as_markup())


async def tip_target_chosen(
    query: CallbackQuery,
    callback_data: TargetCb,
    t: BoundTranslator,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    if callback_data.kind == UNLISTED:
        await settle_press(query)
        await state.set_state(TipDialog.unlisted_name)
        await ask(query.message, state, t("tip.ask_unlisted_name"))
        return
    target = await store.target_by(session, callback_data.kind, callback_data.target_id)
    if target is None:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await query.answer()
    await state.update_data(kind=target.kind, target_id=target.id, target_name=target.name)
    await query.message.edit_reply_markup(reply_markup=None)
    await _ask_category(query.message, t, state, target.name)


async def tip_unlisted_name(
    message: Message, t: BoundTranslator, session: AsyncSession, state: FSMContext
) -> None:
    if not fits(message.text, 100):
        await message.answer(t("dialog.text_limit", limit=100))
        return
    towns = await townships(session)
    if not towns:
        await message.answer(t("tip.no_townships"))
        return
    await state.update_data(unlisted_name=message.text.strip())
    await state.set_state(TipDialog.township)
    kb = InlineKeyboardBuilder()
    for code, name in towns:
        kb.button(text=name[:30], callback_data=TownshipCb(code=code))
    kb.adjust(2)
    await ask(message, state, t("tip.ask_township", name=message.text.strip()), kb.as_markup())


async def tip_township(
    query: CallbackQuery,
    callback_data: TownshipCb,
    t: BoundTranslator,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    place = dict(await townships(session)).get(callback_data.code)
    if place is None:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await settle_press(query)
    name = (await state.get_data())["unlisted_name"]
    label = t("tip.unlisted_target", name=name, place=place)
    await state.update_data(kind=UNLISTED, target_id=0, target_name=label, division=callback_data.code)
    await _ask_category(query.message, t, state, label)


async def townships(session: AsyncSession) -> list[tuple[str, str]]:
    """The county's townships by name: where a workplace outside the register is."""
    rows = await session.execute(
        select(Division.code, Division.name).where(func.length(Division.code) == 9).order_by(Division.code)
    )
    return [tuple(r) for r in rows.all()][:MAX_TOWNSHIPS]


async def _ask_category(message: Message, t, state: FSMContext, name: str) -> None:
    await state.set_state(TipDialog.category)
    kb = InlineKeyboardBuilder()
    for category in TipCategory:
        kb.button(text=t(f"tip.category_{category}"), callback_data=CategoryCb(category=category))
    kb.adjust(1)
    await ask(message, state, t("tip.ask_category", name=name), kb.as_markup())


async def tip_category(
    query: CallbackQuery, callback_data: CategoryCb, t: BoundTranslator, state: FSMContext
) -> None:
    if callback_data.category not in TipCategory.__members__:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await query.answer()
    await state.update_data(category=callback_data.category)
    await state.set_state(TipDialog.text)
    await query.message.edit_text(
        t("tip.category_chosen", category=t(f"tip.category_{callback_data.category}"))
    )
    await ask(query.message, state, t("tip.ask_text", min=TEXT_MIN, max=TEXT_MAX))


async def tip_text(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    await _take_text(message, t, state, message.text)


async def _take_text(message: Message, t, state: FSMContext, typed: str | None) -> None:
    text = (typed or "").strip()
    if not text_fits(text):
        await message.answer(t("tip.text_length", min=TEXT_MIN, max=TEXT_MAX, n=len(text)))
        return
    photos = (await state.get_data()).get("photos", [])  # sent before they were asked for
    kept = len(photos)
    await state.update_data(text=text, photos=photos)
    if kept >= MAX_PHOTOS:
        await _review(message, t, state)
        return
    await state.set_state(TipDialog.photos)
    question = (
        t("confirm.tip_ask_more_photos", n=kept, left=MAX_PHOTOS - kept)
        if kept
        else t("tip.ask_photos", limit=MAX_PHOTOS)
    )
    await ask(message, state, question, step_button(t("dialog.done"), "done"))


async def tip_photo_early(
    message: Message, t: BoundTranslator, state: FSMContext, bot: Bot, settings: Settings
) -> None:
    """A photo sent before the photos are asked for (at the target, the category or the text)
    is kept for the tip, cleaned like the others; the question still open is put again with
    its buttons. A caption sent with it at the text step is the text."""
    photos = (await state.get_data()).get("photos", [])
    if len(photos) >= MAX_PHOTOS:
        await message.answer(t("confirm.tip_photos_full", limit=MAX_PHOTOS))
    else:
        try:
            photos.append(base64.b64encode(await cleaned_image(message, bot, settings)).decode())
            await state.update_data(photos=photos)
            await message.answer(t("confirm.tip_photo_kept", n=len(photos), limit=MAX_PHOTOS))
        except ImageRefused:
            await message.answer(t("confirm.tip_photo_unusable"))
    if await state.get_state() == TipDialog.text and message.caption:
        await _take_text(message, t, state, message.caption)
    elif not await ask_again(message, state):
        await message.answer(t("tip.ask_target"))


async def tip_photo(
    message: Message, t: BoundTranslator, state: FSMContext, bot: Bot, settings: Settings
) -> None:
    try:
        photo = await cleaned_image(message, bot, settings)
    except ImageRefused as exc:
        await message.answer(
            image_refusal(t, exc, settings), reply_markup=step_button(t("dialog.done"), "done")
        )
        return
    if await collect_photo(message, t, state, base64.b64encode(photo).decode(), MAX_PHOTOS):
        await _review(message, t, state)


async def cleaned_image(message: Message, bot: Bot, settings: Settings) -> bytes:
    """The photo re-encoded without metadata; an image sent as a file too (ImageRefused)."""
    source = message.photo[-1] if message.photo else message.document
    if message.document is not None and (message.document.file_size or 0) > MAX_PHOTO_BYTES:
        raise ImageRefused("too_large")
    data = await bot.download(source)
    return await clean_image(data.read(), int(settings.image_max_megapixels * 1_000_000))


def image_refusal(t: BoundTranslator, exc: ImageRefused, settings: Settings) -> str:
    if exc.reason == "too_large":
        return t("tip.image_too_large", mp=f"{settings.image_max_megapixels:g}")
    return t("tip.image_refused")


async def tip_photos_done(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    await settle_press(query)
    await _review(query.message, t, state)


async def tip_photo_expected(message: Message, t: BoundTranslator) -> None:
    await message.answer(t("dialog.photo_expected"), reply_markup=step_button(t("dialog.done"), "done"))


async def _review(message: Message, t, state: FSMContext) -> None:
    data = await state.get_data()
    await state.set_state(TipDialog.review)
    kb = InlineKeyboardBuilder()
    kb.button(text=t("tip.confirm"), callback_data=StepCb(action="confirm"))
    kb.button(text=t("tip.discard"), callback_data=StepCb(action="discard"))
    review = t(
        "tip.review",
        name=data["target_name"],
        category=t(f"tip.category_{data['category']}"),
        text=data["text"],
        photos=len(data["photos"]),
    )
    await ask(message, state, review, kb.as_markup())


async def tip_confirm(
    query: CallbackQuery,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    state: FSMContext,
    tip_guard: TipGuard,
    tip_keys: TipKeys,
    settings: Settings,
) -> None:
    await settle_press(query)
    data = await state.get_data()
    await state.clear()  # the draft is gone whatever happens next
    if await tip_guard.tips_left(viewer.user_id) <= 0:
        await query.message.answer(t("tip.limit", limit=tip_guard.daily_limit))
        return
    if data["kind"] == UNLISTED:  # the name goes with the sealed text; the township routes it
        target = store.Target(UNLISTED, 0, data["target_name"], data["division"])
        data["text"] = f"{data['target_name']}\n{data['text']}"
    else:
        target = await store.target_by(session, data["kind"], data["target_id"])
    if target is None:
        await query.message.answer(t("tip.no_target"))
        return
    photos = [base64.b64decode(p) for p in data["photos"]]
    receipt = await store.file_tip(
        session, tip_keys, target, data["category"], data["text"], photos, settings.default_jurisdiction
    )
    await tip_guard.count_tip(viewer.user_id)
    await query.message.answer(t("tip.filed", receipt=receipt))


async def private_only(message: Message, t: BoundTranslator) -> None:
    await message.answer(t("tip.private_only"))


async def private_only_press(query: CallbackQuery, t: BoundTranslator) -> None:
    await query.answer(t("tip.private_only"), show_alert=True)
