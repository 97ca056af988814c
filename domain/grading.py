"""Agency credit grade (seed 003), every half year. Default score out of 100:
60 × average stars / 5 + 25 × on-time report share + 15 × hazard closure share,
minus 10 per substantiated tip against the agency; A ≥ 90, B ≥ 75, C ≥ 60, D otherwise;
fewer than 5 ratings in the half year: not graded. Every number is a setting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class GradeSettings:
    a: float = 90
    b: float = 75
    c: float = 60
    min_ratings: int = 5
    tip_penalty: float = 10
    # The visits whose report counts in the on-time share (training and drills need none).
    report_kinds: frozenset[str] = frozenset({"comprehensive", "monthly"})


@dataclass(frozen=True)
class Period:
    year: int
    half: int  # 1: January–June, 2: July–December

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def label(self) -> str:
        return f"{self.year}H{self.half}"

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, 1 if day.month <= 6 else 2)

    @classmethod
    def parse(cls, text: str) -> Period | None:
        text = text.strip().upper()
        if len(text) == 6 and text[:4].isdigit() and text[4] == "H" and text[5] in "12":
            return cls(int(text[:4]), int(text[5]))
        return None

    def previous(self) -> Period:
        return Period(self.year, 1) if self.half == 2 else Period(self.year - 1, 2)


def score(
    avg_stars: float | None,
    on_time: float | None,
    closure: float | None,
    substantiated: int,
    s: GradeSettings = GradeSettings(),
) -> float:
    """Missing shares count as zero: an agency with nothing to show earns nothing for it."""
    raw = (
        60 * (avg_stars or 0) / 5 + 25 * (on_time or 0) + 15 * (closure or 0) - s.tip_penalty * substantiated
    )
    return round(max(0.0, min(100.0, raw)), 1)


def grade(points: float, ratings: int, s: GradeSettings = GradeSettings()) -> str | None:
    """A, B, C or D; None ("not graded") below the minimum number of ratings."""
    if ratings < s.min_ratings:
        return None
    if points >= s.a:
        return "A"
    if points >= s.b:
        return "B"
    if points >= s.c:
        return "C"
    return "D"


def eligible_for_public_money(letter: str | None) -> bool:
    """Seed 002: public money goes only to agencies graded C or better."""
    return letter in ("A", "B", "C")
