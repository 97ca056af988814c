"""/visit: record a visit to a client; the owners are asked to rate it."""

from __future__ import annotations

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import BoundTranslator, Translator
from bot.ui import StepCb, ask, date_hint, fits, parse_day, settle_press, step_button, typed_choice
from bot.viewer import Viewer
from domain.enums import Role, VisitKind
from domain.lifecycle import check_visit_date
from handlers.callbacks import stars_keyboard
from handlers.staff.common import ClientCb, KindCb, VisitDialog, agency_of, refuse
from notifications.notices import notify
from notifications.sender import Sender
from storage import inspections as q
from storage.clock import today as local_today
from storage.models import Agency, Enterprise


async def _client_keyboard(
    t, viewer, session, settings, query: str = ""
) -> tuple[str, InlineKeyboardMarkup | None]:
    rows, total = await q.clients(
        session, agency_of(viewer), local_today(settings.tz), settings.lifecycle(), 0, query
    )
    if not rows:
        return t("visit.no_match" if query else "visit.no_clients"), None
    kb = InlineKeyboardBuilder()
    for r in rows:
        kb.button(text=r.enterprise.name[:60], callback_data=ClientCb(enterprise_id=r.enterprise.id))
    kb.adjust(1)
    return t("visit.choose_client", more=total > len(rows)), kb.as_markup()


async def visit_command(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    text, markup = await _client_keyboard(t, viewer, session, settings)
    if markup is None:
        await message.answer(text)
        return
    await state.set_state(VisitDialog.client)
    await ask(message, state, text, markup)


async def visit_search(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    query = (message.text or "").strip()
    if not fits(query, 100, least=1):
        await message.answer(t("visit.search_hint"))
        return
    text, markup = await _client_keyboard(t, viewer, session, settings, query)
    await ask(message, state, text, markup)


async def visit_client(
    query: CallbackQuery,
    callback_data: ClientCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    contract = await q.serving_contract(
        session, agency_of(viewer), callback_data.enterprise_id, local_today(settings.tz)
    )
    if contract is None:
        await query.answer(refuse(t), show_alert=True)
        return
    await query.answer()
    await state.update_data(enterprise_id=callback_data.enterprise_id, start=contract.start_date.isoformat())
    await state.set_state(VisitDialog.kind)
    await ask(query.message, state, t("visit.choose_kind"), _kind_buttons(t), edit=True)


def _kind_buttons(t):
    kb = InlineKeyboardBuilder()
    for kind in VisitKind:
        kb.button(text=t(f"visit.{kind}"), callback_data=KindCb(kind=kind))
    kb.adjust(2)
    return kb.as_markup()


async def visit_kind(
    query: CallbackQuery, callback_data: KindCb, t: BoundTranslator, state: FSMContext
) -> None:
    if callback_data.kind not in VisitKind.__members__:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await query.answer()
    await state.update_data(kind=callback_data.kind)
    await state.set_state(VisitDialog.day)
    await ask(query.message, state, t("visit.ask_date"), step_button(t("visit.today"), "today"), edit=True)


async def visit_kind_typed(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    """「全面排查」 typed instead of pressed counts as the press; anything else re-asks with the buttons."""
    kind = typed_choice(message.text, t, {k: f"visit.{k}" for k in VisitKind})
    if kind is None:
        await ask(message, state, t("visit.choose_kind"), _kind_buttons(t))
        return
    await state.update_data(kind=kind)
    await state.set_state(VisitDialog.day)
    await ask(message, state, t("visit.ask_date"), step_button(t("visit.today"), "today"))


async def visit_day_text(
    message: Message,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    day = parse_day(message.text or "", local_today(settings.tz))
    if day is None:
        hint = date_hint(t, local_today(settings.tz), past=True)
        await ask(message, state, hint, step_button(t("visit.today"), "today"))
        return
    await _review_visit(message, day, t, viewer, session, settings, state)


async def visit_today(
    query: CallbackQuery,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    await settle_press(query)
    await _review_visit(query.message, local_today(settings.tz), t, viewer, session, settings, state)


async def _serving(message: Message, t, viewer, session, settings, state: FSMContext):
    """The contract the visit is recorded under; None (the dialog ends) once it is gone."""
    data = await state.get_data()
    today = local_today(settings.tz)
    contract = await q.serving_contract(session, agency_of(viewer), data["enterprise_id"], today)
    if contract is None:
        await state.clear()
        await message.answer(refuse(t))
    return contract


async def _review_visit(message: Message, day, t, viewer, session, settings, state: FSMContext) -> None:
    """A visit asks the owners for a rating at once: it is seen whole and confirmed first."""
    contract = await _serving(message, t, viewer, session, settings, state)
    if contract is None:
        return
    problem = check_visit_date(day, local_today(settings.tz), contract.start_date)
    if problem is not None:
        await ask(
            message,
            state,
            t(f"visit.date_{problem}", start=contract.start_date.isoformat()),
            step_button(t("visit.today"), "today"),
        )
        return
    data = await state.get_data()
    enterprise = await session.get(Enterprise, data["enterprise_id"])
    await state.update_data(day=day.isoformat())
    await state.set_state(VisitDialog.confirm)
    kb = InlineKeyboardBuilder()
    kb.button(text=t("confirm.save"), callback_data=StepCb(action="save"))
    kb.button(text=t("confirm.change"), callback_data=StepCb(action="change"))
    kb.button(text=t("confirm.discard"), callback_data=StepCb(action="discard"))
    kb.adjust(1, 2)
    review = t(
        "confirm.visit_review", name=enterprise.name, kind=t(f"visit.{data['kind']}"), date=day.isoformat()
    )
    await ask(message, state, review, kb.as_markup())


async def visit_change(query: CallbackQuery, t: BoundTranslator, state: FSMContext) -> None:
    """Back to the kind and the date; the client stays (another client is another /visit)."""
    await settle_press(query)
    await state.set_state(VisitDialog.kind)
    await ask(query.message, state, t("visit.choose_kind"), _kind_buttons(t))


async def visit_confirmed(
    query: CallbackQuery,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
    translator: Translator,
) -> None:
    await settle_press(query)
    message = query.message
    contract = await _serving(message, t, viewer, session, settings, state)
    if contract is None:
        return
    data = await state.get_data()
    day = parse_day(data["day"])
    agency_id = agency_of(viewer)
    staff = await q.staff_row(session, agency_id, viewer.user_id)
    visit = await q.record_visit(
        session, agency_id, staff.id if staff else None, data["enterprise_id"], day, data["kind"]
    )
    enterprise = await session.get(Enterprise, visit.enterprise_id)
    agency = await session.get(Agency, agency_id)
    owners = await q.users_with_role(session, Role.owner, enterprise_id=visit.enterprise_id)
    await notify(
        session,
        translator,
        owners,
        "rating_request",
        "rate.request",
        f"rate:{visit.id}",
        markup=lambda _t: stars_keyboard(visit.id),
        localize=lambda tt: {"kind": tt(f"visit.{visit.kind}")},
        agency=agency.name,
        name=enterprise.name,
        date=day.isoformat(),
    )
    await session.commit()
    await state.clear()
    sender.kick(bot)
    await message.answer(
        t(
            "visit.saved",
            name=enterprise.name,
            date=day.isoformat(),
            kind=t(f"visit.{visit.kind}"),
            owners=len(owners),
        )
    )
