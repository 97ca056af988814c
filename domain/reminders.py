"""Reminder thresholds (domain.md "Reminders"); every one is a setting."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReminderSettings:
    before_days: int = 3  # owners: a deadline this close
    repeat_days: int = 3  # overdue reminders repeat this often until closed
    escalate_after_days: int = 30  # overdue this long (or major): the township's regulators
    report_due_days: int = 30  # a service report is due this long after its visit
    report_warn_days: int = 7  # staff: a report due this soon
    report_grace_days: int = 15  # late beyond this: the regulators
    indicator_days: int = 30  # owners: an indicator expiring this soon
    report_kinds: frozenset[str] = frozenset({"comprehensive", "monthly"})  # visits needing a report


def repeat_window(days_overdue: int, repeat_days: int) -> int:
    """Overdue reminders go out on days 1, 1 + r, 1 + 2r …: the window a day falls in."""
    return (days_overdue - 1) // repeat_days
