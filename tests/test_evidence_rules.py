"""Rules of evidence, table by table: files taken, dates, picker order, expiry windows."""

from datetime import date

import pytest

from domain.compliance import HazardCounts, IndicatorState, Thresholds, add_months, assess
from domain.evidence import (
    EvidenceSettings,
    date_problem,
    file_problem,
    fulfilled_range,
    needs_expiry,
    picker_order,
    reminder_windows,
)
from domain.indicators import Indicator, load_catalogue

S = EvidenceSettings(max_files=5, max_file_bytes=1000)
TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("name", "size", "problem"),
    [
        ("plan.pdf", 10, None),
        ("记录.DOCX", 10, None),
        ("ledger.xlsx", 1000, None),
        ("photo.jpg", 1001, "size"),
        ("setup.exe", 10, "type"),
        ("noextension", 10, "type"),
        ("scan.png", None, None),
    ],
)
def test_which_files_are_taken(name, size, problem):
    assert file_problem(name, size, S) == problem


@pytest.mark.parametrize(
    ("fulfilled", "expires", "problem"),
    [
        (TODAY, None, None),
        (date(2026, 11, 26), None, "future"),
        (date(2026, 1, 1), date(2026, 1, 1), "expiry_before"),
        (date(2026, 1, 1), date(2027, 1, 1), None),
    ],
)
def test_dates_of_evidence(fulfilled, expires, problem):
    assert date_problem(fulfilled, expires, TODAY) == problem


def test_expiry_is_asked_only_where_the_catalogue_gives_no_validity():
    assert needs_expiry(Indicator("X", "x", "x", None))
    assert not needs_expiry(Indicator("DRILL", "演练", "Drill", 12))


def test_picker_offers_missing_then_expired_then_expiring_and_skips_what_does_not_apply():
    cat = [Indicator(c, c, c, 12) for c in "ABCDEF"]
    states = {
        "A": IndicatorState.fulfilled,
        "B": IndicatorState.expiring,
        "C": IndicatorState.missing,
        "D": IndicatorState.submitted,
        "E": IndicatorState.expired,
    }  # F does not apply to this enterprise
    assert [i.code for i in picker_order(cat, states)] == ["C", "E", "B", "D", "A"]


def test_pending_evidence_shows_as_submitted_but_is_not_counted_as_fulfilled():
    cat = load_catalogue()
    records = {cat[0].code: (date(2026, 1, 1), None)}
    result = assess(cat, records, HazardCounts(), TODAY, Thresholds(), pending={cat[0].code, cat[1].code})
    assert result.indicators[cat[0].code] is IndicatorState.fulfilled  # still valid: stays fulfilled
    assert result.indicators[cat[1].code] is IndicatorState.submitted
    assert result.fulfilled == 1


def test_the_veto_can_count_only_government_findings():
    cat = load_catalogue()
    agency_major = HazardCounts(open=1, open_major=1)
    all_counted = assess(cat, {}, agency_major, TODAY, Thresholds())
    gov_only = assess(cat, {}, agency_major, TODAY, Thresholds(), veto_hazards=HazardCounts())
    assert not all_counted.responsibility_fulfilled
    assert gov_only.responsibility_fulfilled
    assert gov_only.colour == all_counted.colour  # the colour still counts every hazard


@pytest.mark.parametrize("months", [1, 12, 36])
@pytest.mark.parametrize(
    ("first", "last"), [(date(2026, 11, 25), date(2026, 12, 25)), (date(2027, 2, 27), date(2027, 3, 1))]
)
def test_fulfilled_range_matches_the_catalogue_expiry_day_by_day(months, first, last):
    from datetime import timedelta

    lo, hi = fulfilled_range(months, first, last)
    day = lo - timedelta(days=40)
    while day <= hi + timedelta(days=40):
        expiry = add_months(day, months) - timedelta(days=1)
        assert (lo <= day <= hi) == (first <= expiry <= last), day
        day += timedelta(days=1)


def test_reminder_windows_remind_once_per_window():
    assert reminder_windows([30, 7]) == [(-1, 7), (7, 30)]
