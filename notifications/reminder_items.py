"""Reminder items (domain.md "Reminders"), selected with set-based SQL over the whole database.

Each query yields (recipient, item) pairs for one occasion; an item names its hazard, visit or
indicator record, its stage and, for repeated reminders, its repeat window, so the reminder
log (unique per recipient and item) makes a second run the same day find nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, Integer, String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import locale_for
from domain.compliance import expiry_of
from domain.enums import EvidenceStatus, HazardLevel, HazardStatus, Role
from domain.evidence import fulfilled_range, reminder_windows
from domain.indicators import Indicator, applicable
from domain.reminders import ReminderSettings
from storage.compliance import awaiting_check, overdue_at
from storage.models import (
    Enterprise,
    EvidenceSubmission,
    Hazard,
    IndicatorRecord,
    ReminderLog,
    RoleGrant,
    ServiceReport,
    User,
    Visit,
)

UNCLOSED = (HazardStatus.open, HazardStatus.submitted)


@dataclass
class Recipient:
    """One person's new items: their keys (for the log) and, per occasion, (day, name, what)."""

    locale: str
    keys: set[str] = field(default_factory=set)
    items: dict[str, list[tuple[date, str, str]]] = field(default_factory=lambda: defaultdict(list))


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


def not_logged(key) -> object:
    return ~exists().where(ReminderLog.user_id == RoleGrant.user_id, ReminderLog.item == key)


def candidates(columns, *where):
    """The rows an occasion is about, selected once and kept (a materialised CTE, on SQLite and
    PostgreSQL alike) before they meet their recipients: left to itself, SQLite starts from the
    role grants and checks every row once per recipient."""
    return columns.where(*where).cte().prefix_with("MATERIALIZED")


def _regulator_of_division():
    return and_(RoleGrant.role == Role.regulator, Enterprise.division.like(RoleGrant.target + "%"))


def occasion_queries(
    session: AsyncSession, today: date, s: ReminderSettings, validity: dict[str, int] | None = None
) -> list[tuple[str, object, object]]:
    """(occasion, item key, query) for every occasion: each query selects (recipient, name,
    what, day, item); `validity` maps an indicator code to the catalogue's months."""
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

    no_report = and_(~exists().where(ServiceReport.visit_id == Visit.id), Visit.kind.in_(s.report_kinds))
    first_late = today - timedelta(days=s.report_due_days)  # visits on this day are due today

    def staff_visits(suffix: str, *where) -> tuple[object, object]:
        """The visits first, then their agency's staff: each visit is checked once, not once per
        staff member (a planner left to itself starts from the staff grants)."""
        v = candidates(
            select(Visit.id, Visit.agency_id, Visit.enterprise_id, Visit.kind, Visit.date), no_report, *where
        )
        key = _key("v", v.c.id, suffix)
        return key, (
            select(RoleGrant.user_id, Enterprise.name, v.c.kind, v.c.date, key)
            .select_from(v)
            .join(RoleGrant, and_(RoleGrant.role == Role.staff, RoleGrant.agency_id == v.c.agency_id))
            .join(Enterprise, Enterprise.id == v.c.enterprise_id)
        )

    due_by = first_late + timedelta(days=s.report_warn_days)
    queries.append(("report_due", *staff_visits(":due", Visit.date <= due_by, Visit.date >= first_late)))
    queries.append(("report_late", *staff_visits(":late", Visit.date < first_late)))
    # The late visits first, then the regulators of their division: left to itself, SQLite
    # matches every visit against every regulator's prefix (most of a repeat run's time).
    late = candidates(
        select(Visit.id, Visit.enterprise_id, Visit.kind, Visit.date),
        no_report,
        Visit.date < first_late - timedelta(days=s.report_grace_days),
    )
    grace_key = _key("v", late.c.id, ":grace")
    queries.append(
        (
            "report_grace",
            grace_key,
            select(RoleGrant.user_id, Enterprise.name, late.c.kind, late.c.date, grace_key)
            .select_from(late)
            .join(Enterprise, Enterprise.id == late.c.enterprise_id)
            .join(RoleGrant, _regulator_of_division()),
        )
    )

    queries += _indicator_queries(today, s, validity)
    queries += _review_queries(today, s)

    return queries


