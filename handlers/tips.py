"""Anonymous tips for everyone: /tip (or the QR code's tip_ link) and /follow RECEIPT.

Nothing here logs, stores or forwards who the sender is: the draft lives in FSM storage only
until confirm or cancel (keyed by a keyed hash, sealed, forgotten after DIALOG_TTL_MINUTES),
the tip is stored sealed with the hour only, and the receipt shown once is the only link back.
After /follow the dialog state holds nothing: the "add material" button carries the tip's id
sealed, and only a press on it puts the id (sealed) into the state until the material comes."""

from __future__ import annotations

import base64

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import InPrivate
from bot.i18n import BoundTranslator
from bot.images import ImageRefused, clean_image
from bot.paging import PageCb, pager_buttons, paginate
from bot.tip_guard import TipGuard
from bot.ui import StepCb, collect_photo, settle_press, step_button
from bot.viewer import Viewer
from domain.anonymity import TipKeys, looks_like_receipt
from domain.enums import TipCategory, TipTarget
from domain.tip_rules import MAX_PHOTO_BYTES, MAX_PHOTOS, TEXT_MAX, TEXT_MIN, text_fits
from handlers.tip_triage import OpenTipCb, TipActionCb
from storage import tips as store
from storage.models import Tip
from storage.profiles import by_public_code


class TargetCb(CallbackData, prefix="tt"):
    kind: str
    target_id: int


class CategoryCb(CallbackData, prefix="tc"):
    category: str


class FollowCb(CallbackData, prefix="fu"):
    action: str  # add
    ref: str  # the tip's id sealed with the tip keys (fits Telegram's 64 bytes)


class TipDialog(StatesGroup):
    target = State()
    category = State()
    text = State()
    photos = State()
    review = State()


class FollowDialog(StatesGroup):
    receipt = State()
    message = State()


_REF = b"follow-ref"


def _seal_ref(keys: TipKeys, tip_id: int) -> str:
    return base64.urlsafe_b64encode(keys.seal(str(tip_id).encode(), _REF)).decode().rstrip("=")


def _open_ref(keys: TipKeys, ref: str) -> int | None:
    try:
        return int(keys.open(base64.urlsafe_b64decode(ref + "=" * (-len(ref) % 4)), _REF))
    except (ValueError, InvalidTag):
        return None


# ---------------------------------------------------------------- /tip


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


async def tip_target_text(message: Message, t: BoundTranslator, session: AsyncSession) -> None:
    query = (message.text or "").strip()
    if not 2 <= len(query) <= 100:
        await message.answer(t("tip.ask_target"))
        return
    found = await store.find_targets(session, query)
    if not found:
        await message.answer(t("tip.no_target"))
        return
    kb = InlineKeyboardBuilder()
    for target in found:
        kb.button(
            text=f"{t(f'tip.kind_{target.kind}')}: {target.name[:50]}",
            callback_data=TargetCb(kind=target.kind, target_id=target.id),
        )
    kb.adjust(1)
    await message.answer(t("tip.choose_target"), reply_markup=kb.as_markup())


