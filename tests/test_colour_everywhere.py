"""One colour everywhere: over generated enterprises, the digest's colour counts equal the sum
of each enterprise's own colour as its status shows it; and the indicators that apply."""

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.config import Settings
from domain.compliance import Colour, HazardCounts, Thresholds, decide, overdue_for_owner
from domain.indicators import applicable, load_catalogue
from domain.uscc import complete
from storage.digest import Week, figures
from storage.models import Enterprise, Hazard, IndicatorRecord
from storage.profiles import build_profile

CATALOGUE = load_catalogue()
TH = Thresholds()
DAY = date(2026, 11, 22)  # a Sunday: the end of a digest week
TAGS = ("", "危化品", "三场所两企业", "粉尘涉爆;危化品", "涉氨")


async def _generate(session, rng: random.Random, n: int) -> None:
    for i in range(n):
        ent = Enterprise(
            uscc=complete(f"91330226{rng.randrange(10**9):09d}"),
            name=f"E{i}",
            division=f"33022610{i % 3}",
            industry=rng.choice(("机械制造", "化工", "仓储物流")),
            size="small",
            tags=rng.choice(TAGS),
            public_code=f"p{i}-{rng.randrange(10**9)}",
        )
        session.add(ent)
        await session.flush()
        share = rng.choice((0.3, 0.6, 0.8, 0.95, 1.0))
        for ind in CATALOGUE:
            if rng.random() < share:
                fulfilled = DAY - timedelta(days=rng.randrange(0, 500))
                expires = rng.choice((None, None, fulfilled + timedelta(days=rng.randrange(10, 400))))
                session.add(
                    IndicatorRecord(
                        enterprise_id=ent.id, indicator=ind.code, fulfilled_on=fulfilled, expires_on=expires
                    )
                )
        for h in range(rng.choice((0, 0, 1, 2, 4))):
            found = DAY - timedelta(days=rng.randrange(0, 90))
            deadline = found + timedelta(days=rng.choice((7, 30)))
            status = rng.choice(("open", "submitted", "verified"))
            submitted = None
            if status != "open":
                submitted = found + timedelta(days=rng.randrange(0, 50))
                submitted = min(submitted, DAY)
            closed = (
                min(DAY, submitted + timedelta(days=rng.randrange(0, 5))) if status == "verified" else None
            )
            session.add(
                Hazard(
                    ref=f"h{i}-{h}",
                    enterprise_id=ent.id,
                    found_on=found,
                    description="x",
                    level=rng.choice(("general", "general", "major")),
                    deadline=deadline,
                    status=status,
                    submitted_on=submitted,
                    closed_on=closed,
                )
            )
    await session.commit()


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_digest_colour_counts_equal_the_sum_of_each_enterprise_colour(sessions, seed):
    async with sessions() as session:
        await _generate(session, random.Random(seed), 40)
        week = Week(DAY - timedelta(days=6), DAY)
        f = await figures(session, "330226", week, 30, CATALOGUE, TH)
        own = Counter()
        for e in (await session.scalars(select(Enterprise))).all():
            own[(await build_profile(session, e, DAY, CATALOGUE, TH)).compliance.colour.value] += 1
    assert f.colours == {c.value: own[c.value] for c in Colour}
    assert sum(f.colours.values()) == 40


RESTRICTED = {"CHEM", "THREE_TWO"}  # the only indicators a seed restricts (see the catalogue's source)


async def test_deciding_chunk_by_chunk_changes_nothing(sessions):
    """A county decided (and its coverage counted) a few enterprises at a time, as large
    counties are, gives each enterprise the decision it gets on its own."""
    from storage.compliance import decisions, stream_decisions
    from storage.coverage import coverage_by_division

    async with sessions() as session:
        await _generate(session, random.Random(5), 40)
        everyone = Enterprise.division.like("330226%")
        whole = await decisions(session, everyone, DAY, CATALOGUE, TH)
        streamed = [d async for d in stream_decisions(session, everyone, DAY, CATALOGUE, TH, chunk=7)]
        assert [d.enterprise_id for d in streamed] == sorted(whole)
        assert all(d.compliance == whole[d.enterprise_id].compliance for d in streamed)
        cs = Settings(_env_file=None).coverage()
        one_go = await coverage_by_division(session, everyone, DAY, cs, chunk=10_000)
        assert await coverage_by_division(session, everyone, DAY, cs, chunk=3) == one_go
        assert sum(c.industrial for c in one_go.values()) > 0


