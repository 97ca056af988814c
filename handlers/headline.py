"""Seed 003's headline figures under /coverage, and the yearly enforcement list as XLSX."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator
from bot.viewer import Viewer
from domain.enums import Role
from domain.indicators import load_catalogue
from handlers.lookup import jurisdictions
from storage.clock import today as local_today
from storage.division_names import label, names
from storage.exports import workbook
from storage.headline import enforcement_list, headline


class EnforcementCb(CallbackData, prefix="enf"):
    action: str  # export


async def headline_text(
    t: BoundTranslator,
    session: AsyncSession,
    settings: Settings,
    prefixes: list[str],
    today: date,
    week_start: date,
) -> str:
    h = await headline(
        session,
        prefixes,
        today,
        week_start,
        settings.thresholds(),
        load_catalogue(settings.indicator_catalogue),
        settings.training_indicator,
        settings.drill_indicator,
    )
    known = await names(session, [d for d, _, _ in h.inspections])
    return t(
        "headline.text",
        today=today.isoformat(),
        n=h.enterprises,
        responsible=h.responsible,
        responsible_rate=f"{h.share(h.responsible):.1%}",
        trained=h.trained,
        trained_rate=f"{h.share(h.trained):.1%}",
        drilled=h.drilled,
        drilled_rate=f"{h.share(h.drilled):.1%}",
        reviews=h.reviews_waiting,
        inspections=[{"division": known.get(d, d), "week": w, "year": y} for d, w, y in h.inspections],
        week_total=sum(w for _, w, _ in h.inspections),
        year_total=sum(y for _, _, y in h.inspections),
    )


async def _enforcement(session: AsyncSession, settings: Settings, prefixes: list[str], today: date):
    return await enforcement_list(
        session, prefixes, today, settings.enforcement_months, settings.self_check_indicator
    )


async def send_headline(
    message: Message, t: BoundTranslator, viewer: Viewer, session: AsyncSession, settings: Settings
) -> None:
    today = local_today(settings.tz)
    prefixes = jurisdictions(viewer)
    text = await headline_text(t, session, settings, prefixes, today, today - timedelta(days=today.weekday()))
    listed = await _enforcement(session, settings, prefixes, today)
    kb = InlineKeyboardBuilder()
    if listed:
        kb.button(text=t("headline.export"), callback_data=EnforcementCb(action="export"))
    await message.answer(
        text + "\n" + t("headline.enforcement", n=len(listed), months=settings.enforcement_months),
        reply_markup=kb.as_markup() if listed else None,
    )


async def export_pressed(
    query: CallbackQuery,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
) -> None:
    await query.answer()
    today = local_today(settings.tz)
    prefixes = jurisdictions(viewer)  # the presser's own jurisdiction, whatever the button
    listed = await _enforcement(session, settings, prefixes, today)
    known = await names(session, [r[0] for r in listed])
    header = [t(f"headline.col_{c}") for c in ("division", "uscc", "name", "industry")]
    data = [(label(d, known), u, n, i) for d, u, n, i in listed]
    await bot.send_chat_action(query.message.chat.id, ChatAction.UPLOAD_DOCUMENT)
    await query.message.answer_document(
        BufferedInputFile(
            workbook({t("headline.sheet"): (header, data)}),
            filename=f"enforcement-{'-'.join(prefixes)}-{today.year}.xlsx",
        ),
        caption=t("book.enforcement", n=len(data), day=today.isoformat(), months=settings.enforcement_months),
    )


def build_router() -> Router:
    router = Router(name="headline")
    router.callback_query.register(
        export_pressed, EnforcementCb.filter(F.action == "export"), HasRole(Role.regulator)
    )
    return router
