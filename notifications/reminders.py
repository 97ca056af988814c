"""Reminders (domain.md "Reminders"), planned with set-based SQL over the whole database.

Each query yields (recipient, item) pairs for one occasion; an item names its hazard, visit or
indicator record, its stage and, for repeated reminders, its repeat window, so the reminder
log (unique per recipient and item) makes a second run the same day send nothing. Each
recipient then gets one message listing all their items with counts."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import Date, Integer, String, and_, cast, exists, func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BoundTranslator, Translator
from domain.enums import HazardLevel, HazardStatus, Role
from domain.reminders import ReminderSettings
from handlers.callbacks import ListCb
from notifications.notices import notify
from storage.compliance import awaiting_check, overdue_at
from storage.models import Enterprise, Hazard, IndicatorRecord, ReminderLog, RoleGrant, ServiceReport, Visit

UNCLOSED = (HazardStatus.open, HazardStatus.submitted)
# Occasions in the order a message lists them; the role that receives each.
OCCASIONS = (
    "escalated",
    "overdue",
    "overdue_clients",
    "verify",
    "soon",
    "report_grace",
    "report_late",
    "report_due",
    "indicators",
)
OWNER_OCCASIONS = {"overdue", "soon", "indicators"}
STAFF_OCCASIONS = {"overdue_clients", "verify", "report_late", "report_due"}
EXAMPLES = 3


@dataclass(frozen=True)
class Item:
    user_id: int
    key: str
    occasion: str
    name: str
    what: str
    day: date


def _days(session: AsyncSession, today: date, column):
    """today − column in days, as an integer expression on either database."""
    if session.bind.dialect.name == "sqlite":
        return cast(func.julianday(literal(today.isoformat())) - func.julianday(column), Integer)
    return literal(today, Date) - column


def _key(*parts) -> object:
    expr = literal(str(parts[0]))
    for part in parts[1:]:
        expr = expr + (literal(part) if isinstance(part, str) else cast(part, String))
    return expr


def _not_logged(key) -> object:
    return ~exists().where(ReminderLog.user_id == RoleGrant.user_id, ReminderLog.item == key)


def _regulator_of_division():
    return and_(RoleGrant.role == Role.regulator, Enterprise.division.like(RoleGrant.target + "%"))


async def plan(session: AsyncSession, today: date, s: ReminderSettings) -> list[Item]:
    """Every reminder item due today that its recipient has not had yet."""
    over = _days(session, today, Hazard.deadline)
    window = (over - 1) // s.repeat_days  # floor division on both databases, as repeat_window
    hazard_cols = (RoleGrant.user_id, Enterprise.name, Hazard.description, Hazard.deadline)
    unclosed = Hazard.status.in_(UNCLOSED)
    queries: list[tuple[str, object, object]] = []

    # A hazard's items name its deadline: an extended deadline starts its reminders afresh.
    soon_key = _key("h", Hazard.id, ":", Hazard.deadline, ":soon")
    queries.append(
        (
            "soon",
            soon_key,
            select(*hazard_cols, soon_key)
            .join(Hazard, Hazard.enterprise_id == RoleGrant.enterprise_id)
            .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
            .where(
                RoleGrant.role == Role.owner,
                Hazard.status == HazardStatus.open,  # a submitted rectification waits for the agency
                Hazard.deadline >= today,
                Hazard.deadline <= today + timedelta(days=s.before_days),
            ),
        )
    )
    over_key = _key("h", Hazard.id, ":", Hazard.deadline, ":over:", window)
    for occasion, recipients in (
        ("overdue", and_(RoleGrant.role == Role.owner, RoleGrant.enterprise_id == Hazard.enterprise_id)),
        ("overdue_clients", and_(RoleGrant.role == Role.staff, RoleGrant.agency_id == Hazard.agency_id)),
    ):
        queries.append(
            (
                occasion,
                over_key,
                select(*hazard_cols, over_key)
                .join(Hazard, recipients)
                .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
                .where(unclosed, overdue_at(today)),
            )
        )
    # Submitted by the deadline and still unchecked after it: the agency is reminded to verify.
    verify_key = _key("h", Hazard.id, ":", Hazard.deadline, ":verify:", window)
    queries.append(
        (
            "verify",
            verify_key,
            select(*hazard_cols, verify_key)
            .join(Hazard, and_(RoleGrant.role == Role.staff, RoleGrant.agency_id == Hazard.agency_id))
            .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
            .where(Hazard.status == HazardStatus.submitted, Hazard.deadline < today, awaiting_check(today)),
        )
    )
    esc_key = _key("h", Hazard.id, ":", Hazard.deadline, ":esc")
    queries.append(
        (
            "escalated",
            esc_key,
            select(*hazard_cols, esc_key)
            .select_from(Hazard)
            .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
            .join(RoleGrant, _regulator_of_division())
            .where(
                unclosed,
                Hazard.deadline < today,
                or_(Hazard.level == HazardLevel.major, over > s.escalate_after_days),
            ),
        )
    )

    report_cols = (RoleGrant.user_id, Enterprise.name, Visit.kind, Visit.date)
    no_report = and_(~exists().where(ServiceReport.visit_id == Visit.id), Visit.kind.in_(s.report_kinds))
    first_late = today - timedelta(days=s.report_due_days)  # visits on this day are due today
    due_key = _key("v", Visit.id, ":due")
    queries.append(
        (
            "report_due",
            due_key,
            select(*report_cols, due_key)
            .join(Visit, and_(RoleGrant.role == Role.staff, RoleGrant.agency_id == Visit.agency_id))
            .join(Enterprise, Enterprise.id == Visit.enterprise_id)
            .where(
                no_report,
                Visit.date <= first_late + timedelta(days=s.report_warn_days),
                Visit.date >= first_late,
            ),
        )
    )
    late_key = _key("v", Visit.id, ":late")
    queries.append(
        (
            "report_late",
            late_key,
            select(*report_cols, late_key)
            .join(Visit, and_(RoleGrant.role == Role.staff, RoleGrant.agency_id == Visit.agency_id))
            .join(Enterprise, Enterprise.id == Visit.enterprise_id)
            .where(no_report, Visit.date < first_late),
        )
    )
    grace_key = _key("v", Visit.id, ":grace")
    queries.append(
        (
            "report_grace",
            grace_key,
            select(*report_cols, grace_key)
            .select_from(Visit)
            .join(Enterprise, Enterprise.id == Visit.enterprise_id)
            .join(RoleGrant, _regulator_of_division())
            .where(no_report, Visit.date < first_late - timedelta(days=s.report_grace_days)),
        )
    )

    ind_key = _key("i", IndicatorRecord.id, ":", IndicatorRecord.expires_on)
    queries.append(
        (
            "indicators",
            ind_key,
            select(
                RoleGrant.user_id,
                Enterprise.name,
                IndicatorRecord.indicator,
                IndicatorRecord.expires_on,
                ind_key,
            )
            .join(
                IndicatorRecord,
                and_(RoleGrant.role == Role.owner, RoleGrant.enterprise_id == IndicatorRecord.enterprise_id),
            )
            .join(Enterprise, Enterprise.id == IndicatorRecord.enterprise_id)
            .where(
                IndicatorRecord.expires_on >= today,
                IndicatorRecord.expires_on <= today + timedelta(days=s.indicator_days),
            ),
        )
    )

    items: dict[tuple[int, str], Item] = {}
    for occasion, key, stmt in queries:
        for user_id, name, what, day, item in await session.execute(stmt.where(_not_logged(key))):
            items.setdefault((user_id, item), Item(user_id, item, occasion, name, what, day))
    return list(items.values())


async def run_reminders(
    session: AsyncSession,
    translator: Translator,
    today: date,
    s: ReminderSettings,
    catalogue_names: dict[str, dict[str, str]] | None = None,
) -> tuple[int, int]:
    """Plan, log and enqueue one message per recipient; returns (recipients, items)."""
    items = await plan(session, today, s)
    if not items:
        return 0, 0
    by_user: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        by_user[item.user_id].append(item)
    rows = [{"user_id": i.user_id, "item": i.key} for i in items]
    for start in range(0, len(rows), 2000):
        await session.execute(insert(ReminderLog), rows[start : start + 2000])
    for uid, mine in by_user.items():
        occasions = {i.occasion for i in mine}
        digest = hashlib.sha256("|".join(sorted(i.key for i in mine)).encode()).hexdigest()[:16]
        await notify(
            session,
            translator,
            [uid],
            "reminder",
            "reminders.message",
            f"rem:{digest}",
            markup=lambda t, o=occasions: _buttons(t, o),
            localize=lambda t, m=mine: {"sections": _sections(t, m, today, catalogue_names or {})},
        )
    await session.commit()
    return len(by_user), len(items)


def _sections(
    t: BoundTranslator, items: list[Item], today: date, names: dict[str, dict[str, str]]
) -> list[dict]:
    sections = []
    for occasion in OCCASIONS:
        mine = sorted((i for i in items if i.occasion == occasion), key=lambda i: (i.day, i.name))
        if not mine:
            continue
        examples = []
        for i in mine[:EXAMPLES]:
            what = names.get(i.what, {}).get(t.locale, i.what) if occasion == "indicators" else i.what

            if occasion.startswith("report"):
                what = t(f"visit.{i.what}")
            examples.append(
                {"name": i.name, "what": what, "day": i.day.isoformat(), "days": abs((today - i.day).days)}
            )
        sections.append(
            {
                "title": t(f"reminders.{occasion}", n=len(mine)),
                "examples": examples,
                "more": len(mine) - len(examples),
            }
        )
    return sections


def _buttons(t: BoundTranslator, occasions: set[str]) -> InlineKeyboardMarkup | None:
    kb = InlineKeyboardBuilder()
    if occasions & OWNER_OCCASIONS:
        kb.button(text=t("notice.open_hazards"), callback_data=ListCb(what="hazards"))
    if occasions & STAFF_OCCASIONS:
        kb.button(text=t("notice.open_due"), callback_data=ListCb(what="due"))
    return kb.as_markup() if kb.buttons else None
