"""Dates as people type them, relative to a fixed today (Wednesday 2026-11-25)."""

from datetime import date

import pytest

from domain.dates import read_day

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("2026/12/1", date(2026, 12, 1)),
        ("2026.1.5", date(2026, 1, 5)),
        ("2026年12月1日", date(2026, 12, 1)),
        ("2027年1月3号", date(2027, 1, 3)),
        ("12月1日", date(2026, 12, 1)),
        ("12-31", date(2026, 12, 31)),
        ("今天", TODAY),
        ("明天", date(2026, 11, 26)),
        ("后天", date(2026, 11, 27)),
        ("昨天", date(2026, 11, 24)),
        ("Tomorrow", date(2026, 11, 26)),
        ("+7", date(2026, 12, 2)),
        ("+30天", date(2026, 12, 25)),
        ("7天后", date(2026, 12, 2)),
        ("in 10 days", date(2026, 12, 5)),
        ("3天前", date(2026, 11, 22)),
        ("2 days ago", date(2026, 11, 23)),
        ("周五", date(2026, 11, 27)),
        ("本周一", date(2026, 11, 23)),
        ("下周五", date(2026, 12, 4)),
        ("下星期一", date(2026, 11, 30)),
        ("下周日", date(2026, 12, 6)),
        ("next friday", date(2026, 12, 4)),
        ("friday", date(2026, 11, 27)),
        # not dates
        ("2026-02-30", None),
        ("13月1日", None),
        ("五", None),
        ("下周八", None),
        ("soon", None),
        ("", None),
        ("2026-11-2x", None),
    ],
)
def test_read_day(text, expected):
    assert read_day(text, TODAY) == expected