@pytest.mark.parametrize(
    ("tags", "industry", "also"),
    [
        ("", "机械制造", set()),
        ("粉尘涉爆;有限空间;涉氨", "金属制品", set()),  # key-supervision tags, no indicator of their own
        ("危化品", "机械制造", {"CHEM"}),
        ("", "化工", {"CHEM"}),
        ("三场所两企业", "纺织服装", {"THREE_TWO"}),
        ("粉尘涉爆;危化品", "机械制造", {"CHEM"}),
        ("危化品;三场所两企业", "", {"CHEM", "THREE_TWO"}),
        (" 三场所两企业 ; 涂装", "家具制造", {"THREE_TWO"}),  # spaces around tags do not matter
    ],
)
def test_indicators_apply_by_tag_or_industry(tags, industry, also):
    names = {i.code for i in applicable(CATALOGUE, tags, industry)}
    assert names == {i.code for i in CATALOGUE} - RESTRICTED | also
    assert len(names) == 19 + len(also)


def test_every_restricted_indicator_cites_its_seed_line():
    import csv

    from domain.indicators import DEFAULT_CATALOGUE

    with DEFAULT_CATALOGUE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 21
    assert {r["code"] for r in rows if r["applies_to"]} == RESTRICTED
    for r in rows:
        assert bool(r["applies_to"]) == bool(r["source"]), r["code"]
        if r["source"]:
            assert r["source"].startswith("seed 003 line 7 names " + r["name_zh"]), r["code"]


def test_the_generated_county_has_enterprises_each_restricted_indicator_applies_to(tmp_path):
    import csv

    from domain.synthetic import generate

    generate(tmp_path, 300, seed=3, today=DAY)
    with (tmp_path / "enterprises.csv").open(encoding="utf-8") as fh:
        ents = list(csv.DictReader(fh))
    applying = Counter(
        i.code for e in ents for i in applicable(CATALOGUE, e["tags"], e["industry"]) if i.code in RESTRICTED
    )
    for code in RESTRICTED:
        assert 0.05 * len(ents) < applying[code] < 0.5 * len(ents), (code, applying[code])


def test_n_of_m_counts_only_applicable_indicators():
    """19 indicators apply to a machine shop; with all 19 fulfilled it is 19/19 and blue,
    where measuring it against 21 would say 19/21 = 90.5%."""
    records = {i.code: (DAY, None) for i in CATALOGUE if i.code not in ("CHEM", "THREE_TWO")}
    c = decide(CATALOGUE, "", "机械制造", records, HazardCounts(), DAY, TH)
    assert (c.fulfilled, c.total, c.colour) == (19, 19, Colour.blue)
    assert "CHEM" not in c.indicators
    # A chemical user missing CHEM: 19 of 20 = 95% → blue still, but listed as missing.
    c = decide(CATALOGUE, "危化品", "机械制造", records, HazardCounts(), DAY, TH)
    assert (c.fulfilled, c.total) == (19, 20) and c.indicators["CHEM"] == "missing"
    # 17 of 19 = 89.5% → yellow.
    fewer = dict(list(records.items())[:17])
    assert decide(CATALOGUE, "", "机械制造", fewer, HazardCounts(), DAY, TH).colour == Colour.yellow


@pytest.mark.parametrize(
    ("deadline", "status", "submitted", "overdue"),
    [
        (date(2026, 11, 20), "open", None, True),
        (date(2026, 11, 22), "open", None, False),  # due today: not yet overdue
        (date(2026, 11, 20), "submitted", date(2026, 11, 20), False),  # submitted on the deadline
        (date(2026, 11, 20), "submitted", date(2026, 11, 21), True),  # submitted a day late
        (date(2026, 11, 20), "submitted", None, False),  # imported as submitted: awaiting the check
        (date(2026, 11, 20), "verified", date(2026, 11, 21), False),
    ],
)
def test_overdue_for_the_owner(deadline, status, submitted, overdue):
    assert overdue_for_owner(deadline, status, submitted, DAY) is overdue
