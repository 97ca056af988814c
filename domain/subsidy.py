"""Subsidy (seed 000, Ninghai 2015), per enterprise per year, each enterprise once a year:
comprehensive inspection 200 yuan; monthly contract 360 yuan; an enterprise that already had
the comprehensive subsidy gets the difference (160). The comprehensive subsidy is paid in full
when the agency's signing rate (enterprises signed to monthly service / enterprises given a
comprehensive inspection) is at least 30%, and 10% less for each 10 points below.

"Each 10 points below" is read as each started step: 29% already loses 10%, so that the 30%
threshold means what it says (steps and amounts are settings)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class SubsidySettings:
    comprehensive: int = 200
    monthly: int = 360
    threshold: float = 0.30
    step: float = 0.10  # each step of signing rate below the threshold …
    cut: float = 0.10  # … cuts this share of the comprehensive subsidy


@dataclass(frozen=True)
class AgencySubsidy:
    comprehensive: int  # enterprises given a comprehensive inspection
    monthly: int  # enterprises signed to monthly service
    both: int  # … of which also inspected comprehensively
    rate: float
    reduction: float
    comprehensive_amount: float
    monthly_amount: float

    @property
    def total(self) -> float:
        return self.comprehensive_amount + self.monthly_amount


def reduction(rate: float, s: SubsidySettings = SubsidySettings()) -> float:
    if rate >= s.threshold:
        return 0.0
    steps = math.ceil(round((s.threshold - rate) / s.step, 9))
    return min(1.0, round(steps * s.cut, 9))


def agency_subsidy(comprehensive: set, monthly: set, s: SubsidySettings = SubsidySettings()) -> AgencySubsidy:
    """`comprehensive` and `monthly` are the enterprises (any ids) credited to one agency."""
    both = comprehensive & monthly
    rate = len(both) / len(comprehensive) if comprehensive else 0.0
    cut = reduction(rate, s) if comprehensive else 0.0
    comp_amount = len(comprehensive) * s.comprehensive * (1 - cut)
    difference = s.monthly - s.comprehensive
    monthly_amount = len(both) * difference + len(monthly - comprehensive) * s.monthly
    return AgencySubsidy(
        len(comprehensive), len(monthly), len(both), rate, cut, round(comp_amount, 2), float(monthly_amount)
    )


def credit_once(first_by_enterprise: dict[object, tuple[object, object]]) -> dict[object, set]:
    """Each enterprise counts once a year: {enterprise: (first date, agency)} → {agency: enterprises}."""
    out: dict[object, set] = {}
    for enterprise, (_first, agency) in first_by_enterprise.items():
        out.setdefault(agency, set()).add(enterprise)
    return out
