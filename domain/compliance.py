"""Compliance status (seed 003): indicators fulfilled, the veto, and the risk colour.

Default colour rule (domain.md), first match wins:
  red    — an overdue major hazard, or ≥ 3 overdue hazards, or fulfilled share < 50%;
  orange — any open major hazard, or any overdue hazard, or fulfilled share < 70%;
  yellow — any open hazard, or fulfilled share < 90%;
  blue   — otherwise.
Every threshold is a setting; the reasons that decided the colour are returned with it."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from domain.indicators import Indicator, applicable


class IndicatorState(StrEnum):
    fulfilled = "fulfilled"
    expiring = "expiring"  # fulfilled, but expires within the warning window
    expired = "expired"
    missing = "missing"


class Colour(StrEnum):
    red = "red"
    orange = "orange"
    yellow = "yellow"
    blue = "blue"


@dataclass(frozen=True)
class Thresholds:
    red_share: float = 0.5
    orange_share: float = 0.7
    yellow_share: float = 0.9
    red_overdue_count: int = 3
    expiring_days: int = 30


@dataclass(frozen=True)
class HazardCounts:
    open: int = 0  # not yet verified (open or submitted)
    overdue: int = 0  # not verified and past the deadline
    open_major: int = 0
    overdue_major: int = 0


@dataclass(frozen=True)
class Reason:
    code: str
    value: float | int = 0


@dataclass(frozen=True)
class Compliance:
    indicators: dict[str, IndicatorState]
    fulfilled: int
    total: int
    veto: list[Reason]
    colour: Colour
    reasons: list[Reason]
    expiry: dict[str, date | None] = field(default_factory=dict)

    @property
    def responsibility_fulfilled(self) -> bool:
        return not self.veto

    @property
    def share(self) -> float:
        return self.fulfilled / self.total if self.total else 1.0


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry_of(fulfilled_on: date, expires_on: date | None, validity_months: int | None) -> date | None:
    """The last valid day: the record's own expiry, else fulfilment plus the catalogue's validity."""
    if expires_on is not None:
        return expires_on
    if validity_months:
        return add_months(fulfilled_on, validity_months) - timedelta(days=1)
    return None


def indicator_state(expiry: date | None, recorded: bool, today: date, expiring_days: int) -> IndicatorState:
    if not recorded:
        return IndicatorState.missing
    if expiry is None:
        return IndicatorState.fulfilled
    if expiry < today:
        return IndicatorState.expired
    if expiry <= today + timedelta(days=expiring_days):
        return IndicatorState.expiring
    return IndicatorState.fulfilled


def veto(h: HazardCounts) -> list[Reason]:
    """An overdue hazard or an open major hazard: responsibility not fulfilled (主体责任未落实)."""
    reasons = []
    if h.overdue:
        reasons.append(Reason("overdue", h.overdue))
    if h.open_major:
        reasons.append(Reason("open_major", h.open_major))
    return reasons


def risk_colour(share: float, h: HazardCounts, th: Thresholds) -> tuple[Colour, list[Reason]]:
    rules: list[tuple[Colour, list[tuple[bool, Reason]]]] = [
        (
            Colour.red,
            [
                (h.overdue_major > 0, Reason("overdue_major", h.overdue_major)),
                (h.overdue >= th.red_overdue_count, Reason("overdue_many", h.overdue)),
                (share < th.red_share, Reason("share_below", th.red_share)),
            ],
        ),
        (
            Colour.orange,
            [
                (h.open_major > 0, Reason("open_major", h.open_major)),
                (h.overdue > 0, Reason("overdue", h.overdue)),
                (share < th.orange_share, Reason("share_below", th.orange_share)),
            ],
        ),
        (
            Colour.yellow,
            [
                (h.open > 0, Reason("open", h.open)),
                (share < th.yellow_share, Reason("share_below", th.yellow_share)),
            ],
        ),
    ]
    for colour, conditions in rules:
        hits = [reason for holds, reason in conditions if holds]
        if hits:
            return colour, hits
    return Colour.blue, [Reason("all_clear")]


def assess(
    catalogue: Iterable[Indicator],
    records: Mapping[str, tuple[date, date | None]],
    hazards: HazardCounts,
    today: date,
    th: Thresholds,
) -> Compliance:
    """`records` maps an indicator code to (fulfilled_on, expires_on)."""
    states: dict[str, IndicatorState] = {}
    expiry: dict[str, date | None] = {}
    for ind in catalogue:
        rec = records.get(ind.code)
        expiry[ind.code] = expiry_of(rec[0], rec[1], ind.validity_months) if rec else None
        states[ind.code] = indicator_state(expiry[ind.code], rec is not None, today, th.expiring_days)
    fulfilled = sum(s in (IndicatorState.fulfilled, IndicatorState.expiring) for s in states.values())
    share = fulfilled / len(states) if states else 1.0
    colour, reasons = risk_colour(share, hazards, th)
    return Compliance(states, fulfilled, len(states), veto(hazards), colour, reasons, expiry)


def decide(
    catalogue: tuple[Indicator, ...],
    tags: str,
    industry: str,
    records: Mapping[str, tuple[date, date | None]],
    hazards: HazardCounts,
    today: date,
    th: Thresholds,
) -> Compliance:
    """The one decision of an enterprise's colour and N/M, over the indicators that apply to it
    (status, public view, digest, reminders and exports all come here)."""
    return assess(applicable(catalogue, tags, industry), records, hazards, today, th)


def overdue_for_owner(deadline: date, status: str, submitted_on: date | None, as_of: date) -> bool:
    """Past its deadline and not closed, unless the rectification was submitted by the deadline
    and awaits the agency's check (a rejection reopens it, overdue from then on)."""
    if status == "verified" or deadline >= as_of:
        return False
    return not (status == "submitted" and (submitted_on is None or submitted_on <= deadline))
