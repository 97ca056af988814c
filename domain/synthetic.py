"""A synthetic county, deterministic from a seed, written as the contract's import files.

Used by the demo, the tests and the benchmarks. Proportions follow the seeds: most
enterprises are small, ~85% are under contract, about a third sign monthly service, some ten
hazards an enterprise a year (seed 000: 44,828 hazards for ~4,000 enterprises), a few
majors, some overdue, some reports late or missing."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from domain.indicators import load_catalogue
from domain.uscc import ALPHABET, complete

COUNTY = "330226"
INDUSTRIES = ("机械制造", "纺织服装", "化工", "食品加工", "家具制造", "金属制品", "塑料制品", "仓储物流")
TAGS = ("危化品", "粉尘涉爆", "有限空间", "涂装", "金属冶炼", "涉氨")
# The tag of the catalogue's 三场所两企业管理 indicator (it applies to those enterprises only).
THREE_TWO, THREE_TWO_SHARE = "三场所两企业", 0.12
NAME_PARTS = ("宁", "海", "东", "兴", "华", "盛", "达", "鑫", "恒", "泰", "安", "丰", "利", "建", "明", "诚")
SUFFIXES = (
    "机械有限公司",
    "塑业有限公司",
    "五金厂",
    "纺织有限公司",
    "电器有限公司",
    "食品有限公司",
    "模具厂",
)
HAZARD_TEXTS = (
    "灭火器压力不足",
    "安全出口堵塞",
    "配电箱未上锁",
    "危化品未分类存放",
    "粉尘未及时清理",
    "有限空间作业无审批",
    "机械防护罩缺失",
    "员工未佩戴防护用品",
)


# Seed 003 reports 89.1% of enterprises' responsibilities fulfilled and coverage of 80.5–93.6%:
# most enterprises fulfil nearly all indicators, a few (1 in 16) about half of them.
INDICATOR_SHARES = (0.5,) + (0.9,) * 3 + (0.95,) * 4 + (1.0,) * 8
OVERDUE_LEFT = 0.995  # of the hazards past their deadline, the share closed


@dataclass(frozen=True)
class CountyShape:
    enterprises: int
    townships: int
    agencies: int
    hazards_per_enterprise: float = 10.0


def shape_for(n: int) -> CountyShape:
    return CountyShape(enterprises=n, townships=max(2, min(20, n // 1500 or 2)), agencies=max(3, n // 800))


# Township and street names for the generated county (shown instead of division codes).
TOWN_NAMES = (
    "城关街道",
    "桥头镇",
    "西店镇",
    "长街镇",
    "梅林街道",
    "前童镇",
    "大佳何镇",
    "岔路镇",
    "黄坛镇",
    "一市镇",
)


def township_codes(count: int, county: str = COUNTY) -> list[str]:
    return [f"{county}{100 + i:03d}" for i in range(count)]


def _uscc(rng: random.Random, division: str) -> str:
    body = "".join(rng.choice(ALPHABET) for _ in range(9))
    return complete("91" + division[:6] + body)


def generate(
    folder: Path,
    n: int,
    seed: int = 1,
    today: date | None = None,
    county: str = COUNTY,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> dict[str, int]:
    """Write `<kind>.csv` files for a county of `n` enterprises; returns row counts by kind.
    `progress(kind, rows written, rows)` hears of each file written."""
    rng = random.Random(seed)
    today = today or date.today()
    shape = shape_for(n)
    towns = township_codes(shape.townships, county)
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}

    def write(kind: str, header: list[str], rows: list[list[object]]) -> None:
        with (folder / f"{kind}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        counts[kind] = len(rows)
        if progress is not None:
            progress(kind, len(rows), len(rows))

    # Its own stream, so the rest of the county is the same as before the tag existed.
    three_two_rng = random.Random(f"{seed}:three-two")
    seen: set[str] = set()
    enterprises = []
    for i in range(n):
        division = towns[i % len(towns)]
        code = _uscc(rng, division)
        while code in seen:
            code = _uscc(rng, division)
        seen.add(code)
        name = "".join(rng.choices(NAME_PARTS, k=3)) + rng.choice(SUFFIXES) + f"{i:05d}"
        tags = ";".join(rng.sample(TAGS, k=rng.choice((0, 0, 1, 2))))
        if three_two_rng.random() < THREE_TWO_SHARE:
            tags = ";".join(filter(None, (tags, THREE_TWO)))
        enterprises.append(
            [code, name, division, rng.choice(INDUSTRIES), "large" if rng.random() < 0.08 else "small", tags]
        )
    write("enterprises", ["uscc", "name", "division", "industry", "size", "tags"], enterprises)
    places = [[county, "示范县"]] + [
        [code, TOWN_NAMES[i % len(TOWN_NAMES)] + ("" if i < len(TOWN_NAMES) else str(i))]
        for i, code in enumerate(towns)
    ]
    write("divisions", ["code", "name"], places)

    # The county's pool (seed 000) holds every agency but the last, re-selected every two years.
    pool_until = today + timedelta(days=2 * 365)
    agencies = [
        [
            f"AG{a + 1:03d}",
            f"安全咨询服务机构{a + 1:03d}",
            complete("91" + county + f"{a:09d}"),
            county,
            pool_until if a < shape.agencies - 1 else "",
        ]
        for a in range(shape.agencies)
    ]
    write("agencies", ["code", "name", "uscc", "division", "in_pool_until"], agencies)
    write(
        "staff",
        ["agency_code", "name", "qualification"],
        [[a[0], f"服务人员{a[0]}-{s + 1}", "注册安全工程师"] for a in agencies for s in range(5)],
    )

    year_start = today - timedelta(days=365)
    contracts, visits, hazards, reports = [], [], [], []
    for i, (code, *_rest) in enumerate(enterprises):
        if rng.random() >= 0.85:
            continue
        agency = agencies[i % len(agencies)][0]
        start = year_start + timedelta(days=rng.randrange(0, 60))
        end = start + timedelta(days=364)
        monthly = rng.random() < 0.35
        contracts.append([agency, code, "comprehensive", start, end])
        days = [start + timedelta(days=rng.randrange(0, 30))]
        if monthly:
            contracts.append([agency, code, "monthly", start, end])
            days += [start + timedelta(days=30 * m + rng.randrange(0, 10)) for m in range(1, 12)]
        days = [d for d in days if d <= today]
        for v, day in enumerate(days):
            ref = f"V{i:06d}-{v:02d}"
            visits.append([ref, agency, code, day, "comprehensive" if v == 0 else "monthly"])
            due = day + timedelta(days=30)
            roll = rng.random()
            if roll < 0.8:
                reports.append([agency, ref, day + timedelta(days=rng.randrange(1, 30))])
            elif roll < 0.9 and due + timedelta(days=15) <= today:
                reports.append([agency, ref, due + timedelta(days=rng.randrange(1, 15))])
            # otherwise: missing (or still due)
        per_visit = shape.hazards_per_enterprise / 0.85 / max(1, len(days))
        for v, day in enumerate(days):
            k = int(per_visit) + (1 if rng.random() < per_visit - int(per_visit) else 0)
            for h in range(k):
                major = rng.random() < 0.02
                deadline = day + timedelta(days=7 if major else 30)
                if deadline < today:
                    # Seed 003: most hazards are closed in time, a few stay open past it.
                    status = "verified" if rng.random() < OVERDUE_LEFT else rng.choice(("open", "submitted"))
                else:
                    status = rng.choice(("open", "open", "submitted", "verified"))
                closed = ""
                if status == "verified":
                    closed = min(today, day + timedelta(days=rng.randrange(1, 40)))
                hazards.append(
                    [
                        f"H{i:06d}-{v:02d}-{h:02d}",
                        agency,
                        code,
                        f"V{i:06d}-{v:02d}",
                        day,
                        rng.choice(HAZARD_TEXTS),
                        "major" if major else "general",
                        deadline,
                        status,
                        closed,
                    ]
                )
    write("contracts", ["agency_code", "uscc", "kind", "start_date", "end_date"], contracts)
    write("visits", ["ref", "agency_code", "uscc", "date", "kind"], visits)
    write(
        "hazards",
        [
            "ref",
            "agency_code",
            "uscc",
            "visit_ref",
            "found_on",
            "description",
            "level",
            "deadline",
            "status",
            "closed_on",
        ],
        hazards,
    )
    write("reports", ["agency_code", "visit_ref", "submitted_on"], reports)

    catalogue = load_catalogue()
    indicators = []
    for code, *_rest in enterprises:
        share = rng.choice(INDICATOR_SHARES)
        for ind in catalogue:
            if rng.random() >= share:
                continue
            fulfilled = today - timedelta(days=rng.randrange(0, 330))  # most still valid
            expires = ""
            if ind.validity_months:
                expires = fulfilled + timedelta(days=30 * ind.validity_months)
            indicators.append([code, ind.code, fulfilled, expires])
    write("indicators", ["uscc", "indicator", "fulfilled_on", "expires_on"], indicators)
    return counts
