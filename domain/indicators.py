"""The indicator catalogue (主体责任指标): a data file a county may replace."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_CATALOGUE = Path(__file__).with_name("data") / "indicators.csv"


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    validity_months: int | None

    def name(self, locale: str) -> str:
        return self.name_zh if locale == "zh" else self.name_en


@lru_cache(maxsize=4)
def load_catalogue(path: str = "") -> tuple[Indicator, ...]:
    source = Path(path) if path else DEFAULT_CATALOGUE
    with source.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    items = tuple(
        Indicator(
            code=row["code"].strip(),
            name_zh=row["name_zh"].strip(),
            name_en=row["name_en"].strip(),
            validity_months=int(row["validity_months"]) if row.get("validity_months", "").strip() else None,
        )
        for row in rows
    )
    if len({i.code for i in items}) != len(items):
        raise ValueError(f"duplicate indicator codes in {source}")
    return items
