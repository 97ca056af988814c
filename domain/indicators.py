"""The indicator catalogue (主体责任指标): a data file a county may replace. `applies_to` lists
the tags or industries (separated by `;`) of the enterprises an indicator applies to (危化使用管理
where hazardous chemicals are used, …); empty: every enterprise. `source` (ignored here) cites
the seed line that restricts an indicator."""

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
    applies_to: frozenset[str] = frozenset()

    def name(self, locale: str) -> str:
        return self.name_zh if locale == "zh" else self.name_en

    def applies(self, tags: str, industry: str) -> bool:
        """`tags` as stored on the enterprise (separated by `;`)."""
        if not self.applies_to:
            return True
        mine = {t.strip() for t in tags.split(";") if t.strip()} | {industry.strip()}
        return bool(self.applies_to & mine)


def applicable(catalogue: tuple[Indicator, ...], tags: str, industry: str) -> tuple[Indicator, ...]:
    return tuple(i for i in catalogue if i.applies(tags, industry))


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
            applies_to=frozenset(w.strip() for w in (row.get("applies_to") or "").split(";") if w.strip()),
        )
        for row in rows
    )
    if len({i.code for i in items}) != len(items):
        raise ValueError(f"duplicate indicator codes in {source}")
    return items
