"""A synthetic county, deterministic from a seed, written as the contract's import files.

Used by the demo, the tests and the benchmarks. Proportions follow the seeds: most
enterprises are small, ~85% are under contract, about a third sign monthly service, some ten
hazards an enterprise a year (seed 000: 44,828 hazards for ~4,000 enterprises), a few
majors, some overdue, some reports late or missing."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

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


class _Files:
    """The county's CSV files, each written row by row as the rows are drawn."""

    def __init__(self, folder: Path, progress: Callable[[str, int, int | None], None] | None) -> None:
        self.folder = folder
        self.progress = progress
        self.counts: dict[str, int] = {}
        self._open: dict[str, tuple[IO[str], Any]] = {}

    def start(self, kind: str, header: list[str]) -> Callable[[list[object]], None]:
        fh = (self.folder / f"{kind}.csv").open("w", encoding="utf-8", newline="")
        writer = csv.writer(fh)
        writer.writerow(header)
        self._open[kind] = (fh, writer)
        self.counts[kind] = 0

        def row(values: list[object]) -> None:
            writer.writerow(values)
            self.counts[kind] += 1

        return row

    def finish(self, *kinds: str) -> None:
        for kind in kinds:
            self._open.pop(kind)[0].close()
            if self.progress is not None:
                self.progress(kind, self.counts[kind], self.counts[kind])

    def write(self, kind: str, header: list[str], rows: Iterable[list[object]]) -> None:
        row = self.start(kind, header)
        for values in rows:
            row(values)
        self.finish(kind)

    def tick(self, label: str, done: int, total: int) -> None:
        """Progress of a pass over the enterprises (the rows of its files are not known yet)."""
        if self.progress is not None and done % 1000 == 0:
            self.progress(label, done, total)


def generate(
    folder: Path,
    n: int,
    seed: int = 1,
    today: date | None = None,
    county: str = COUNTY,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> dict[str, int]:
    """Write `<kind>.csv` files for a county of `n` enterprises; returns row counts by kind.
    Rows are written as they are drawn (a province does not fit in memory as lists).
    `progress(label, rows done, rows)` hears how far each file or pass is."""
    rng = random.Random(seed)
    today = today or date.today()
    shape = shape_for(n)
    towns = township_codes(shape.townships, county)
    folder.mkdir(parents=True, exist_ok=True)
    files = _Files(folder, progress)

    # Its own stream, so the rest of the county is the same as before the tag existed.
    three_two_rng = random.Random(f"{seed}:three-two")
    seen: set[str] = set()
    codes = []
    enterprise = files.start("enterprises", ["uscc", "name", "division", "industry", "size", "tags"])
    for i in range(n):
        division = towns[i % len(towns)]
        code = _uscc(rng, division)
        while code in seen:
            code = _uscc(rng, division)
        seen.add(code)
        codes.append(code)
        name = "".join(rng.choices(NAME_PARTS, k=3)) + rng.choice(SUFFIXES) + f"{i:05d}"
        tags = ";".join(rng.sample(TAGS, k=rng.choice((0, 0, 1, 2))))
        if three_two_rng.random() < THREE_TWO_SHARE:
            tags = ";".join(filter(None, (tags, THREE_TWO)))
        enterprise(
            [code, name, division, rng.choice(INDUSTRIES), "large" if rng.random() < 0.08 else "small", tags]
        )
        files.tick("enterprises", i, n)
    del seen
    files.finish("enterprises")
    places = [[county, "示范县"]] + [
        [code, TOWN_NAMES[i % len(TOWN_NAMES)] + ("" if i < len(TOWN_NAMES) else str(i))]
        for i, code in enumerate(towns)
    ]
    files.write("divisions", ["code", "name"], places)

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
    files.write("agencies", ["code", "name", "uscc", "division", "in_pool_until"], agencies)
    files.write(
        "staff",
        ["agency_code", "name", "qualification"],
        [[a[0], f"服务人员{a[0]}-{s + 1}", "注册安全工程师"] for a in agencies for s in range(5)],
    )
    _services(files, rng, codes, [a[0] for a in agencies], shape, today)
    _indicators(files, rng, codes, today)
    return files.counts


def _services(
    files: _Files, rng: random.Random, codes: list[str], agencies: list[str], shape: CountyShape, today: date
) -> None:
    """Contracts, visits, their hazards and reports, enterprise by enterprise."""
    contract = files.start("contracts", ["agency_code", "uscc", "kind", "start_date", "end_date"])
    visit = files.start("visits", ["ref", "agency_code", "uscc", "date", "kind"])
    hazard = files.start(
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
    )
    report = files.start("reports", ["agency_code", "visit_ref", "submitted_on"])
    year_start = today - timedelta(days=365)
    for i, code in enumerate(codes):
        files.tick("contracts, visits, hazards, reports", i, len(codes))
        if rng.random() >= 0.85:
            continue
        agency = agencies[i % len(agencies)]
        start = year_start + timedelta(days=rng.randrange(0, 60))
        end = start + timedelta(days=364)
        monthly = rng.random() < 0.35
        contract([agency, code, "comprehensive", start, end])
        days = [start + timedelta(days=rng.randrange(0, 30))]
        if monthly:
            contract([agency, code, "monthly", start, end])
            days += [start + timedelta(days=30 * m + rng.randrange(0, 10)) for m in range(1, 12)]
        days = [d for d in days if d <= today]
        for v, day in enumerate(days):
            ref = f"V{i:06d}-{v:02d}"
            visit([ref, agency, code, day, "comprehensive" if v == 0 else "monthly"])
            due = day + timedelta(days=30)
            roll = rng.random()
            if roll < 0.8:
                report([agency, ref, day + timedelta(days=rng.randrange(1, 30))])
            elif roll < 0.9 and due + timedelta(days=15) <= today:
                report([agency, ref, due + timedelta(days=rng.randrange(1, 15))])
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
                hazard(
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
    files.finish("contracts", "visits", "hazards", "reports")


def _indicators(files: _Files, rng: random.Random, codes: list[str], today: date) -> None:
    catalogue = load_catalogue()
    indicator = files.start("indicators", ["uscc", "indicator", "fulfilled_on", "expires_on"])
    for i, code in enumerate(codes):
        files.tick("indicators", i, len(codes))
        share = rng.choice(INDICATOR_SHARES)
        for ind in catalogue:
            if rng.random() >= share:
                continue
            fulfilled = today - timedelta(days=rng.randrange(0, 330))  # most still valid
            expires = ""
            if ind.validity_months:
                expires = fulfilled + timedelta(days=30 * ind.validity_months)
            indicator([code, ind.code, fulfilled, expires])
    files.finish("indicators")
