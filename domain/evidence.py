"""Rules of the owner's evidence (seed 003: 云档案 uploaded, 审核反馈 by the regulator): which
files are taken, which dates make sense, in which order the indicators are offered, and when
an indicator's expiry is reminded."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import PurePath

from domain.compliance import IndicatorState, add_months
from domain.indicators import Indicator

# PDF, Word, Excel and images; photos sent as photos are images too.
ACCEPTED_EXTENSIONS = frozenset(
    {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".jpg", ".jpeg", ".png", ".webp", ".heic"}
)


@dataclass(frozen=True)
class EvidenceSettings:
    max_files: int = 5
    max_file_bytes: int = 20 * 1024 * 1024  # the Bot API lets a bot download up to 20 MB
    review_remind_days: int = 3  # a submission waiting longer is reminded to the regulators


def file_problem(name: str, size: int | None, s: EvidenceSettings) -> str | None:
    """None when the document is taken; else the reason ("type" or "size")."""
    if PurePath(name.lower()).suffix not in ACCEPTED_EXTENSIONS:
        return "type"
    if size is not None and size > s.max_file_bytes:
        return "size"
    return None


def date_problem(fulfilled_on: date, expires_on: date | None, today: date) -> str | None:
    """Evidence is of something done, not planned; an expiry comes after the fulfilment."""
    if fulfilled_on > today:
        return "future"
    if expires_on is not None and expires_on <= fulfilled_on:
        return "expiry_before"
    return None


def needs_expiry(indicator: Indicator) -> bool:
    """Only where the catalogue gives no validity does the owner state the expiry."""
    return not indicator.validity_months


# The order indicators are offered in: what most needs evidence first.
_PICK_ORDER = {
    IndicatorState.missing: 0,
    IndicatorState.expired: 1,
    IndicatorState.expiring: 2,
    IndicatorState.submitted: 3,
    IndicatorState.fulfilled: 4,
}


def picker_order(catalogue: Sequence[Indicator], states: Mapping[str, IndicatorState]) -> list[Indicator]:
    """Applicable indicators (those with a state), missing and expiring first, catalogue order within."""
    ranked = [(i, ind) for i, ind in enumerate(catalogue) if ind.code in states]
    ranked.sort(key=lambda p: (_PICK_ORDER[states[p[1].code]], p[0]))
    return [ind for _, ind in ranked]


def fulfilled_range(validity_months: int, first: date, last: date) -> tuple[date, date] | None:
    """The fulfilment dates whose catalogue expiry (fulfilment + validity − 1 day) falls in
    [first, last]: a range, since the expiry grows with the fulfilment date."""

    def expiry(day: date) -> date:
        return add_months(day, validity_months) - timedelta(days=1)

    lo = add_months(first, -validity_months) - timedelta(days=3)
    while expiry(lo) < first:
        lo += timedelta(days=1)
    hi = add_months(last, -validity_months) + timedelta(days=3)
    while expiry(hi) > last:
        hi -= timedelta(days=1)
    return (lo, hi) if lo <= hi else None


def reminder_windows(windows: Iterable[int]) -> list[tuple[int, int]]:
    """(more than, at most) days left for each window, e.g. 30 and 7 → (7, 30), (-1, 7): an
    indicator is reminded once when it enters each window."""
    ordered = sorted(set(windows))
    return [(ordered[i - 1] if i else -1, w) for i, w in enumerate(ordered)]
