"""Agency grade rules and the subsidy's signing-rate ladder, table by table."""

from datetime import date

import pytest

from domain.grading import GradeSettings, Period, eligible_for_public_money, grade, score
from domain.subsidy import reduction


@pytest.mark.parametrize(
    ("stars", "on_time", "closure", "tips", "points"),
    [
        (5, 1, 1, 0, 100.0),
        (4, 0.8, 0.9, 0, 81.5),  # 48 + 20 + 13.5
        (4, 0.8, 0.9, 1, 71.5),  # one substantiated tip: −10
        (5, 1, 1, 12, 0.0),  # never below zero
        (None, None, None, 0, 0.0),
    ],
)
def test_score(stars, on_time, closure, tips, points):
    assert score(stars, on_time, closure, tips) == points


@pytest.mark.parametrize(
    ("points", "ratings", "letter"),
    [
        (90, 5, "A"),
        (89.9, 5, "B"),
        (75, 5, "B"),
        (74.9, 5, "C"),
        (60, 5, "C"),
        (59.9, 5, "D"),
        (0, 5, "D"),
        (100, 4, None),  # fewer than 5 ratings: not graded, however good
    ],
)
def test_grade_thresholds(points, ratings, letter):
    assert grade(points, ratings) == letter


def test_grade_settings_and_public_money():
    assert grade(80, 3, GradeSettings(a=80, min_ratings=3)) == "A"
    assert [eligible_for_public_money(g) for g in ("A", "B", "C", "D", None)] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_a_substantiated_tip_can_cost_a_grade():
    assert grade(score(4, 0.8, 0.9, 0), 6) == "B"
    assert grade(score(4, 0.8, 0.9, 1), 6) == "C"


def test_periods():
    assert Period.of(date(2026, 6, 30)).label == "2026H1"
    assert Period.of(date(2026, 7, 1)) == Period(2026, 2)
    assert Period(2026, 1).previous() == Period(2025, 2)
    assert Period.parse("2026h2") == Period(2026, 2) and Period.parse("2026H3") is None


@pytest.mark.parametrize(
    ("rate", "cut"),
    [(0.35, 0.0), (0.30, 0.0), (0.29, 0.1), (0.25, 0.1), (0.20, 0.1), (0.15, 0.2), (0.05, 0.3), (0.0, 0.3)],
)
def test_signing_rate_ladder(rate, cut):
    assert reduction(rate) == pytest.approx(cut)
