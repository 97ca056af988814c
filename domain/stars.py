"""Stars typed instead of pressed: 「5星」「五星」「5」「★★★★★」 or "5 stars" read as 5."""

from __future__ import annotations

import re

_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_TYPED = re.compile(r"^(?P<n>[1-5]|[一二两三四五]|one|two|three|four|five)\s*(?:颗|个)?\s*(?:星|stars?)?$")


def read_stars(text: str | None) -> int | None:
    """The number of stars (1–5) a person typed, or None when the text says no such thing."""
    said = (text or "").strip().lower().rstrip("。.!！")
    if said and set(said) <= {"★", "⭐", "☆"} and "☆" not in said:
        return len(said) if len(said) <= 5 else None
    match = _TYPED.match(said)
    if match is None:
        return None
    n = match["n"]
    return int(n) if n.isdigit() else _DIGITS.get(n) or _WORDS[n]