async def plan(
    session: AsyncSession,
    today: date,
    s: ReminderSettings,
    catalogue: tuple[Indicator, ...],
    default_locale: str,
) -> dict[int, Recipient]:
    """Every reminder item due today that its recipient has not had yet, with the recipient's
    language joined in. Indicators count only where they apply to the enterprise, and expire
    as the compliance decision says (the record's own expiry, else the catalogue's validity)."""
    by_code = {i.code: i for i in catalogue}
    validity = {i.code: i.validity_months for i in catalogue if i.validity_months}
    applying: dict[tuple[str, str], set[str]] = {}
    recipients: dict[int, Recipient] = {}
    conn = await session.connection()  # Core rows: the ORM's row handling is not needed here
    for occasion, key, stmt in occasion_queries(session, today, s, validity):
        stmt = (
            stmt.where(not_logged(key))
            .join(User, User.id == RoleGrant.user_id)
            .add_columns(User.locale, User.telegram_language)
        )
        for row in await conn.execute(stmt):
            uid, name, what, day, item = row[:5]
            if occasion == "indicators":
                fulfilled, expires, tags, industry = row[5:9]
                codes = applying.get((tags, industry))
                if codes is None:
                    codes = applying[tags, industry] = {i.code for i in applicable(catalogue, tags, industry)}
                if what not in codes:
                    continue
                day = expiry_of(fulfilled, expires, by_code[what].validity_months)
            elif isinstance(day, datetime):
                day = day.date()
            mine = recipients.get(uid)
            if mine is None:
                mine = recipients[uid] = Recipient(locale_for(row[-2], row[-1], default_locale))
            if item not in mine.keys:
                mine.keys.add(item)
                mine.items[occasion].append((day, name, what))
    return recipients


def _indicator_queries(today: date, s: ReminderSettings, validity: dict[str, int] | None) -> list:
    """Owners, once as an indicator enters each window before its expiry: the record's own
    expiry, or its fulfilment plus the catalogue's validity."""
    queries = []
    windows = reminder_windows([s.indicator_days, s.indicator_final_days])
    for after, upto in windows:
        first, last = today + timedelta(days=after + 1), today + timedelta(days=upto)
        # The widest window keeps the key it always had, so no one is told twice on upgrade.
        suffix = "" if upto == windows[-1][1] else f":{upto}"
        own = _records(IndicatorRecord.expires_on.between(first, last))
        queries.append(_owners_of(own, _key("i", own.c.id, ":", own.c.expires_on, suffix), own.c.expires_on))
        # Catalogue expiries, every validity in one pass: the fulfilment dates that expire in the window.
        by_months: dict[int, list[str]] = defaultdict(list)
        for code, months in (validity or {}).items():
            by_months[months].append(code)
        spans = [(codes, fulfilled_range(months, first, last)) for months, codes in by_months.items()]
        fulfilled_in = [
            and_(IndicatorRecord.indicator.in_(codes), IndicatorRecord.fulfilled_on.between(*span))
            for codes, span in spans
            if span is not None
        ]
        if fulfilled_in:
            cat = _records(IndicatorRecord.expires_on.is_(None), or_(*fulfilled_in))
            queries.append(
                _owners_of(cat, _key("c", cat.c.id, ":", cat.c.fulfilled_on, f":{upto}"), cat.c.fulfilled_on)
            )
    return queries


def _records(*where):
    return candidates(
        select(
            IndicatorRecord.id,
            IndicatorRecord.enterprise_id,
            IndicatorRecord.indicator,
            IndicatorRecord.fulfilled_on,
            IndicatorRecord.expires_on,
        ),
        *where,
    )


def _owners_of(records, key, day) -> tuple[str, object, object]:
    """The owners of the enterprises of `records`, with what the decision needs: the record's
    dates and what the enterprise is (which indicators apply to it)."""
    return (
        "indicators",
        key,
        select(
            RoleGrant.user_id,
            Enterprise.name,
            records.c.indicator,
            day,
            key,
            records.c.fulfilled_on,
            records.c.expires_on,
            Enterprise.tags,
            Enterprise.industry,
        )
        .select_from(records)
        .join(Enterprise, Enterprise.id == records.c.enterprise_id)
        .join(
            RoleGrant, and_(RoleGrant.role == Role.owner, RoleGrant.enterprise_id == records.c.enterprise_id)
        ),
    )


def _review_queries(today: date, s: ReminderSettings) -> list:
    """Evidence waiting longer than the setting: the regulators of its township, once."""
    since = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=s.review_days)
    key = _key("e", EvidenceSubmission.id, ":wait")
    return [
        (
            "reviews",
            key,
            select(
                RoleGrant.user_id,
                Enterprise.name,
                EvidenceSubmission.indicator,
                EvidenceSubmission.submitted_at,
                key,
            )
            .select_from(EvidenceSubmission)
            .join(Enterprise, Enterprise.id == EvidenceSubmission.enterprise_id)
            .join(RoleGrant, _regulator_of_division())
            .where(
                EvidenceSubmission.status == EvidenceStatus.submitted, EvidenceSubmission.submitted_at < since
            ),
        )
    ]
