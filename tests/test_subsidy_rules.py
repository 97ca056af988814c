"""Subsidy rules (seed 000) with worked examples; every amount is computed by hand in the
comment beside it."""

from datetime import date

import pytest

from domain.subsidy import (
    Agency,
    Enterprise,
    Item,
    Reason,
    SubsidySettings,
    compute,
    monthly_factor,
    months_in_year,
)

Y = 2025
END = date(Y, 12, 31)
POOL = date(Y + 1, 6, 30)
A = Agency("A", POOL, "B")
B = Agency("B", POOL, None)  # not yet graded: eligible
D = Agency("D", POOL, "D")  # graded D: no public money
OUT = Agency("OUT", None, "A")  # not in the county's pool
LAPSED = Agency("LAPSED", date(Y, 3, 31), "A")  # left the pool on 31 March
AGENCIES = {a.key: a for a in (A, B, D, OUT, LAPSED)}
ALL_MONTHS = frozenset(range(1, 13))


def ent(key, size="small", inspections=(), contracts=()):
    return Enterprise(key, size, tuple(inspections), tuple(contracts))


def run(enterprises, s=None, until=END):
    lines, totals = compute(enterprises, AGENCIES, Y, until, s or SubsidySettings())
    return {(ln.enterprise, ln.agency, ln.item): ln for ln in lines}, totals


def test_only_small_and_micro_enterprises_qualify():
    lines, totals = run(
        [ent("big", "large", [(date(Y, 3, 1), "A")]), ent("e", "small", [(date(Y, 3, 1), "A")])]
    )
    assert lines["big", "A", Item.comprehensive].amount == 0
    assert lines["big", "A", Item.comprehensive].reason == Reason.size
    # A inspected one small enterprise, signed none: rate 0% → 30% cut: 200 × 0.7 = 140.
    assert lines["e", "A", Item.comprehensive].amount == 140
    assert totals["A"].amount == 140
    lines, _ = run([ent("big", "large", [(date(Y, 3, 1), "A")])], SubsidySettings(sizes=frozenset({"large"})))
    assert lines["big", "A", Item.comprehensive].amount == 140


def test_per_enterprise_per_year_whichever_agency():
    """Two agencies inspect the same enterprise; the second signs it monthly with a check every
    month. Today's bug paid 140 + 360 = 500; the rule pays 200 once and the difference 160."""
    e = ent(
        "e",
        inspections=[(date(Y, 2, 1), "A"), (date(Y, 5, 1), "B")],
        contracts=[("B", date(Y, 1, 1), date(Y, 12, 31), ALL_MONTHS)],
    )
    e2 = ent("e2", inspections=[(date(Y, 2, 1), "A")], contracts=[("A", date(Y, 1, 1), END, ALL_MONTHS)])
    lines, totals = run([e, e2])
    # A inspected e and e2 and signed e2: 1/2 = 50% ≥ 30% → no cut: 200 each.
    assert lines["e", "A", Item.comprehensive].amount == 200
    assert lines["e", "B", Item.comprehensive].reason == Reason.already_paid
    assert lines["e", "B", Item.monthly].amount == 160  # 360 − 200: e already had the inspection subsidy
    assert lines["e2", "A", Item.monthly].amount == 160
    assert totals["A"].amount == 200 + 200 + 160
    assert totals["B"].amount == 160
    assert sum(ln.amount for ln in lines.values() if ln.enterprise == "e") == 360


def test_the_monthly_subsidy_once_a_year_and_360_without_an_inspection():
    e = ent(
        "e",
        contracts=[
            ("A", date(Y, 1, 1), END, ALL_MONTHS),
            ("B", date(Y, 1, 1), END, ALL_MONTHS),
        ],
    )
    lines, _ = run([e])
    assert lines["e", "A", Item.monthly].amount == 360  # no inspection subsidy this year
    assert lines["e", "B", Item.monthly].reason == Reason.already_paid


def test_the_monthly_subsidy_is_earned_by_a_check_in_each_month():
    # Contract 1 July 2024 – 30 June 2025: in 2025 it covers January–June (6 months).
    six = ("A", date(Y - 1, 7, 1), date(Y, 6, 30), frozenset({1, 2, 3, 4, 5, 6}))
    five = ("A", date(Y - 1, 7, 1), date(Y, 6, 30), frozenset({1, 2, 3, 5, 6}))
    none = ("A", date(Y - 1, 7, 1), date(Y, 6, 30), frozenset())
    lines, _ = run(
        [ent("six", contracts=[six]), ent("five", contracts=[five]), ent("none", contracts=[none])]
    )
    assert lines["six", "A", Item.monthly].amount == 360
    missed = lines["five", "A", Item.monthly]
    assert (missed.amount, missed.reason, missed.months_done, missed.months_due) == (0, Reason.months, 5, 6)
    assert lines["none", "A", Item.monthly].reason == Reason.months
    # Minimum 80% of months, prorated: 5 of 6 months → 360 × 5/6 = 300.
    s = SubsidySettings(month_share=0.8, prorate=True)
    lines, _ = run([ent("five", contracts=[five]), ent("six", contracts=[six])], s)
    assert lines["five", "A", Item.monthly].amount == 300
    assert lines["six", "A", Item.monthly].amount == 360
    # 80% without prorating: 5 of 6 (83%) earns it in full.
    lines, _ = run([ent("five", contracts=[five])], SubsidySettings(month_share=0.8))
    assert lines["five", "A", Item.monthly].amount == 360


