"""Lifecycle rules, table by table."""

from datetime import date

import pytest

from domain.lifecycle import (
    Action,
    LifecycleSettings,
    ReportState,
    TransitionError,
    VisitDateProblem,
    check_visit_date,
    contract_allows,
    deadline_range,
    default_deadline,
    report_state,
    transition,
)

S = LifecycleSettings()
D = date(2026, 11, 1)


@pytest.mark.parametrize(
    ("level", "expected"), [("general", date(2026, 12, 1)), ("major", date(2026, 11, 8))]
)
def test_default_deadline_by_level(level, expected):
    assert default_deadline(level, D, S) == expected


def test_deadlines_are_settings():
    assert default_deadline("major", D, LifecycleSettings(major_deadline_days=3)) == date(2026, 11, 4)


@pytest.mark.parametrize(
    ("submitted", "today", "state"),
    [
        (date(2026, 12, 1), date(2026, 12, 31), ReportState.on_time),  # day 30: on time
        (date(2026, 12, 2), date(2026, 12, 31), ReportState.late),  # day 31: late
        (None, date(2026, 12, 1), ReportState.due),
        (None, date(2026, 12, 2), ReportState.missing),
    ],
)
def test_report_state(submitted, today, state):
    assert report_state(D, submitted, today, S) is state


@pytest.mark.parametrize(
    ("status", "action", "result"),
    [
        ("open", Action.submit, "submitted"),
        ("submitted", Action.reject, "open"),
        ("submitted", Action.verify, "verified"),
        ("open", Action.verify, None),
        ("open", Action.reject, None),
        ("verified", Action.submit, None),
        ("submitted", Action.submit, None),
        ("bogus", Action.submit, None),
    ],
)
def test_hazard_transitions(status, action, result):
    if result is None:
        with pytest.raises(TransitionError):
            transition(status, action)
    else:
        assert transition(status, action) == result


@pytest.mark.parametrize(
    ("today", "grace", "ok"),
    [
        (date(2026, 1, 1), 0, True),
        (date(2025, 12, 31), 0, False),  # not started
        (date(2026, 12, 31), 0, True),
        (date(2027, 1, 1), 0, False),  # ended
        (date(2027, 3, 31), 90, True),  # 90 days after the end
        (date(2027, 4, 1), 90, False),
    ],
)
def test_contract_allows(today, grace, ok):
    assert contract_allows(date(2026, 1, 1), date(2026, 12, 31), today, grace) is ok


@pytest.mark.parametrize(
    ("day", "problem"),
    [
        (date(2026, 11, 23), None),
        (date(2026, 11, 24), VisitDateProblem.future),
        (date(2026, 1, 1), None),
        (date(2025, 12, 31), VisitDateProblem.before_contract),
    ],
)
def test_visit_dates(day, problem):
    assert check_visit_date(day, date(2026, 11, 23), date(2026, 1, 1)) == problem


@pytest.mark.parametrize(("days", "window"), [(1, 0), (2, 0), (3, 0), (4, 1), (6, 1), (7, 2), (31, 10)])
def test_overdue_reminders_repeat_every_three_days(days, window):
    from domain.reminders import repeat_window

    assert repeat_window(days, 3) == window


@pytest.mark.parametrize(
    ("level", "found", "earliest", "latest"),
    [
        ("general", date(2026, 11, 1), date(2026, 11, 2), date(2027, 1, 30)),  # 90 days
        ("major", date(2026, 11, 1), date(2026, 11, 2), date(2027, 4, 30)),  # 180 days
    ],
)
def test_deadline_range_by_level(level, found, earliest, latest):
    assert deadline_range(level, found, LifecycleSettings()) == (earliest, latest)
