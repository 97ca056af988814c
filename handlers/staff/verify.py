"""/verify: close a submitted rectification or send it back with a reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardButton, InputMediaPhoto, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import BoundTranslator, Translator
from bot.ui import ask, fits, reask, settle_press
from bot.viewer import Viewer
from domain.enums import Role
from domain.lifecycle import Action
from handlers.staff.common import (
    PICK_PAGE,
    RejectDialog,
    VerifyCb,
    VerifyPick,
    WaitingCb,
    WaitingPageCb,
    agency_of,
    refuse,
)
from handlers.staff.hazard import to_hazards
from notifications.notices import notify
from notifications.sender import Sender
from storage import hazards
from storage import inspections as q
from storage.clock import today as local_today
from storage.models import Enterprise, Hazard

REASON_CHARS = 1000  # of the reason a rectification is sent back with


async def verify_command(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    groups, _ = await hazards.waiting_by_enterprise(session, agency_of(viewer), limit=q.PAGE + 1)
    if not groups:
        await message.answer(t("verify.none"))
        return
    if sum(n for _, _, n in groups) <= q.PAGE:
        await _send_waiting(message, t, viewer, session, settings, None)
        return
    await state.set_state(VerifyPick.enterprise)
    await state.update_data(search="")
    text, markup = await _waiting_picker(t, viewer, session, 0, "")
    await ask(message, state, text, markup)


async def _waiting_picker(t, viewer, session, page: int, search: str):
    """One page of the enterprises with rectifications waiting, with page buttons; every
    enterprise can be reached by paging or by typing part of its name."""
    groups, total = await hazards.waiting_by_enterprise(
        session, agency_of(viewer), limit=PICK_PAGE, offset=page * PICK_PAGE, name=search
    )
    pages = max(1, -(-total // PICK_PAGE))
    kb = InlineKeyboardBuilder()
    for eid, name, n in groups:
        kb.button(
            text=t.label("label.waiting_enterprise", name=name[:40], n=n),
            callback_data=WaitingCb(enterprise_id=eid),
        )
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(text="◀️", callback_data=WaitingPageCb(page=page - 1).pack()))
    if page + 1 < pages:
        nav.append(InlineKeyboardButton(text="▶️", callback_data=WaitingPageCb(page=page + 1).pack()))
    kb.adjust(1)
    if nav:
        kb.row(*nav)
    text = t("verify.choose_enterprise", n=total, page=page + 1, pages=pages, search=search)
    return text, kb.as_markup()


async def verify_page(
    query: CallbackQuery,
    callback_data: WaitingPageCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    await query.answer()
    search = (
        (await state.get_data()).get("search", "") if await state.get_state() == VerifyPick.enterprise else ""
    )
    text, markup = await _waiting_picker(t, viewer, session, max(0, callback_data.page), search)
    await query.message.edit_text(text, reply_markup=markup)


async def verify_search(
    message: Message, t: BoundTranslator, viewer: Viewer, session: AsyncSession, state: FSMContext
) -> None:
    search = (message.text or "").strip()[:40]
    _, found = await hazards.waiting_by_enterprise(session, agency_of(viewer), limit=1, name=search)
    if not found:
        await message.answer(t("verify.no_match", search=search))
        search = ""
    await state.update_data(search=search)
    text, markup = await _waiting_picker(t, viewer, session, 0, search)
    await ask(message, state, text, markup)


async def verify_enterprise(
    query: CallbackQuery,
    callback_data: WaitingCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    grace = settings.lifecycle().contract_grace_days
    if (
        await q.serving_contract(
            session, agency_of(viewer), callback_data.enterprise_id, local_today(settings.tz), grace
        )
        is None
    ):
        await query.answer(refuse(t), show_alert=True)
        return
    await query.answer()
    if await state.get_state() == VerifyPick.enterprise:
        await state.clear()
    await _send_waiting(query.message, t, viewer, session, settings, callback_data.enterprise_id)


async def _send_waiting(message: Message, t, viewer, session, settings, enterprise_id: int | None) -> None:
    agency_id = agency_of(viewer)
    today, grace = local_today(settings.tz), settings.lifecycle().contract_grace_days
    waiting = [
        (h, name)
        for h, name in await hazards.waiting_verification(session, agency_id, enterprise_id)
        if await q.serving_contract(session, agency_id, h.enterprise_id, today, grace) is not None
    ]
    if not waiting:
        await message.answer(t("verify.none"))
        return
    await message.answer(t("verify.header", n=len(waiting)))
    for hazard, name in waiting:
        await send_rectification(message, t, session, hazard, name, VerifyCb)


async def send_rectification(message: Message, t, session, hazard, name: str, cb) -> None:
    """A rectification to verify: the hazard's photos and the rectification's as one album,
    then its card with the buttons of `cb` (the agency's or a regulator's)."""
    event, photos = await hazards.latest_event(session, hazard.id, "submitted")
    _, before = await hazards.latest_event(session, hazard.id, "created")
    await before_and_after(message, t, hazard.description, before, photos)
    await message.answer(
        t(
            "verify.item",
            name=name,
            description=hazard.description,
            deadline=hazard.deadline.isoformat(),
            note=event.note if event else "",
            photos=len(photos),
            level=t(f"level.{hazard.level}"),
        ),
        reply_markup=verify_buttons(t, cb, hazard.id),
    )


async def before_and_after(
    message: Message, t, description: str, before: list[str], after: list[str]
) -> None:
    """The hazard's photos and the rectification's, side by side in one album captioned with
    the hazard (an album holds at most 10: the newest of each side are kept)."""
    keep = min(len(before), 5 if after else 10)
    files = before[len(before) - keep :] + after[-(10 - keep) :] if after else before[-keep:]
    if not files:
        return
    caption = t("verify.album", description=description[:300], before=len(before), after=len(after))
    if len(files) == 1:
        await message.answer_photo(files[0], caption=caption)
        return
    media = [InputMediaPhoto(media=f, caption=caption if i == 0 else None) for i, f in enumerate(files)]
    await message.answer_media_group(media)


def verify_buttons(t, cb: type[CallbackData], hazard_id: int):
    """Approve or reject a rectification; `cb` is the agency's or the regulator's callback."""
    kb = InlineKeyboardBuilder()
    kb.button(text=t.label("verify.approve"), callback_data=cb(action="verify", hazard_id=hazard_id))
    kb.button(text=t.label("verify.reject"), callback_data=cb(action="reject", hazard_id=hazard_id))
    return kb.as_markup()


def _confirm_close(t, cb: type[CallbackData], hazard_id: int):
    kb = InlineKeyboardBuilder()
    kb.button(text=t.label("verify.confirm_close"), callback_data=cb(action="confirm", hazard_id=hazard_id))
    kb.button(text=t.label("verify.keep_open"), callback_data=cb(action="keep", hazard_id=hazard_id))
    return kb.as_markup()


# Who may verify which hazard: (session, viewer, settings, hazard id) → the hazard, or None.
Finder = Callable[[AsyncSession, Viewer, Settings, int], Awaitable[Hazard | None]]


async def _verifiable(session, viewer, settings, hazard_id: int) -> Hazard | None:
    agency_id = agency_of(viewer)
    hazard = await session.get(Hazard, hazard_id)
    if hazard is None or hazard.agency_id != agency_id or hazard.status != "submitted":
        return None
    grace = settings.lifecycle().contract_grace_days
    if (
        await q.serving_contract(session, agency_id, hazard.enterprise_id, local_today(settings.tz), grace)
        is None
    ):
        return None
    return hazard


async def verify_pressed(
    query: CallbackQuery,
    callback_data: VerifyCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
    translator: Translator,
) -> None:
    hazard = await _verifiable(session, viewer, settings, callback_data.hazard_id)
    await press_verification(
        query, callback_data, hazard, RejectDialog.reason, t, viewer, session, settings, state, bot, sender,
        translator,
    )  # fmt: skip


async def press_verification(
    query: CallbackQuery,
    callback_data: CallbackData,
    hazard: Hazard | None,
    reject_state: State,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
    translator: Translator,
) -> None:
    """A press on a rectification's card, the same for the agency's /verify and a regulator's
    check of a government finding: `hazard` is None unless the presser may verify it, so a
    forged or stale press gets an alert and changes nothing."""
    action = callback_data.action
    if hazard is None or action not in ("verify", "confirm", "keep", "reject"):
        await query.answer(t("verify.gone"), show_alert=True)
        return
    if action in ("verify", "keep"):
        # Closing cannot be undone: "approve" first asks once more on the same card.
        await query.answer()
        cb = type(callback_data)
        markup = _confirm_close(t, cb, hazard.id) if action == "verify" else verify_buttons(t, cb, hazard.id)
        await query.message.edit_reply_markup(reply_markup=markup)
        return
    await settle_press(query)
    if action == "reject":
        await state.set_state(reject_state)
        await state.update_data(hazard_id=hazard.id)
        await ask(query.message, state, t("verify.ask_reason", description=hazard.description))
        return
    await decide_rectification(
        query.message, hazard, Action.verify, "", t, viewer, session, settings, bot, sender, translator
    )


def reject_reason_handler(find: Finder):
    """The handler of the reason typed for sending a rectification back, the same for the
    agency's /verify and a regulator's check of a government finding; `find` says whether the
    person may still verify the hazard (the dialog may have waited while it changed)."""

    async def reject_reason(
        message: Message,
        t: BoundTranslator,
        viewer: Viewer,
        session: AsyncSession,
        settings: Settings,
        state: FSMContext,
        bot: Bot,
        sender: Sender,
        translator: Translator,
    ) -> None:
        if not fits(message.text, REASON_CHARS):
            await reask(message, state, t("dialog.text_limit", limit=REASON_CHARS))
            return
        hazard_id = (await state.get_data())["hazard_id"]
        await state.clear()
        hazard = await find(session, viewer, settings, hazard_id)
        if hazard is None:
            await message.answer(t("verify.gone"))
            return
        reason = message.text.strip()
        await decide_rectification(
            message, hazard, Action.reject, reason, t, viewer, session, settings, bot, sender, translator
        )

    return reject_reason


reject_reason = reject_reason_handler(_verifiable)


async def decide_rectification(
    message, hazard, action, reason, t, viewer, session, settings, bot, sender, translator
) -> None:
    """Close a rectification or send it back, and tell the owners: the same for the agency's
    verification and a regulator's (of a government finding)."""
    today = local_today(settings.tz)
    if not await hazards.move_hazard(session, hazard, action, viewer.user_id, reason, today=today):
        await session.rollback()
        await message.answer(t("verify.gone"))
        return
    enterprise = await session.get(Enterprise, hazard.enterprise_id)
    owners = await q.users_with_role(session, Role.owner, enterprise_id=hazard.enterprise_id)
    events = len(await hazards.history(session, hazard.id))
    await notify(
        session,
        translator,
        owners,
        f"hazard_{action}",
        f"verify.notice_{action}",
        f"hazard:{hazard.id}:{action}:{events}",
        markup=to_hazards,
        name=enterprise.name,
        description=hazard.description,
        reason=reason,
    )
    await session.commit()
    sender.kick(bot)
    await message.answer(t(f"verify.done_{action}", description=hazard.description, name=enterprise.name))
