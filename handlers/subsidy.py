"""/subsidy YEAR along seed 000's approval path: a township regulator checks the township's
lines (初审: confirm, or flag one with a reason); a county regulator sees the agencies' totals
and each township's progress, then records the county review (审核), the finance decision
(审定) and the publication (公示). Every step re-checks who may take it; the workbook carries
each line's status."""

from __future__ import annotations

from collections import Counter

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator
from bot.paging import Page, PageCb, pager_buttons, paginate
from domain.enums import Role
from handlers.lookup import jurisdictions
from handlers.regulator.common import send_book
from storage import subsidy as q
from storage.clock import today as local_today
from storage.clock import utcnow
from storage.division_names import names


class SubsidyCb(CallbackData, prefix="sub"):
    action: str  # confirm | flag | review | approve | publish | cancel
    year: int
    sure: bool = False  # a step is taken only from its confirmation: none can be undone


class FlagDialog(StatesGroup):
    line = State()


def townships(viewer) -> list[str]:
    return [p for p in jurisdictions(viewer) if len(p) == 9]


def county_prefixes(viewer) -> list[str]:
    return [p for p in jurisdictions(viewer) if len(p) <= 6]


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _why(t: BoundTranslator, v: q.LineView) -> str:
    if v.status == q.Status.flagged:
        return t("subsidy.reason.flagged") + (f"：{v.flag_note}" if t.locale == "zh" else f": {v.flag_note}")
    if v.reason == "months":
        return t("subsidy.reason.months", done=v.months_done, due=v.months_due)
    return t(f"subsidy.reason.{v.reason}") if v.reason else ""


def _paid(views: list[q.LineView]) -> float:
    return sum(v.amount for v in views if v.status != q.Status.flagged)


async def _load(
    session: AsyncSession, settings: Settings, prefixes: list[str], year: int
) -> list[q.LineView]:
    today = local_today(settings.tz)
    for county in await q.counties(session, prefixes):
        await q.prepare(session, county, year, today, settings.subsidy())
    await session.commit()
    return await q.lines(session, prefixes, year)


def _year(text: str, settings: Settings) -> int | None:
    arg = text.strip()
    if arg.isdigit() and len(arg) == 4 and 2000 <= int(arg) <= local_today(settings.tz).year:
        return int(arg)
    return None


async def subsidy_command(
    message: Message,
    command: CommandObject,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    state: FSMContext,
) -> None:
    year = _year(command.args or "", settings)
    if year is None:
        this_year = local_today(settings.tz).year
        await message.answer(t("subsidy.usage", first=2000, last=this_year, example=this_year - 1))
        return
    county = county_prefixes(viewer)
    prefixes = county or townships(viewer)
    views = await _load(session, settings, prefixes, year)
    if not county:
        await state.update_data(subsidy_lines=[v.id for v in views], subsidy_year=year)
    text, markup = await _screen(t, session, year, views, bool(county), 0)
    await message.answer(text, reply_markup=markup)
    if views:
        name = f"subsidy-{'-'.join(prefixes)}-{year}.xlsx"
        await send_book(message, bot, name, _book(t, year, views), t("book.subsidy", year=year, n=len(views)))


async def subsidy_page(
    query: CallbackQuery, callback_data: PageCb, t: BoundTranslator, viewer, session: AsyncSession
) -> None:
    """Another page of the lines (township) or of the agencies (county), buttons kept."""
    county = county_prefixes(viewer)
    year = int(callback_data.arg) if callback_data.arg.isdigit() else 0
    views = await q.lines(session, county or townships(viewer), year)
    text, markup = await _screen(t, session, year, views, bool(county), callback_data.page)
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