def test_a_contract_counts_only_in_the_years_it_covers():
    # A contract with no visits spanning two years is paid in neither.
    lines, _ = run([ent("e", contracts=[("A", date(Y, 7, 1), date(Y + 1, 6, 30), frozenset())])])
    assert lines["e", "A", Item.monthly].reason == Reason.months
    assert months_in_year(date(Y, 7, 15), date(Y + 1, 6, 30), Y, END) == [7, 8, 9, 10, 11, 12]
    assert months_in_year(date(Y, 7, 15), date(Y + 1, 6, 30), Y, date(Y, 9, 3)) == [7, 8, 9]
    assert months_in_year(date(Y - 1, 1, 1), date(Y - 1, 12, 31), Y, END) == []


@pytest.mark.parametrize(
    ("due", "done", "settings", "factor"),
    [
        ({1, 2, 3}, {1, 2, 3}, SubsidySettings(), 1.0),
        ({1, 2, 3}, {1, 2}, SubsidySettings(), 0.0),
        ({1, 2, 3, 4}, {1, 2, 3}, SubsidySettings(month_share=0.75), 1.0),
        ({1, 2, 3, 4}, {1, 2, 3}, SubsidySettings(month_share=0.75, prorate=True), 0.75),
        ({1, 2, 3, 4}, {1, 2}, SubsidySettings(month_share=0.75, prorate=True), 0.0),
        (set(), set(), SubsidySettings(), 0.0),
    ],
)
def test_monthly_factor(due, done, settings, factor):
    assert monthly_factor(due, done, settings) == factor


def test_only_pool_agencies_graded_c_or_better_or_ungraded():
    enterprises = [
        ent("d", inspections=[(date(Y, 3, 1), "D")]),
        ent("out", inspections=[(date(Y, 3, 1), "OUT")]),
        ent("lapsed", inspections=[(date(Y, 3, 1), "LAPSED"), (date(Y, 5, 1), "LAPSED")]),
        ent("late", inspections=[(date(Y, 5, 1), "LAPSED"), (date(Y, 6, 1), "B")]),
        ent("b", inspections=[(date(Y, 3, 1), "B")], contracts=[("OUT", date(Y, 1, 1), END, ALL_MONTHS)]),
    ]
    lines, totals = run(enterprises)
    assert lines["d", "D", Item.comprehensive].reason == Reason.grade
    assert lines["out", "OUT", Item.comprehensive].reason == Reason.not_in_pool
    assert lines["lapsed", "LAPSED", Item.comprehensive].amount == 140  # in the pool on 1 March
    assert lines["late", "LAPSED", Item.comprehensive].reason == Reason.not_in_pool  # left it on 31 March
    # B, not yet graded, inspected "late" and "b", signed neither: 0% → 30% cut: 140 each.
    assert lines["late", "B", Item.comprehensive].amount == 140
    assert lines["b", "OUT", Item.monthly].reason == Reason.not_in_pool
    assert totals["B"].amount == 280 and totals["D"].amount == 0 and totals["OUT"].amount == 0
    assert totals["OUT"].reasons == {Reason.not_in_pool} and totals["D"].reasons == {Reason.grade}


def test_signing_rate_cut_applies_per_agency():
    """A inspects 10 enterprises, 2 of which sign monthly with A (20%): one started step
    below 30% → 10% cut: 10 × 180 = 1,800; the two monthly contracts earn 160 each."""
    enterprises = [
        ent(
            f"e{i}",
            inspections=[(date(Y, 1, 10), "A")],
            contracts=[("A", date(Y, 1, 1), END, ALL_MONTHS)] if i < 2 else [],
        )
        for i in range(10)
    ]
    lines, totals = run(enterprises)
    assert totals["A"].rate == 0.2 and totals["A"].reduction == pytest.approx(0.1)
    assert lines["e5", "A", Item.comprehensive].amount == 180
    assert totals["A"].amount == 10 * 180 + 2 * 160


def test_the_current_year_counts_months_begun():
    # On 15 March: January to March are due; all visited → earned.
    e = ent("e", contracts=[("A", date(Y, 1, 1), END, frozenset({1, 2, 3}))])
    lines, _ = run([e], until=date(Y, 3, 15))
    assert lines["e", "A", Item.monthly].amount == 360
