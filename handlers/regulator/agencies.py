"""/agencies: the agencies' figures and grades for a period, their staff, exported."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clipping import clip
from bot.config import Settings
from bot.i18n import BoundTranslator
from bot.paging import PageCb, pager_buttons, paginate
from domain.grading import Period, eligible_for_public_money
from handlers.lookup import jurisdictions
from handlers.regulator.common import AgencyCb, pct, send_book
from storage import regulator as q
from storage.clock import today as local_today


async def agencies_command(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    today = local_today(settings.tz)
    period = Period.parse(command.args or "") if command.args else Period.of(today)
    if period is None or period.start > today:
        await message.answer(t("agencies.usage"))
        return
    page = await _agencies_page(t, viewer, session, settings, period, 0)
    if page is None:
        await message.answer(t("agencies.none", period=period.label))
        return
    await message.answer(page[0], reply_markup=page[1])


async def agencies_page(
    query: CallbackQuery,
    callback_data: PageCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    period = Period.parse(callback_data.arg)
    page = await _agencies_page(t, viewer, session, settings, period, callback_data.page) if period else None
    if page is None:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(page[0], reply_markup=page[1])


async def _agencies_page(t, viewer, session, settings, period: Period, page: int):
    today = local_today(settings.tz)
    rows = await q.agency_figures(
        session, jurisdictions(viewer), period, today, settings.report_due_days, settings.grades()
    )
    if not rows:
        return None
    stored = await q.published(session, period)
    items = [
        {
            "id": r.agency_id,
            "code": r.code,
            "name": r.name,
            "enterprises": r.enterprises,
            "visits": r.visits,
            "ratings": r.ratings,
            "stars": f"{r.stars:.2f}" if r.stars is not None else "—",
            "on_time": pct(r.on_time),
            "closure": pct(r.closure),
            "tips": r.tips,
            "score": r.score,
            "grade": r.grade or "",
            "published": (stored[r.agency_id].grade or "—") if r.agency_id in stored else "",
        }
        for r in rows
    ]
    text, shown = paginate(
        lambda part: t(
            "agencies.list", period=period.label, items=part, more=0, min_ratings=settings.grade_min_ratings
        ),
        items,
        page,
    )
    kb = InlineKeyboardBuilder()
    for item in shown.entries:
        kb.button(
            text=clip(item["code"], 30),
            callback_data=AgencyCb(action="staff", agency_id=item["id"], period=period.label),
        )
    kb.button(
        text=t.label("overdue.export"),
        callback_data=AgencyCb(action="export", agency_id=0, period=period.label),
    )
    kb.adjust(4)
    kb.row(*pager_buttons("ag", shown, period.label))
    return text, kb.as_markup()


async def agency_pressed(
    query: CallbackQuery,
    callback_data: AgencyCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
) -> None:
    period = Period.parse(callback_data.period)
    if period is None:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await query.answer()
    today = local_today(settings.tz)
    if callback_data.action == "export":
        rows = await q.agency_figures(
            session, jurisdictions(viewer), period, today, settings.report_due_days, settings.grades()
        )
        header = [
            t(f"agencies.col_{c}")
            for c in (
                "code",
                "name",
                "enterprises",
                "visits",
                "ratings",
                "stars",
                "on_time",
                "closure",
                "tips",
                "score",
                "grade",
                "public",
            )
        ]
        data = [
            (
                r.code,
                r.name,
                r.enterprises,
                r.visits,
                r.ratings,
                r.stars,
                r.on_time,
                r.closure,
                r.tips,
                r.score if r.grade else None,  # below the minimum ratings a score means nothing
                r.grade or t("agencies.not_graded"),
                "✓" if eligible_for_public_money(r.grade) else "✗",
            )
            for r in rows
        ]
        await send_book(
            query.message,
            bot,
            f"agencies-{'-'.join(jurisdictions(viewer))}-{period.label}.xlsx",
            {period.label: (header, data)},
            t("book.agencies", n=len(data), period=period.label),
        )
        return
    staff = await q.staff_figures(session, callback_data.agency_id, jurisdictions(viewer), period, today)
    await query.message.answer(
        t(
            "agencies.staff",
            period=period.label,
            rows=[
                {
                    "name": name or t("agencies.unattributed"),
                    "visits": n,
                    "stars": f"{s:.2f}" if s is not None else "—",
                }
                for name, n, s in staff
            ],
        )
    )
