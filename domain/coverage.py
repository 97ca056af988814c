"""Coverage as seed 001 measures it: industrial enterprises (by their industry) under an active
service contract, at least 50%; at least 10 points of new coverage a year; every enterprise of
a key high-risk industry (by its tags) covered. Every number and list is a setting."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CoverageSettings:
    target: float = 0.5
    new_target: float = 0.10
    key_target: float = 1.0
    key_tags: frozenset[str] = frozenset(
        {"危化品", "粉尘涉爆", "有限空间", "涂装", "金属冶炼", "涉氨", "矿山"}
    )
    non_industrial: frozenset[str] = frozenset({"仓储物流", "批发零售", "住宿餐饮", "商贸", "服务业"})


def is_industrial(industry: str, s: CoverageSettings) -> bool:
    industry = industry.strip()
    return bool(industry) and industry not in s.non_industrial


def is_key(tags: str, s: CoverageSettings) -> bool:
    return bool({t.strip() for t in tags.split(";")} & s.key_tags)


@dataclass
class Coverage:
    industrial: int = 0
    covered: int = 0
    covered_year_ago: int = 0  # of today's industrial enterprises, covered a year ago
    key: int = 0  # enterprises of a key high-risk industry (any industry field)
    key_covered: int = 0

    def add(self, other: Coverage) -> None:
        for name in ("industrial", "covered", "covered_year_ago", "key", "key_covered"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def rate(self) -> float:
        return self.covered / self.industrial if self.industrial else 0.0

    @property
    def last_rate(self) -> float:
        return self.covered_year_ago / self.industrial if self.industrial else 0.0

    @property
    def new(self) -> float:
        """New coverage over the year, in points of the industrial enterprises."""
        return self.rate - self.last_rate

    @property
    def key_rate(self) -> float:
        return self.key_covered / self.key if self.key else 1.0

    def met(self, s: CoverageSettings) -> dict[str, bool]:
        eps = 1e-9
        return {
            "rate": self.rate + eps >= s.target,
            "new": self.new + eps >= s.new_target,
            "key": self.key_rate + eps >= s.key_target,
        }


def count(
    enterprises: list[tuple[str, str]],
    covered_now: list[bool],
    covered_before: list[bool],
    s: CoverageSettings,
) -> Coverage:
    """`enterprises` as (industry, tags), with whether each is covered now and a year ago."""
    c = Coverage()
    for (industry, tags), now, before in zip(enterprises, covered_now, covered_before, strict=True):
        if is_industrial(industry, s):
            c.industrial += 1
            c.covered += now
            c.covered_year_ago += before
        if is_key(tags, s):
            c.key += 1
            c.key_covered += now
    return c
