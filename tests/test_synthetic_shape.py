"""The generated county looks like seed 003's: coverage 80–94%, most enterprises blue or
yellow, a few red; its first enterprises are not all red."""

import csv
from collections import Counter
from datetime import date

from domain.compliance import Colour, HazardCounts, Thresholds, decide
from domain.indicators import load_catalogue
from domain.synthetic import generate

TODAY = date(2026, 11, 25)


def _rows(folder, kind):
    with (folder / f"{kind}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_generated_county_follows_seed_003(tmp_path):
    generate(tmp_path, 1500, seed=7, today=TODAY)
    ents = _rows(tmp_path, "enterprises")
    covered = {
        c["uscc"]
        for c in _rows(tmp_path, "contracts")
        if date.fromisoformat(c["start_date"]) <= TODAY <= date.fromisoformat(c["end_date"])
    }
    assert 0.80 <= len(covered) / len(ents) <= 0.94
    records: dict[str, dict] = {}
    for r in _rows(tmp_path, "indicators"):
        expires = date.fromisoformat(r["expires_on"]) if r["expires_on"] else None
        records.setdefault(r["uscc"], {})[r["indicator"]] = (date.fromisoformat(r["fulfilled_on"]), expires)
    hazards: dict[str, list] = {}
    for h in _rows(tmp_path, "hazards"):
        if h["status"] != "verified":
            hazards.setdefault(h["uscc"], []).append(h)
    colours, shares = Counter(), []
    catalogue = load_catalogue()
    for e in ents:
        hz = hazards.get(e["uscc"], [])
        overdue = [h for h in hz if date.fromisoformat(h["deadline"]) < TODAY and h["status"] == "open"]
        counts = HazardCounts(
            len(hz),
            len(overdue),
            sum(h["level"] == "major" for h in hz),
            sum(h["level"] == "major" for h in overdue),
        )
        c = decide(
            catalogue, e["tags"], e["industry"], records.get(e["uscc"], {}), counts, TODAY, Thresholds()
        )
        colours[c.colour] += 1
        shares.append(c.share)
    n = len(ents)
    assert (colours[Colour.blue] + colours[Colour.yellow]) / n > 0.6, colours
    assert 0 < colours[Colour.red] / n < 0.1, colours
    assert 0.82 <= sum(shares) / n <= 0.93  # seed 003: 89.1% fulfilled
