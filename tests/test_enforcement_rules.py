"""The yearly enforcement list's rule (domain.enforcement), case by case. Seed 000 line 60:
「小微企业自身不开展隐患排查，又不委托开展隐患排查服务外包的企业列入年度执法范围」."""

from datetime import date

import pytest

from domain.enforcement import Conduct, listed

TODAY = date(2026, 11, 25)  # the window is 2025-11-25 .. 2026-11-25


@pytest.mark.parametrize(
    ("case", "conduct", "expected"),
    [
        ("nothing on record: neither of seed 000's two", Conduct(), True),
        # 自身开展隐患排查: the hazard-investigation indicator (seed 003 line 7, 安全隐患排查)
        ("inspected itself two months ago", Conduct(self_checked_on=date(2026, 9, 25)), False),
        ("inspected itself on the window's first day", Conduct(self_checked_on=date(2025, 11, 25)), False),
        ("last inspected itself 12 months and a day ago", Conduct(self_checked_on=date(2025, 11, 24)), True),
        ("an investigation dated after today is no record", Conduct(self_checked_on=date(2026, 12, 1)), True),
        # 委托开展隐患排查服务外包: a contract in force on some day of the window, or a visit
        ("contract ended six months ago", Conduct(contract_until=date(2026, 5, 31)), False),
        ("contract ended on the window's first day", Conduct(contract_until=date(2025, 11, 25)), False),
        ("contract ended the day before the window", Conduct(contract_until=date(2025, 11, 24)), True),
        ("contract running into next year", Conduct(contract_until=date(2027, 6, 30)), False),
        (
            "an agency visited three months ago, no contract recorded",
            Conduct(visited_on=date(2026, 8, 1)),
            False,
        ),
        ("the agency's last visit was two years ago", Conduct(visited_on=date(2024, 11, 1)), True),
        ("a government inspection last month", Conduct(inspected_on=date(2026, 10, 20)), False),
        ("the last government inspection two years ago", Conduct(inspected_on=date(2024, 10, 20)), True),
        (
            "everything stale",
            Conduct(date(2025, 1, 1), date(2025, 6, 30), date(2025, 3, 1)),
            True,
        ),
    ],
)
def test_who_is_on_the_yearly_enforcement_list(case, conduct, expected):
    assert listed(conduct, TODAY, 12) is expected, case


def test_the_window_follows_enforcement_months():
    conduct = Conduct(self_checked_on=date(2026, 3, 1))  # nearly nine months ago
    assert not listed(conduct, TODAY, 12)
    assert listed(conduct, TODAY, 6)