async def _screen(
    t: BoundTranslator, session: AsyncSession, year: int, views: list[q.LineView], county: bool, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the year's view with the step buttons the viewer may press and a pager."""
    places = await names(session, [v.division for v in views])
    kb = InlineKeyboardBuilder()
    stage = q.stage(views)
    if county:
        text, shown = _county_text(t, year, views, stage, places, page)
        if stage in q.STEPS:
            kb.button(text=t.label(f"subsidy.do_{stage}"), callback_data=SubsidyCb(action=stage, year=year))
    else:
        text, shown = _township_text(t, year, views, stage, places, page)
        unchecked = sum(v.status == q.Status.computed for v in views)
        if unchecked:
            kb.button(
                text=t.label("subsidy.do_confirm", n=unchecked),
                callback_data=SubsidyCb(action="confirm", year=year),
            )
        if any(v.status in (q.Status.computed, q.Status.confirmed) for v in views):
            kb.button(text=t.label("subsidy.do_flag"), callback_data=SubsidyCb(action="flag", year=year))
    kb.adjust(1)
    kb.row(*pager_buttons("sub", shown, str(year)))
    return text, kb.as_markup() if list(kb.buttons) else None


def _county_text(
    t: BoundTranslator, year: int, views: list[q.LineView], stage: str, places: dict[str, str], page: int
) -> tuple[str, Page]:
    agencies = [
        {
            "code": a.code,
            "name": a.name,
            "inspected": a.inspected,
            "monthly": a.monthly,
            "rate": f"{a.rate:.0%}",
            "cut": f"{a.cut:.0%}" if a.cut else t("subsidy.no_cut"),
            "amount": _money(a.amount),
            "reasons": "、".join(sorted(t(f"subsidy.reason.{r}_short") for r in a.reasons))
            if t.locale == "zh"
            else ", ".join(sorted(t(f"subsidy.reason.{r}_short") for r in a.reasons)),
        }
        for a in q.summarise(views)
    ]
    towns: dict[str, Counter] = {}
    for v in views:
        towns.setdefault(v.division, Counter())[v.status] += 1
    progress = [
        {
            "division": places.get(d, d),
            "lines": sum(c.values()),
            "checked": sum(c.values()) - c[q.Status.computed],
            "flagged": c[q.Status.flagged],
        }
        for d, c in sorted(towns.items())
    ]
    return paginate(
        lambda part: t(
            "subsidy.county",
            year=year,
            agencies=part,
            townships=progress,
            stage=t(f"subsidy.stage.{stage}"),
            total=_money(_paid(views)),
        ),
        agencies,
        page,
    )


def _township_text(
    t: BoundTranslator, year: int, views: list[q.LineView], stage: str, places: dict[str, str], page: int
) -> tuple[str, Page]:
    items = [
        {
            "n": i + 1,
            "name": v.enterprise,
            "agency": v.agency_code,
            "item": t(f"subsidy.item.{v.item}"),
            "amount": _money(v.amount if v.status != q.Status.flagged else 0),
            "why": _why(t, v),
            "status": t(f"subsidy.status.{v.status}"),
        }
        for i, v in enumerate(views)
    ]
    towns = sorted({places.get(v.division, v.division) for v in views})
    return paginate(
        lambda part: t(
            "subsidy.township",
            year=year,
            items=part,
            towns="、".join(towns) if t.locale == "zh" else ", ".join(towns),
            stage=t(f"subsidy.stage.{stage}"),
            total=_money(_paid(views)),
        ),
        items,
        page,
    )


def _book(t: BoundTranslator, year: int, views: list[q.LineView]) -> dict:
    def when(at) -> str:
        return at.strftime("%Y-%m-%d %H:%M") if at else ""

    lines = (
        [
            t(f"subsidy.col_{c}")
            for c in (
                "division",
                "enterprise",
                "uscc",
                "code",
                "name",
                "item",
                "amount",
                "reason",
                "status",
                "flag_note",
                "checked",
                "reviewed",
                "approved",
                "published",
            )
        ],
        [
            (
                v.division,
                v.enterprise,
                v.uscc,
                v.agency_code,
                v.agency,
                t(f"subsidy.item.{v.item}"),
                v.amount if v.status != q.Status.flagged else 0,
                _why(t, v),
                t(f"subsidy.status.{v.status}"),
                v.flag_note,
                f"{v.line.checked_by or ''} {when(v.line.checked_at)}".strip(),
                f"{v.line.reviewed_by or ''} {when(v.line.reviewed_at)}".strip(),
                f"{v.line.approved_by or ''} {when(v.line.approved_at)}".strip(),
                f"{v.line.published_by or ''} {when(v.line.published_at)}".strip(),
            )
            for v in views
        ],
    )
    agencies = (
        [t(f"subsidy.col_{c}") for c in ("code", "name", "comp", "monthly", "rate", "cut", "total")],
        [
            (a.code, a.name, a.inspected, a.monthly, round(a.rate, 4), round(a.cut, 2), a.amount)
            for a in q.summarise(views)
        ],
    )
    return {t("subsidy.sheet_lines"): lines, t("subsidy.sheet_agencies"): agencies}


async def subsidy_pressed(
    query: CallbackQuery,
    callback_data: SubsidyCb,
    t: BoundTranslator,
    viewer,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    action, year, now = callback_data.action, callback_data.year, utcnow()
    if action == "cancel":
        await query.answer()
        await query.message.edit_text(t("subsidy.cancelled"))
        return
    if action in ("confirm", "flag"):
        towns = townships(viewer)
        if not towns:
            await query.answer(t("subsidy.township_only"), show_alert=True)
            return
        await query.answer()
        if action == "flag":
            await state.set_state(FlagDialog.line)
            await query.message.answer(t("subsidy.ask_flag"))
            return
        if not callback_data.sure:
            await _ask_sure(query.message, t, action, year)
            return
        n = sum([await q.confirm(session, p, year, viewer.user_id, now) for p in towns])
        await session.commit()
        await query.message.edit_text(t("subsidy.confirmed", n=n, year=year))
        return
    counties = county_prefixes(viewer)
    if action not in q.STEPS or not counties:
        await query.answer(t("subsidy.county_only"), show_alert=True)
        return
    if not callback_data.sure:
        await query.answer()
        await _ask_sure(query.message, t, action, year)
        return
    counted = 0
    for county in await q.counties(session, counties):
        counted += await q.advance(session, county, year, action, viewer.user_id, now)
    await session.commit()
    if not counted:
        await query.answer(t("subsidy.step_refused"), show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(t(f"subsidy.done_{action}", n=counted, year=year))


async def _ask_sure(message: Message, t: BoundTranslator, action: str, year: int) -> None:
    kb = InlineKeyboardBuilder()
    kb.button(text=t.label("subsidy.sure_yes"), callback_data=SubsidyCb(action=action, year=year, sure=True))
    kb.button(text=t.label("subsidy.sure_no"), callback_data=SubsidyCb(action="cancel", year=year))
    await message.answer(t(f"subsidy.sure_{action}", year=year), reply_markup=kb.as_markup())


async def flag_line(
    message: Message, t: BoundTranslator, viewer, session: AsyncSession, state: FSMContext
) -> None:
    number, _, note = (message.text or "").strip().partition(" ")
    data = await state.get_data()
    ids = data.get("subsidy_lines", [])
    note = note.strip()
    if number.isdigit() and not 1 <= int(number) <= len(ids):
        await message.answer(t("subsidy.no_such_line", n=number, lines=len(ids)))
        return
    if not number.isdigit() or len(note) < 2 or len(note) > 500:
        await message.answer(t("subsidy.ask_flag"))
        return
    await state.clear()
    line = await q.flag(session, townships(viewer), ids[int(number) - 1], note, viewer.user_id, utcnow())
    if line is None:
        await message.answer(t("subsidy.flag_refused"))
        return
    await session.commit()
    await message.answer(t("subsidy.flagged", n=int(number), note=note))


def build_router() -> Router:
    router = Router(name="subsidy")
    router.message.filter(HasRole(Role.regulator))
    router.callback_query.filter(HasRole(Role.regulator))
    router.message.register(subsidy_command, Command("subsidy"))
    router.callback_query.register(subsidy_pressed, SubsidyCb.filter())
    router.callback_query.register(subsidy_page, PageCb.filter(F.view == "sub"))
    router.message.register(flag_line, FlagDialog.line, ~F.text.startswith("/"))
    return router
