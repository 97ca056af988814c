"""/overdue: the overdue hazards in the regulator's jurisdiction, paged, filtered, exported."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import BoundTranslator
from bot.status_view import days_text
from domain.divisions import covers
from handlers.lookup import jurisdictions
from handlers.regulator.common import OverdueCb, OverdueOpenCb, send_book
from storage import regulator as q
from storage.clock import today as local_today
from storage.division_names import names


async def overdue_command(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
) -> None:
    township, agency = "", ""
    for token in (command.args or "").split():
        if token.isdigit() and len(token) == 9:
            township = token
        else:
            agency = token[:50]
    if township and not any(covers(p, township) for p in jurisdictions(viewer)):
        await message.answer(t("lookup.outside"))
        return
    text, markup = await _overdue_page(t, viewer, session, settings, 0, township, agency)
    await message.answer(text, reply_markup=markup)


async def _overdue_page(t, viewer, session, settings, page: int, township: str, agency: str):
    today = local_today(settings.tz)
    rows, total = await q.overdue(
        session, jurisdictions(viewer), today, township=township, agency_code=agency, page=page
    )
    pages = max(1, -(-total // q.PAGE))
    items = [
        {
            "n": page * q.PAGE + i + 1,
            "name": r.enterprise,
            "description": r.hazard.description,
            "major": r.hazard.level == "major",
            "deadline": r.hazard.deadline.isoformat(),
            "when": days_text(t, r.hazard.deadline, today),
            "agency": r.agency,
            "enforcement": r.enforcement,
        }
        for i, r in enumerate(rows)
    ]
    place = (await names(session, [township])).get(township, township) if township else ""
    text = t(
        "overdue.page", items=items, total=total, page=page + 1, pages=pages, township=place, agency=agency
    )
    kb = InlineKeyboardBuilder()
    for item, r in zip(items, rows, strict=True):  # each button names what it opens
        label = t.label(
            "overdue.open",
            n=item["n"],
            major=item["major"],
            name=r.enterprise[:16],
            description=r.hazard.description[:24],
        )
        kb.button(
            text=label,
            callback_data=OverdueOpenCb(hazard_id=r.hazard.id, page=page, township=township, agency=agency),
        )
    kb.adjust(1)
    nav = []
    if page > 0:
        nav.append(("‹", OverdueCb(action="page", page=page - 1, township=township, agency=agency)))
    if page + 1 < pages:
        nav.append(("›", OverdueCb(action="page", page=page + 1, township=township, agency=agency)))
    if total:
        nav.append(
            (t.label("overdue.export"), OverdueCb(action="export", page=0, township=township, agency=agency))
        )
    kb.row(*(InlineKeyboardButton(text=label, callback_data=data.pack()) for label, data in nav))
    return text, kb.as_markup() if total else None


async def overdue_pressed(
    query: CallbackQuery,
    callback_data: OverdueCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
) -> None:
    if callback_data.township and not any(covers(p, callback_data.township) for p in jurisdictions(viewer)):
        await query.answer(t("lookup.outside"), show_alert=True)
        return
    await query.answer()
    if callback_data.action == "export":
        today = local_today(settings.tz)
        rows, _ = await q.overdue(
            session,
            jurisdictions(viewer),
            today,
            township=callback_data.township,
            agency_code=callback_data.agency,
            per_page=None,
        )
        header = [
            t(f"digest.col_{c}")
            for c in ("enterprise", "division", "description", "level", "found", "deadline", "agency")
        ] + [t("overdue.col_days"), t("overdue.col_enforcement")]
        data = [
            (
                r.enterprise,
                r.division,
                r.hazard.description,
                t(f"level.{r.hazard.level}"),
                r.hazard.found_on,
                r.hazard.deadline,
                r.agency,
                (today - r.hazard.deadline).days,
                "✓" if r.enforcement else "",
            )
            for r in rows
        ]
        scope = callback_data.township or "-".join(jurisdictions(viewer))
        await send_book(
            query.message,
            bot,
            f"overdue-{scope}-{today.isoformat()}.xlsx",
            {t("digest.sheet_overdue"): (header, data)},
            t("book.overdue", n=len(data), day=today.isoformat()),
        )
        return
    text, markup = await _overdue_page(
        t, viewer, session, settings, max(0, callback_data.page), callback_data.township, callback_data.agency
    )
    if text != query.message.text:
        await query.message.edit_text(text, reply_markup=markup)
