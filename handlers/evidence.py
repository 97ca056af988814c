"""/evidence for owners: pick an applicable indicator (paged, what most needs evidence first),
see its history, send photos or documents, the date it was fulfilled and, where the catalogue
gives no validity, the expiry. The indicator then awaits the regulator's review."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator
from bot.ui import StepCb, ask, ask_again, date_hint, parse_day, reask, settle_press, step_button
from bot.viewer import Viewer
from domain.enums import Role
from domain.evidence import date_problem, needs_expiry, picker_order
from domain.indicators import Indicator, load_catalogue
from handlers import files_step
from handlers.status import owned_ids
from handlers.typed_press import typed_first
from storage import evidence as ev
from storage.clock import today as local_today
from storage.models import Enterprise
from storage.profiles import build_profile, enterprises_by_ids

PAGE = 8
STATE_ICONS = {"missing": "⬜", "expired": "⛔", "expiring": "⏳", "submitted": "🕓", "fulfilled": "✅"}


class EvCb(CallbackData, prefix="ev"):
    action: str  # ent | page | pick | send
    enterprise_id: int
    page: int = 0
    code: str = ""


class EvidenceDialog(StatesGroup):
    files = State()
    fulfilled = State()
    expires = State()


async def _owned(session: AsyncSession, viewer: Viewer, enterprise_id: int) -> Enterprise | None:
    """Callback data is never trusted: the enterprise must be one this person owns, today."""
    if enterprise_id not in owned_ids(viewer):
        return None
    return await session.get(Enterprise, enterprise_id)


async def _states(session: AsyncSession, settings: Settings, enterprise: Enterprise):
    catalogue = load_catalogue(settings.indicator_catalogue)
    profile = await build_profile(
        session, enterprise, local_today(settings.tz), catalogue, settings.thresholds()
    )
    return catalogue, profile.compliance


async def evidence_command(
    message: Message, t: BoundTranslator, viewer: Viewer, session: AsyncSession, settings: Settings
) -> None:
    owned = await enterprises_by_ids(session, owned_ids(viewer))
    if not owned:
        await message.answer(t("status.no_enterprise"))
        return
    if len(owned) == 1:
        text, markup = await _page(t, session, settings, owned[0], 0)
        await message.answer(text, reply_markup=markup)
        return
    kb = InlineKeyboardBuilder()
    for ent in owned:
        kb.button(text=ent.name[:60], callback_data=EvCb(action="page", enterprise_id=ent.id))
    kb.adjust(1)
    await message.answer(t("status.choose"), reply_markup=kb.as_markup())


async def _page(t, session, settings, enterprise: Enterprise, page: int):
    catalogue, c = await _states(session, settings, enterprise)
    ordered = picker_order(catalogue, c.indicators)
    pages = max(1, -(-len(ordered) // PAGE))
    page = min(max(page, 0), pages - 1)
    shown = ordered[page * PAGE : (page + 1) * PAGE]
    kb = InlineKeyboardBuilder()
    for ind in shown:
        state = c.indicators[ind.code]
        kb.button(
            text=f"{STATE_ICONS[state]} {ind.name(t.locale)}"[:60],
            callback_data=EvCb(action="pick", enterprise_id=enterprise.id, code=ind.code),
        )
    nav = []
    if page > 0:
        nav.append(("◀", page - 1))
    if page < pages - 1:
        nav.append(("▶", page + 1))
    for label, target in nav:
        kb.button(text=label, callback_data=EvCb(action="page", enterprise_id=enterprise.id, page=target))
    kb.adjust(*([1] * len(shown)), len(nav) or 1)
    text = t(
        "evidence.pick",
        name=enterprise.name,
        fulfilled=c.fulfilled,
        total=c.total,
        page=page + 1,
        pages=pages,
    )
    return text, kb.as_markup()


async def page_pressed(
    query: CallbackQuery,
    callback_data: EvCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    enterprise = await _owned(session, viewer, callback_data.enterprise_id)
    if enterprise is None:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await query.answer()
    text, markup = await _page(t, session, settings, enterprise, callback_data.page)
    await query.message.edit_text(text, reply_markup=markup)


async def _indicator(session, settings, viewer, callback_data: EvCb) -> tuple | None:
    """(enterprise, indicator, compliance) when the press is the owner's, for an indicator
    that applies to the enterprise."""
    enterprise = await _owned(session, viewer, callback_data.enterprise_id)
    if enterprise is None:
        return None
    catalogue, c = await _states(session, settings, enterprise)
    ind = next((i for i in catalogue if i.code == callback_data.code), None)
    if ind is None or ind.code not in c.indicators:
        return None
    return enterprise, ind, c


async def pick_pressed(
    query: CallbackQuery,
    callback_data: EvCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    found = await _indicator(session, settings, viewer, callback_data)
    if found is None:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    enterprise, ind, c = found
    await query.answer()
    rows = await ev.history(session, enterprise.id, ind.code)
    expiry = c.expiry.get(ind.code)
    state = c.indicators[ind.code]
    items = [
        {
            "submitted": sub.submitted_at.date().isoformat(),
            "fulfilled": sub.fulfilled_on.isoformat(),
            "status": t(f"evidence.status_{sub.status}"),
            "reason": sub.reason,
            "files": files,
        }
        for sub, files in rows
    ]
    text = t(
        "evidence.history",
        name=enterprise.name,
        indicator=ind.name(t.locale),
        state=t(f"evidence.state_{state}"),
        expiry=expiry.isoformat() if expiry else "",
        validity=ind.validity_months or 0,
        items=items,
    )
    kb = InlineKeyboardBuilder()
    if ind.code not in await ev.pending_codes(session, enterprise.id):
        kb.button(
            text=t.label("evidence.send_button"),
            callback_data=EvCb(action="send", enterprise_id=enterprise.id, code=ind.code),
        )
    kb.button(text=t.label("evidence.back"), callback_data=EvCb(action="page", enterprise_id=enterprise.id))
    kb.adjust(1)
    await query.message.answer(text, reply_markup=kb.as_markup())


async def send_pressed(
    query: CallbackQuery,
    callback_data: EvCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    found = await _indicator(session, settings, viewer, callback_data)
    if found is None:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    enterprise, ind, _ = found
    if ind.code in await ev.pending_codes(session, enterprise.id):
        await query.answer(t("evidence.already_waiting"), show_alert=True)
        return
    await settle_press(query)
    s = settings.evidence()
    await state.set_state(EvidenceDialog.files)
    await state.update_data(enterprise_id=enterprise.id, code=ind.code, files=[])
    mb = s.max_file_bytes // 2**20
    await ask(
        query.message, state, t("evidence.ask_files", indicator=ind.name(t.locale), limit=s.max_files, mb=mb)
    )


async def file_received(message: Message, t: BoundTranslator, settings: Settings, state: FSMContext) -> None:
    item = await files_step.taken_file(message, t, settings, "evidence.file_expected")
    if item is None:
        await ask_again(message, state)
        return
    files = [*(await state.get_data()).get("files", []), asdict(item)]
    await state.update_data(files=files)
    limit = settings.evidence().max_files
    if len(files) >= limit:
        await _ask_fulfilled(message, t, state)
        return
    done = step_button(t("dialog.done"), "done")
    await ask(message, state, t("evidence.file_received", n=len(files), limit=limit), done)


async def files_done(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    await settle_press(query)
    await _ask_fulfilled(query.message, t, state)


async def _ask_fulfilled(message: Message, t, state: FSMContext) -> None:
    await state.set_state(EvidenceDialog.fulfilled)
    await ask(message, state, t("evidence.ask_fulfilled"), step_button(t("visit.today"), "today"))


async def fulfilled_text(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
) -> None:
    day = parse_day(message.text or "", local_today(settings.tz))
    if day is None:
        await reask(message, state, date_hint(t, local_today(settings.tz), past=True))
        return
    await _fulfilled(message, day, t, viewer, session, settings, state, bot)


async def fulfilled_today(
    query: CallbackQuery,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
) -> None:
    await settle_press(query)
    await _fulfilled(query.message, local_today(settings.tz), t, viewer, session, settings, state, bot)


async def _fulfilled(message, day: date, t, viewer, session, settings, state, bot) -> None:
    if date_problem(day, None, local_today(settings.tz)):
        await reask(message, state, t("evidence.date_future"))
        return
    await state.update_data(fulfilled_on=day.isoformat())
    ind = _catalogue_entry(settings, (await state.get_data())["code"])
    if ind is not None and needs_expiry(ind):
        await state.set_state(EvidenceDialog.expires)
        await ask(message, state, t("evidence.ask_expiry"), step_button(t("evidence.no_expiry"), "skip"))
        return
    await _save(message, None, t, viewer, session, settings, state, bot)


def _catalogue_entry(settings: Settings, code: str) -> Indicator | None:
    return next((i for i in load_catalogue(settings.indicator_catalogue) if i.code == code), None)


async def expiry_text(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
) -> None:
    day = parse_day(message.text or "", local_today(settings.tz))
    if day is None:
        await reask(message, state, date_hint(t, local_today(settings.tz)))
        return
    fulfilled = date.fromisoformat((await state.get_data())["fulfilled_on"])
    if date_problem(fulfilled, day, local_today(settings.tz)):
        await reask(message, state, t("evidence.expiry_before"))
        return
    await _save(message, day, t, viewer, session, settings, state, bot)


async def expiry_skipped(
    query: CallbackQuery,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
) -> None:
    await settle_press(query)
    await _save(query.message, None, t, viewer, session, settings, state, bot)


async def _save(message, expires: date | None, t, viewer, session, settings, state, bot) -> None:
    data = await state.get_data()
    await state.clear()
    # Ownership and the indicator are checked again: the dialog may have outlived a grant.
    found = await _indicator(
        session, settings, viewer, EvCb(action="send", enterprise_id=data["enterprise_id"], code=data["code"])
    )
    if found is None:
        await message.answer(t("callback.invalid"))
        return
    enterprise, ind, _ = found
    if ind.code in await ev.pending_codes(session, enterprise.id):
        await message.answer(t("evidence.already_waiting"))
        return
    kept, note = await files_step.keep(bot, session, settings, t, data["files"])
    await ev.submit(
        session,
        enterprise.id,
        ind.code,
        date.fromisoformat(data["fulfilled_on"]),
        expires,
        viewer.user_id,
        kept,
    )
    await session.commit()
    await message.answer(
        t("evidence.saved", indicator=ind.name(t.locale), name=enterprise.name, files=len(kept)) + note
    )


def build_router() -> Router:
    router = Router(name="evidence")
    router.message.filter(HasRole(Role.owner))
    router.callback_query.filter(HasRole(Role.owner))
    m, c = router.message.register, router.callback_query.register
    not_command = ~F.text.startswith("/")
    m(evidence_command, Command("evidence"))
    c(page_pressed, EvCb.filter(F.action == "page"))
    c(pick_pressed, EvCb.filter(F.action == "pick"))
    c(send_pressed, EvCb.filter(F.action == "send"))
    typed_first(router, EvidenceDialog.files, EvidenceDialog.fulfilled, EvidenceDialog.expires)
    m(file_received, EvidenceDialog.files, not_command)
    c(files_done, EvidenceDialog.files, StepCb.filter(F.action == "done"))
    m(fulfilled_text, EvidenceDialog.fulfilled, not_command)
    c(fulfilled_today, EvidenceDialog.fulfilled, StepCb.filter(F.action == "today"))
    m(expiry_text, EvidenceDialog.expires, not_command)
    c(expiry_skipped, EvidenceDialog.expires, StepCb.filter(F.action == "skip"))
    return router
