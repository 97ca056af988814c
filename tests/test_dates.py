"""Dates as people type them, relative to a fixed today (Wednesday 2026-11-25)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.dates import read_day
from storage.clock import local

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
        ("上周一", date(2026, 11, 16)),
        ("上星期五", date(2026, 11, 20)),
        ("上上周三", date(2026, 11, 11)),
        ("last monday", date(2026, 11, 16)),
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


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (datetime(2026, 11, 25, 17, 0), "2026-11-26 01:00"),  # as the database hands it back
        (datetime(2026, 11, 25, 15, 59, tzinfo=UTC), "2026-11-25 23:59"),
        (datetime(2026, 11, 26, 1, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "2026-11-26 01:00"),
    ],
)
def test_a_stored_moment_is_shown_in_the_configured_zone(stored, expected):
    """Timestamps are written in UTC and come back without a zone: shown in China's time, an
    evening submission is dated the next day, whatever the machine's own zone."""
    assert local(stored, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M") == expected
