"""Dates as people type them: ISO and Chinese forms, and words relative to today."""

from __future__ import annotations

import re
from datetime import date, timedelta

_WEEKDAYS = {
    **dict(zip("一二三四五六日", range(7), strict=True)),
    "天": 6,
    **{
        d: i
        for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    },
    **{d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
}
_NAMED = {
    "今天": 0, "今日": 0, "today": 0,
    "明天": 1, "明日": 1, "tomorrow": 1,
    "后天": 2, "大后天": 3,
    "昨天": -1, "昨日": -1, "yesterday": -1,
    "前天": -2,
}  # fmt: skip
_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$")
_AFTER = re.compile(
    r"^(?:\+\s*(\d{1,3})\s*(?:天|d|days?)?|(\d{1,3})\s*天(?:后|以后|之后)|in\s+(\d{1,3})\s+days?)$"
)
_BEFORE = re.compile(r"^(?:(\d{1,3})\s*天(?:前|以前|之前)|(\d{1,3})\s+days?\s+ago)$")
_WEEK_ZH = re.compile(r"^(下下|下|本|这|上上|上)?(?:周|星期|礼拜)([一二三四五六日天])$")
_WEEK_EN = re.compile(r"^(?:(this|next|last)\s+)?([a-z]{3,9})$")
_WEEKS_AHEAD = {"下下": 2, "下": 1, "next": 1, "上": -1, "last": -1, "上上": -2}


def read_day(text: str, today: date) -> date | None:
    """The date `text` names, or None when it names none (or an impossible one).

    Accepted: 2026-12-01, 2026/12/1, 2026年12月1日, 12月1日 and 12-1 (this year), 今天 明天
    后天 昨天 (today, tomorrow, yesterday), +7, 7天后, in 7 days, 3天前, 3 days ago, 周五 / 本周五
    (this week's), 下周五 / next friday (next week's), 上周一 / last monday (last week's)."""
    s = text.strip().lower()
    if s in _NAMED:
        return today + timedelta(days=_NAMED[s])
    try:
        if m := _FULL.match(s):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _MONTH_DAY.match(s):
            return date(today.year, int(m[1]), int(m[2]))
    except ValueError:
        return None
    if m := _AFTER.match(s):
        return today + timedelta(days=int(next(g for g in m.groups() if g)))
    if m := _BEFORE.match(s):
        return today - timedelta(days=int(next(g for g in m.groups() if g)))
    if (m := _WEEK_ZH.match(s) or _WEEK_EN.match(s)) and m[2] in _WEEKDAYS:
        monday = today - timedelta(days=today.weekday())
        return monday + timedelta(weeks=_WEEKS_AHEAD.get(m[1] or "", 0), days=_WEEKDAYS[m[2]])
    return None
