"""Subsidy (seed 000, Ninghai 2015) for small and micro enterprises, counted per enterprise per
year whichever agency served it:

- the inspection subsidy (全面排查, 200 yuan) once a year, to the agency that inspected first;
- the monthly subsidy (按月排查, 360 yuan) once a year, earned by monthly checks actually done:
  a visit in each month the contract covers that year (the required share is a setting; with
  prorating, the amount follows the share of months done);
- an enterprise that had the inspection subsidy that year gets the difference (160) instead.

The inspection subsidy is paid in full when the agency's signing rate (enterprises it inspected
that signed a monthly contract with it / enterprises it inspected) is at least 30%, and 10% less
for each started 10 points below ("29%" already loses 10%, so the 30% threshold means what it
says). Only agencies in the county's pool, graded C or better or not yet graded, get public
money; everything not paid is kept with the reason. Every number is a setting."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


@dataclass(frozen=True)
class SubsidySettings:
    comprehensive: int = 200
    monthly: int = 360
    threshold: float = 0.30
    step: float = 0.10  # each step of signing rate below the threshold …
    cut: float = 0.10  # … cuts this share of the inspection subsidy
    sizes: frozenset[str] = frozenset({"small"})  # size classes that qualify (小微企业)
    month_share: float = 1.0  # share of the contract's months that need a visit
    prorate: bool = False  # pay the monthly subsidy in proportion to the months done


class Item(StrEnum):
    comprehensive = "comprehensive"
    monthly = "monthly"


class Reason(StrEnum):
    """Why a line gets nothing."""

    size = "size"  # not a small or micro enterprise
    not_in_pool = "not_in_pool"
    grade = "grade"  # graded below C
    months = "months"  # monthly checks not done in enough months
    already_paid = "already_paid"  # the enterprise had this subsidy from another agency


@dataclass(frozen=True)
class Agency:
    key: object
    in_pool_until: date | None
    grade: str | None  # latest published grade; None or "" = not yet graded


@dataclass(frozen=True)
class Enterprise:
    key: object
    size: str
    inspections: tuple[tuple[date, object], ...] = ()  # comprehensive visits: (date, agency)
    # Monthly contracts: (agency, start, end, months with a monthly or comprehensive visit by it).
    contracts: tuple[tuple[object, date, date, frozenset[int]], ...] = ()


@dataclass(frozen=True)
class Line:
    enterprise: object
    agency: object
    item: Item
    amount: float
    reason: Reason | None = None
    months_done: int = 0
    months_due: int = 0


@dataclass
class AgencyTotal:
    agency: object
    inspected: set = field(default_factory=set)  # enterprises it inspected (credited)
    signed: set = field(default_factory=set)  # … of which signed a monthly contract with it
    reduction: float = 0.0
    amount: float = 0.0
    reasons: set[Reason] = field(default_factory=set)

    @property
    def rate(self) -> float:
        return len(self.signed) / len(self.inspected) if self.inspected else 0.0


def reduction(rate: float, s: SubsidySettings = SubsidySettings()) -> float:
    if rate >= s.threshold:
        return 0.0
    steps = math.ceil(round((s.threshold - rate) / s.step, 9))
    return min(1.0, round(steps * s.cut, 9))


def months_in_year(start: date, end: date, year: int, until: date) -> list[int]:
    """The months (1–12) of `year` the contract covers, up to `until` (a month not yet begun
    cannot have had its check)."""
    first = max(start, date(year, 1, 1))
    last = min(end, date(year, 12, 31), until)
    if last < first:
        return []
    return list(range(first.month, last.month + 1))


def monthly_factor(due: Iterable[int], done: Iterable[int], s: SubsidySettings) -> float:
    """Share of the monthly subsidy earned: 1 when enough months had their check (0 if not);
    with prorating, the share of months done once the minimum is reached."""
    due = set(due)
    if not due:
        return 0.0
    share = len(due & set(done)) / len(due)
    if share + 1e-9 < s.month_share:
        return 0.0
    return share if s.prorate else 1.0


def public_money_reason(agency: Agency, day: date) -> Reason | None:
    """Seed 000: the county's pool; seed 002: graded C or better (or not yet graded)."""
    if agency.in_pool_until is None or agency.in_pool_until < day:
        return Reason.not_in_pool
    if agency.grade == "D":
        return Reason.grade
    return None


def compute(
    enterprises: Iterable[Enterprise],
    agencies: dict[object, Agency],
    year: int,
    until: date,
    s: SubsidySettings = SubsidySettings(),
) -> tuple[list[Line], dict[object, AgencyTotal]]:
    """Every candidate line of the year (paid or with its reason) and the totals per agency."""
    until = min(until, date(year, 12, 31))
    totals: dict[object, AgencyTotal] = {}

    def total(agency: object) -> AgencyTotal:
        return totals.setdefault(agency, AgencyTotal(agency))

    pending: list[tuple[Enterprise, object | None, list[Line]]] = []
    for e in enterprises:
        small = e.size in s.sizes
        lines: list[Line] = []
        paid_by = None  # the agency credited with the inspection subsidy
        seen: set = set()
        for day, agency in sorted(e.inspections, key=lambda x: x[0]):
            if not date(year, 1, 1) <= day <= until or agency in seen:
                continue
            seen.add(agency)
            reason = Reason.size if not small else public_money_reason(agencies[agency], day)
            if reason is None and paid_by is not None:
                reason = Reason.already_paid
            if reason is None:
                paid_by = agency
            else:
                total(agency).reasons.add(reason)
            lines.append(Line(e.key, agency, Item.comprehensive, 0.0, reason))
        if paid_by is not None:
            total(paid_by).inspected.add(e.key)
            year_end = date(year, 12, 31)
            if any(c[0] == paid_by and months_in_year(c[1], c[2], year, year_end) for c in e.contracts):
                total(paid_by).signed.add(e.key)
        pending.append((e, paid_by, lines))

    for a in totals.values():
        a.reduction = reduction(a.rate, s) if a.inspected else 0.0

    out: list[Line] = []
    for e, paid_by, lines in pending:
        small = e.size in s.sizes
        for ln in lines:
            if ln.reason is None:
                amount = round(s.comprehensive * (1 - totals[ln.agency].reduction), 2)
                ln = Line(ln.enterprise, ln.agency, ln.item, amount)
                totals[ln.agency].amount += amount
            out.append(ln)
        monthly_paid = False
        for agency, start, end, done in sorted(e.contracts, key=lambda c: c[1]):
            due = months_in_year(start, end, year, until)
            if not due:
                continue
            n_done = len(set(due) & done)
            first_day = max(start, date(year, 1, 1))
            reason = Reason.size if not small else public_money_reason(agencies[agency], first_day)
            factor = monthly_factor(due, done, s) if reason is None else 0.0
            if reason is None and factor == 0.0:
                reason = Reason.months
            if reason is None and monthly_paid:
                reason = Reason.already_paid
            amount = 0.0
            if reason is None:
                monthly_paid = True
                base = s.monthly - s.comprehensive if paid_by is not None else s.monthly
                amount = round(base * factor, 2)
                total(agency).amount += amount
            else:
                total(agency).reasons.add(reason)
            out.append(Line(e.key, agency, Item.monthly, amount, reason, n_done, len(due)))
    return out, totals
