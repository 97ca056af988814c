"""Compliance rules, table by table: indicator states, the veto, each colour and boundary."""

from datetime import date

import pytest

from domain.compliance import (
    Colour,
    HazardCounts,
    IndicatorState,
    Thresholds,
    add_months,
    assess,
    expiry_of,
    indicator_state,
    risk_colour,
)
from domain.indicators import load_catalogue

TODAY = date(2026, 11, 23)
TH = Thresholds()
H0 = HazardCounts()


@pytest.mark.parametrize(
    ("expiry", "recorded", "state"),
    [
        (None, False, IndicatorState.missing),
        (None, True, IndicatorState.fulfilled),  # no expiry at all
        (date(2026, 11, 22), True, IndicatorState.expired),
        (date(2026, 11, 23), True, IndicatorState.expiring),  # valid through today
        (date(2026, 12, 23), True, IndicatorState.expiring),  # exactly 30 days ahead
        (date(2026, 12, 24), True, IndicatorState.fulfilled),
    ],
)
def test_indicator_state(expiry, recorded, state):
    assert indicator_state(expiry, recorded, TODAY, 30) is state


@pytest.mark.parametrize(
    ("fulfilled", "expires", "months", "expected"),
    [
        (date(2026, 1, 31), None, 1, date(2026, 2, 27)),  # month end clamps
        (date(2025, 11, 23), None, 12, date(2026, 11, 22)),
        (date(2025, 11, 23), date(2027, 1, 1), 12, date(2027, 1, 1)),  # the record's own date wins
        (date(2025, 11, 23), None, None, None),
    ],
)
def test_expiry(fulfilled, expires, months, expected):
    assert expiry_of(fulfilled, expires, months) == expected


def test_add_months_across_years():
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("share", "hazards", "colour", "codes"),
    [
        # red, each cause alone and at its boundary
        (1.0, HazardCounts(open=1, overdue=1, open_major=1, overdue_major=1), Colour.red, ["overdue_major"]),
        (1.0, HazardCounts(open=3, overdue=3), Colour.red, ["overdue_many"]),
        (0.49, H0, Colour.red, ["share_below"]),
        # orange
        (1.0, HazardCounts(open=2, overdue=2), Colour.orange, ["overdue"]),
        (1.0, HazardCounts(open=1, open_major=1), Colour.orange, ["open_major"]),
        (0.5, H0, Colour.orange, ["share_below"]),  # 50% is not below 50%
        (0.69, H0, Colour.orange, ["share_below"]),
        # yellow
        (1.0, HazardCounts(open=1), Colour.yellow, ["open"]),
        (0.7, H0, Colour.yellow, ["share_below"]),
        (0.89, HazardCounts(open=4), Colour.yellow, ["open", "share_below"]),
        # blue
        (0.9, H0, Colour.blue, ["all_clear"]),
        (1.0, H0, Colour.blue, ["all_clear"]),
    ],
)
def test_risk_colour(share, hazards, colour, codes):
    got, reasons = risk_colour(share, hazards, TH)
    assert got is colour
    assert [r.code for r in reasons] == codes


def test_thresholds_are_settings():
    strict = Thresholds(red_share=0.6, orange_share=0.8, yellow_share=0.95, red_overdue_count=2)
    assert risk_colour(0.55, H0, strict)[0] is Colour.red
    assert risk_colour(1.0, HazardCounts(open=2, overdue=2), strict)[0] is Colour.red
    assert risk_colour(0.92, H0, strict)[0] is Colour.yellow


def _records(n: int) -> dict:
    return {ind.code: (date(2026, 11, 20), None) for ind in load_catalogue()[:n]}


def test_one_overdue_general_hazard_and_20_of_21_is_orange_and_not_fulfilled():
    result = assess(load_catalogue(), _records(20), HazardCounts(open=1, overdue=1), TODAY, TH)
    assert (result.fulfilled, result.total) == (20, 21)
    assert result.colour is Colour.orange
    assert not result.responsibility_fulfilled
    assert [r.code for r in result.veto] == ["overdue"]


@pytest.mark.parametrize(
    ("hazards", "fulfilled"),
    [
        (H0, True),
        (HazardCounts(open=5), True),  # open but within the deadline: no veto
        (HazardCounts(open=1, open_major=1), False),  # an open major hazard vetoes
        (HazardCounts(open=1, overdue=1), False),
    ],
)
def test_veto_whatever_the_indicators_say(hazards, fulfilled):
    result = assess(load_catalogue(), _records(21), hazards, TODAY, TH)
    assert result.responsibility_fulfilled is fulfilled


def test_expired_indicators_do_not_count_and_expiring_ones_do():
    catalogue = load_catalogue()
    records = _records(21)
    records[catalogue[0].code] = (date(2025, 1, 1), date(2026, 1, 1))  # expired
    records[catalogue[1].code] = (date(2025, 12, 1), date(2026, 12, 1))  # expiring soon
    result = assess(catalogue, records, H0, TODAY, TH)
    assert result.fulfilled == 20
    assert result.indicators[catalogue[0].code] is IndicatorState.expired
    assert result.indicators[catalogue[1].code] is IndicatorState.expiring


def test_the_catalogue_has_21_indicators_with_names_in_both_languages():
    catalogue = load_catalogue()
    assert len(catalogue) == 21
    assert all(i.name_zh and i.name_en for i in catalogue)
    assert catalogue[0].name("zh") == "安全生产责任落实"