async def tip_target_chosen(
    query: CallbackQuery,
    callback_data: TargetCb,
    t: BoundTranslator,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    target = await store.target_by(session, callback_data.kind, callback_data.target_id)
    if target is None:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await query.answer()
    await state.update_data(kind=target.kind, target_id=target.id, target_name=target.name)
    await query.message.edit_reply_markup(reply_markup=None)
    await _ask_category(query.message, t, state, target.name)


async def _ask_category(message: Message, t, state: FSMContext, name: str) -> None:
    await state.set_state(TipDialog.category)
    kb = InlineKeyboardBuilder()
    for category in TipCategory:
        kb.button(text=t(f"tip.category_{category}"), callback_data=CategoryCb(category=category))
    kb.adjust(1)
    await message.answer(t("tip.ask_category", name=name), reply_markup=kb.as_markup())


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
    await query.message.answer(t("tip.ask_text", min=TEXT_MIN, max=TEXT_MAX))


async def tip_text(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    text = (message.text or "").strip()
    if not text_fits(text):
        await message.answer(t("tip.text_length", min=TEXT_MIN, max=TEXT_MAX, n=len(text)))
        return
    await state.update_data(text=text, photos=[])
    await state.set_state(TipDialog.photos)
    await message.answer(
        t("tip.ask_photos", limit=MAX_PHOTOS), reply_markup=step_button(t("dialog.done"), "done")
    )


async def tip_photo(
    message: Message, t: BoundTranslator, state: FSMContext, bot: Bot, settings: Settings
) -> None:
    try:
        photo = await _clean_image(message, bot, settings)
    except ImageRefused as exc:
        await message.answer(_refusal(t, exc, settings), reply_markup=step_button(t("dialog.done"), "done"))
        return
    if await collect_photo(message, t, state, base64.b64encode(photo).decode(), MAX_PHOTOS):
        await _review(message, t, state)


async def _clean_image(message: Message, bot: Bot, settings: Settings) -> bytes:
    """The photo re-encoded without metadata; an image sent as a file too (ImageRefused)."""
    source = message.photo[-1] if message.photo else message.document
    if message.document is not None and (message.document.file_size or 0) > MAX_PHOTO_BYTES:
        raise ImageRefused("too_large")
    data = await bot.download(source)
    return await clean_image(data.read(), int(settings.image_max_megapixels * 1_000_000))


def _refusal(t: BoundTranslator, exc: ImageRefused, settings: Settings) -> str:
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
    await message.answer(
        t(
            "tip.review",
            name=data["target_name"],
            category=t(f"tip.category_{data['category']}"),
            text=data["text"],
            photos=len(data["photos"]),
        ),
        reply_markup=kb.as_markup(),
    )


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


async def tip_discard(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    await state.clear()
    await settle_press(query)
    await query.message.answer(t("cancel.done"))


# ---------------------------------------------------------------- /follow


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
    tip_id = _open_ref(tip_keys, callback_data.arg)
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
        {"hour": r["hour"].astimezone(settings.tz).strftime("%Y-%m-%d %H:00"), "text": r["text"]}
        for r in await store.messages(session, tip_keys, tip.id, ("regulator",))
    ]
    params = {
        "status": t(f"tipstatus.{tip.status}"),
        "category": t(f"tip.category_{tip.category}"),
        "filed": tip.created_hour.astimezone(settings.tz).strftime("%Y-%m-%d %H:00"),
    }
    text, shown = paginate(lambda part: t("follow.status", replies=part, **params), replies, page)
    ref = _seal_ref(tip_keys, tip.id)
    kb = InlineKeyboardBuilder()
    kb.button(text=t("follow.add"), callback_data=FollowCb(action="add", ref=ref))
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
    tip_id = _open_ref(tip_keys, callback_data.ref)
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
            photos.append(await _clean_image(message, bot, settings))
        except ImageRefused as exc:
            await message.answer(_refusal(t, exc, settings))
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


async def private_only(message: Message, t: BoundTranslator) -> None:
    await message.answer(t("tip.private_only"))


async def private_only_press(query: CallbackQuery, t: BoundTranslator) -> None:
    await query.answer(t("tip.private_only"), show_alert=True)


def build_router() -> Router:
    router = Router(name="tips")
    m, c = router.message.register, router.callback_query.register
    not_command = ~F.text.startswith("/")
    image = F.photo | F.document.mime_type.startswith("image/")
    # In a group everyone would see who tips and what a regulator reads: private chats only.
    group = ~InPrivate()
    m(private_only, Command("tip", "follow", "tips"), group)
    m(private_only, CommandStart(deep_link=True, magic=F.args.startswith("tip_")), group)
    for cb in (TargetCb, CategoryCb, FollowCb, OpenTipCb, TipActionCb):
        c(private_only_press, cb.filter(), group)
    m(tip_link, CommandStart(deep_link=True, magic=F.args.startswith("tip_")))
    m(tip_command, Command("tip"))
    m(follow_command, Command("follow"))
    m(tip_target_text, TipDialog.target, F.text, not_command)
    c(tip_target_chosen, TipDialog.target, TargetCb.filter())
    c(tip_category, TipDialog.category, CategoryCb.filter())
    m(tip_text, TipDialog.text, F.text, not_command)
    m(tip_photo, TipDialog.photos, image)
    c(tip_photos_done, TipDialog.photos, StepCb.filter(F.action == "done"))
    m(tip_photo_expected, TipDialog.photos, not_command)
    c(tip_confirm, TipDialog.review, StepCb.filter(F.action == "confirm"))
    c(tip_discard, TipDialog.review, StepCb.filter(F.action == "discard"))
    m(follow_receipt, FollowDialog.receipt, F.text, not_command)
    c(follow_add, FollowCb.filter(F.action == "add"))
    c(follow_page, PageCb.filter(F.view == "fl"))
    m(follow_message, FollowDialog.message, F.text | F.photo | F.document, not_command)
    return router
