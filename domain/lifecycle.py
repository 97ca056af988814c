"""Rules of the daily work between agencies and enterprises: deadlines, reports, the hazard
state machine, and who may act under which contract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.enums import HazardLevel, HazardStatus


@dataclass(frozen=True)
class LifecycleSettings:
    general_deadline_days: int = 30
    major_deadline_days: int = 7
    report_due_days: int = 30  # seed 002: a report within 30 days of the service
    rating_window_days: int = 30
    contract_grace_days: int = 90  # reports and verification after a contract ended
    general_max_days: int = 90  # the latest deadline an agency may set, days after finding
    major_max_days: int = 180  # a major hazard may need a rectification plan and works
    # Visit kinds that need a service report (not training or drills by default).
    report_kinds: frozenset[str] = frozenset({"comprehensive", "monthly"})


def default_deadline(level: str, found_on: date, s: LifecycleSettings) -> date:
    days = s.major_deadline_days if level == HazardLevel.major else s.general_deadline_days
    return found_on + timedelta(days=days)


def deadline_range(level: str, found_on: date, s: LifecycleSettings) -> tuple[date, date]:
    """The first and last deadline an agency may set for a hazard found on `found_on`."""
    longest = s.major_max_days if level == HazardLevel.major else s.general_max_days
    return found_on + timedelta(days=1), found_on + timedelta(days=longest)


class ReportState(StrEnum):
    on_time = "on_time"
    late = "late"
    due = "due"  # not yet submitted, still within the deadline
    missing = "missing"  # not submitted, deadline passed


def report_due(visit_date: date, s: LifecycleSettings) -> date:
    return visit_date + timedelta(days=s.report_due_days)


def report_state(
    visit_date: date, submitted_on: date | None, today: date, s: LifecycleSettings
) -> ReportState:
    due = report_due(visit_date, s)
    if submitted_on is not None:
        return ReportState.on_time if submitted_on <= due else ReportState.late
    return ReportState.due if today <= due else ReportState.missing


class Action(StrEnum):
    submit = "submit"  # the owner uploads rectification evidence
    reject = "reject"  # the agency's verification fails
    verify = "verify"  # the agency's verification passes: closed


_MOVES = {
    (HazardStatus.open, Action.submit): HazardStatus.submitted,
    (HazardStatus.submitted, Action.reject): HazardStatus.open,
    (HazardStatus.submitted, Action.verify): HazardStatus.verified,
}


class TransitionError(ValueError):
    pass


def transition(status: str, action: Action) -> HazardStatus:
    try:
        return _MOVES[(HazardStatus(status), action)]
    except (KeyError, ValueError):
        raise TransitionError(f"{action} is not possible for a hazard that is {status}") from None


def contract_allows(start: date, end: date, today: date, grace_days: int = 0) -> bool:
    """Active today, or (with grace) ended no more than `grace_days` ago."""
    return start <= today <= end + timedelta(days=grace_days)


class VisitDateProblem(StrEnum):
    future = "future"
    before_contract = "before_contract"


def check_visit_date(day: date, today: date, contract_start: date) -> VisitDateProblem | None:
    if day > today:
        return VisitDateProblem.future
    if day < contract_start:
        return VisitDateProblem.before_contract
    return None
