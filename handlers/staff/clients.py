"""/clients: the agency's clients, a page at a time."""

from __future__ import annotations

from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import BoundTranslator
from bot.viewer import Viewer
from handlers.staff.common import PageCb, agency_of
from storage import inspections as q
from storage.clock import today as local_today


async def clients_command(
    message: Message, t: BoundTranslator, viewer: Viewer, session: AsyncSession, settings: Settings
) -> None:
    text, markup = await _clients_page(t, viewer, session, settings, 0)
    await message.answer(text, reply_markup=markup)


async def clients_page(
    query: CallbackQuery,
    callback_data: PageCb,
    t: BoundTranslator,
    viewer: Viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    text, markup = await _clients_page(t, viewer, session, settings, max(0, callback_data.page))
    await query.answer()
    if query.message.text != text:
        await query.message.edit_text(text, reply_markup=markup)


async def _clients_page(t, viewer, session, settings, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    today = local_today(settings.tz)
    rows, total = await q.clients(session, agency_of(viewer), today, settings.lifecycle(), page)
    pages = max(1, -(-total // q.PAGE))
    items = [
        {
            "name": r.enterprise.name,
            "kinds": "、".join(t(f"contract.{k}") for k in sorted(set(r.kinds))),
            "end": r.end.isoformat(),
            "open": r.open,
            "overdue": r.overdue,
            "last": r.last_visit.isoformat() if r.last_visit else "",
            "missing": r.missing_reports,
        }
        for r in rows
    ]
    text = t("clients.page", items=items, total=total, page=page + 1, pages=pages)
    kb = InlineKeyboardBuilder()
    if page > 0:
        kb.button(text="‹", callback_data=PageCb(page=page - 1))
    if page + 1 < pages:
        kb.button(text="›", callback_data=PageCb(page=page + 1))
    return text, kb.as_markup() if page > 0 or page + 1 < pages else None
