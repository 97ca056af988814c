"""/tips for regulators: read, review, answer and close the tips of their jurisdiction.
Every action re-checks the jurisdiction; staff and owners never reach this router."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clipping import clip
from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator
from bot.paging import Page, PageCb, pager_buttons, paginate
from bot.ui import ask, fits, reask, show_card
from domain.anonymity import TipKeys
from domain.enums import Role, TipStatus
from handlers.lookup import jurisdictions
from storage import tips as store
from storage.clock import local
from storage.models import Tip

ACTIONS = ("review", "reply", "note", *store.CLOSED)
LIST_PAGE = 10


class OpenTipCb(CallbackData, prefix="tip"):
    tip_id: int


class TipActionCb(CallbackData, prefix="ta"):
    action: str
    tip_id: int


class AnswerDialog(StatesGroup):
    text = State()


class CloseDialog(StatesGroup):
    reply = State()  # the outcome the tipster will read, asked before a tip is closed for good


def _when(tip_hour, settings: Settings) -> str:
    return local(tip_hour, settings.tz).strftime("%Y-%m-%d %H:00")


async def tips_command(
    message: Message, t: BoundTranslator, viewer, session: AsyncSession, settings: Settings
) -> None:
    page = await _tips_page(t, viewer, session, settings, 0)
    if page is None:
        await message.answer(t("tips.none"))
        return
    await message.answer(page[0], reply_markup=page[1])


async def tips_page(
    query: CallbackQuery,
    callback_data: PageCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    page = await _tips_page(t, viewer, session, settings, callback_data.page)
    if page is None:
        await query.answer(t("tips.none"), show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(page[0], reply_markup=page[1])


async def _tips_page(t, viewer, session, settings, page: int):
    page = max(page, 0)
    tips, total = await store.for_regulator(session, jurisdictions(viewer), LIST_PAGE, page * LIST_PAGE)
    if not total:
        return None
    kb = InlineKeyboardBuilder()
    items = []
    for tip in tips:
        target = await store.target_by(session, tip.target_kind, tip.enterprise_id or tip.agency_id)
        items.append(
            {
                "id": tip.id,
                "status": t(f"tipstatus.{tip.status}"),
                "category": t(f"tip.category_{tip.category}"),
                # An unregistered workshop's name is sealed in the tip; the list says what it is.
                "target": clip(target.name, 60) if target else t(f"tip.kind_{tip.target_kind}"),
                "when": _when(tip.created_hour, settings),
            }
        )
        kb.button(text=f"#{tip.id}", callback_data=OpenTipCb(tip_id=tip.id))
    kb.adjust(5)
    kb.row(*pager_buttons("tips", Page(items, page, -(-total // LIST_PAGE))))
    return t("tips.list", items=items), kb.as_markup()


async def _visible_tip(session, viewer, tip_id: int) -> Tip | None:
    tip = await session.get(Tip, tip_id)
    return tip if tip is not None and store.visible(jurisdictions(viewer), tip) else None


async def open_tip(
    query: CallbackQuery,
    callback_data: OpenTipCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
    tip_keys: TipKeys,
    state: FSMContext,
) -> None:
    tip = await _visible_tip(session, viewer, callback_data.tip_id)
    if tip is None:
        await query.answer(t("tips.not_yours"), show_alert=True)
        return
    await query.answer()
    if await state.get_state() in (AnswerDialog.text.state, CloseDialog.reply.state):
        await state.clear()  # a reply goes to the tip whose card asked for it, not to this one
    photos = await store.attachments(session, tip_keys, tip.id)
    for n, photo in enumerate(photos, start=1):
        await query.message.answer_photo(BufferedInputFile(photo, filename=f"tip-{tip.id}-{n}.jpg"))
    text, markup = await _detail(tip, t, session, settings, tip_keys, len(photos), 0)
    await show_card(query.message, state, text, markup)  # 「属实」 typed closes it as pressed


async def thread_page(
    query: CallbackQuery,
    callback_data: PageCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
    tip_keys: TipKeys,
) -> None:
    tip = await _visible_tip(session, viewer, int(callback_data.arg or 0))
    if tip is None:
        await query.answer(t("tips.not_yours"), show_alert=True)
        return
    await query.answer()
    photos = len(await store.attachments(session, tip_keys, tip.id))
    text, markup = await _detail(tip, t, session, settings, tip_keys, photos, callback_data.page)
    await query.message.edit_text(text, reply_markup=markup)


async def _detail(tip: Tip, t, session, settings, tip_keys: TipKeys, photos: int, page: int):
    """The tip and its thread, paged by message when the thread outgrows one."""
    target = await store.target_by(session, tip.target_kind, tip.enterprise_id or tip.agency_id)
    thread = [
        {"who": t(f"tips.author_{m['author']}"), "when": _when(m["hour"], settings), "text": m["text"]}
        for m in await store.messages(session, tip_keys, tip.id, ("tipster", "regulator", "note"))
    ]
    params = {
        "id": tip.id,
        "kind": t(f"tip.kind_{tip.target_kind}"),
        "target": target.name if target else "",
        "category": t(f"tip.category_{tip.category}"),
        "status": t(f"tipstatus.{tip.status}"),
        "when": _when(tip.created_hour, settings),
        "text": store.text_of(tip_keys, tip),
        "photos": photos,
    }
    text, shown = paginate(lambda part: t("tips.detail", thread=part, **params), thread, page)
    kb = InlineKeyboardBuilder()
    if tip.status == TipStatus.new:
        kb.button(text=t.label("tips.do_review"), callback_data=TipActionCb(action="review", tip_id=tip.id))
    kb.button(text=t.label("tips.do_reply"), callback_data=TipActionCb(action="reply", tip_id=tip.id))
    kb.button(text=t.label("tips.do_note"), callback_data=TipActionCb(action="note", tip_id=tip.id))
    if tip.status not in store.CLOSED:
        for status in store.CLOSED:
            kb.button(
                text=t.label(f"tips.do_{status}"), callback_data=TipActionCb(action=status, tip_id=tip.id)
            )
    kb.adjust(3)
    kb.row(*pager_buttons("tv", shown, str(tip.id)))
    return text, kb.as_markup()


async def tip_action(
    query: CallbackQuery,
    callback_data: TipActionCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    tip_keys: TipKeys,
) -> None:
    tip = await _visible_tip(session, viewer, callback_data.tip_id)
    if tip is None or callback_data.action not in ACTIONS:
        await query.answer(t("tips.not_yours"), show_alert=True)
        return
    if callback_data.action in ("reply", "note"):
        await query.answer()
        await state.set_state(AnswerDialog.text)
        await state.update_data(tip_id=tip.id, kind=callback_data.action)
        await ask(query.message, state, t(f"tips.ask_{callback_data.action}"))
        return
    if tip.status in store.CLOSED:
        await query.answer(t("tips.closed_final", status=t(f"tipstatus.{tip.status}")), show_alert=True)
        return
    if callback_data.action in store.CLOSED:
        # A closing is final: it waits for the outcome the tipster will read, /cancel keeps it open.
        await query.answer()
        await state.set_state(CloseDialog.reply)
        await state.update_data(tip_id=tip.id, status=callback_data.action, card=query.message.message_id)
        await ask(
            query.message,
            state,
            t("tips.ask_closing", id=tip.id, status=t(f"tipstatus.{callback_data.action}")),
        )
        return
    if not await store.set_status(session, tip, TipStatus.in_review):
        await query.answer(t("tips.closed_final", status=t(f"tipstatus.{tip.status}")), show_alert=True)
        return
    await session.commit()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t("tips.status_set", id=tip.id, status=t(f"tipstatus.{TipStatus.in_review}")))


async def closing_reply(
    message: Message,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    tip_keys: TipKeys,
    bot: Bot,
) -> None:
    data = await state.get_data()
    if not fits(message.text, 2000, least=4):
        await ask(
            message, state, t("tips.ask_closing", id=data["tip_id"], status=t(f"tipstatus.{data['status']}"))
        )
        return
    await state.clear()
    tip = await _visible_tip(session, viewer, data["tip_id"])
    if tip is None:
        await message.answer(t("tips.not_yours"))
        return
    # Only an open tip moves: a stale dialog must not turn substantiated into unfounded.
    if not await store.set_status(session, tip, data["status"]):
        await message.answer(t("tips.closed_final", status=t(f"tipstatus.{tip.status}")))
        return
    await store.add_message(session, tip_keys, tip, "regulator", message.text.strip())
    await session.commit()
    await message.answer(t("tips.closed_with_reply", id=tip.id, status=t(f"tipstatus.{tip.status}")))
    photos = len(await store.attachments(session, tip_keys, tip.id))
    text, markup = await _detail(tip, t, session, settings, tip_keys, photos, 0)
    with contextlib.suppress(TelegramBadRequest):  # the card may be gone; the tip is closed anyway
        await bot.edit_message_text(
            text, chat_id=message.chat.id, message_id=data["card"], reply_markup=markup
        )


async def answer_text(
    message: Message, t: BoundTranslator, viewer, session: AsyncSession, state: FSMContext, tip_keys: TipKeys
) -> None:
    if not fits(message.text, 2000):
        await reask(message, state, t("dialog.text_limit", limit=2000))
        return
    data = await state.get_data()
    await state.clear()
    tip = await _visible_tip(session, viewer, data["tip_id"])
    if tip is None:
        await message.answer(t("tips.not_yours"))
        return
    author = "regulator" if data["kind"] == "reply" else "note"
    await store.add_message(session, tip_keys, tip, author, message.text.strip())
    if tip.status == TipStatus.new:
        await store.set_status(session, tip, TipStatus.in_review)
    await session.commit()
    await message.answer(t(f"tips.saved_{data['kind']}", id=tip.id))


def build_router() -> Router:
    router = Router(name="tip_triage")
    router.message.filter(HasRole(Role.regulator))
    router.callback_query.filter(HasRole(Role.regulator))
    router.message.register(tips_command, Command("tips"))
    router.callback_query.register(open_tip, OpenTipCb.filter())
    router.callback_query.register(tip_action, TipActionCb.filter())
    router.callback_query.register(tips_page, PageCb.filter(F.view == "tips"))
    router.callback_query.register(thread_page, PageCb.filter(F.view == "tv"))
    router.message.register(answer_text, AnswerDialog.text, ~F.text.startswith("/"))
    router.message.register(closing_reply, CloseDialog.reply, ~F.text.startswith("/"))
    return router
