"""The weekly digest over HTTP: figures recomputed here from the import files, chart, workbook."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select, update

from bot.emulator.harness import TgUser
from bot.scheduler import digest_job
from domain.anonymity import TipKeys
from domain.indicators import DEFAULT_CATALOGUE as CATALOGUE
from storage.clock import today
from storage.digest import Week
from storage.importer import import_directory
from storage.models import Division, Enterprise, Tip, User
from storage.tips import Target, by_receipt, file_tip
from tests.conftest import TIP_SECRET, TZ_SETTINGS, grant, rows

COUNTY_REG = TgUser(993000001, "County", "Regulator", "", "en")
TOWN_REG = TgUser(993000002, "Town", "Regulator", "", "en")
TODAY = today(TZ_SETTINGS.tz)
NON_INDUSTRIAL = {"仓储物流", "批发零售", "住宿餐饮", "商贸", "服务业"}
KEY_TAGS = {"危化品", "粉尘涉爆", "有限空间", "涂装", "金属冶炼", "涉氨", "矿山"}
COLOUR_NAMES = {
    "red": "red (high risk)",
    "orange": "orange (elevated risk)",
    "yellow": "yellow (moderate risk)",
    "blue": "blue (low risk)",
}


def _d(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


KINDS = {"comprehensive", "monthly"}  # visits that need a report (the default)
WEEK = Week.last_full(TODAY)


def extra_rows(county: Path, folder: Path) -> None:
    """Rows added to the generated county so that every figure of last week is non-zero: a
    major hazard found in the week and overdue by its end, a visit whose report came late in
    the week. A training without report and a drill reported late need no report: they count
    in no report figure."""
    ent = rows(county, "enterprises")[5]
    found = WEEK.start - timedelta(days=20)
    late_visit = WEEK.start - timedelta(days=45)
    files = {
        "visits": (
            "ref,agency_code,uscc,date,kind",
            [
                f"XV1,AG001,{ent['uscc']},{late_visit},monthly",
                f"XV2,AG001,{ent['uscc']},{late_visit},training",
                f"XV3,AG001,{ent['uscc']},{late_visit},drill",
            ],
        ),
        "reports": (
            "agency_code,visit_ref,submitted_on",
            [f"AG001,XV1,{WEEK.start + timedelta(days=1)}", f"AG001,XV3,{WEEK.start + timedelta(days=2)}"],
        ),
        "hazards": (
            "ref,agency_code,uscc,visit_ref,found_on,description,level,deadline,status,closed_on",
            [
                f"XH1,AG001,{ent['uscc']},,{WEEK.start + timedelta(days=1)},氨管泄漏,major,{WEEK.end + timedelta(days=5)},open,",
                f"XH2,AG001,{ent['uscc']},,{found},液氨储罐无围堰,major,{found + timedelta(days=7)},open,",
            ],
        ),
    }
    for kind, (header, lines) in files.items():
        (folder / f"{kind}.csv").write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


def all_rows(county: Path, extra: Path, kind: str) -> list[dict]:
    return rows(county, kind) + (rows(extra, kind) if (extra / f"{kind}.csv").exists() else [])


def _colour(share: float, open_: int, overdue: int, major: int, overdue_major: int) -> str:
    if overdue_major or overdue >= 3 or share < 0.5:
        return "red"
    if major or overdue or share < 0.7:
        return "orange"
    if open_ or share < 0.9:
        return "yellow"
    return "blue"


def expected_colours(county: Path, extra: Path, end: date, ents: set[str]) -> dict[str, int]:
    """Each enterprise's colour as of `end` from the files: the indicators that apply (the
    catalogue file's applies_to), valid at `end`, and its hazards open at `end`."""
    with CATALOGUE.open(encoding="utf-8") as fh:
        catalogue = list(csv.DictReader(fh))
    records: dict[str, dict[str, dict]] = {}
    for r in rows(county, "indicators"):
        records.setdefault(r["uscc"], {})[r["indicator"]] = r
    open_by: dict[str, list[dict]] = {}
    for h in all_rows(county, extra, "hazards"):
        if _d(h["found_on"]) <= end and (not h["closed_on"] or _d(h["closed_on"]) > end):
            open_by.setdefault(h["uscc"], []).append(h)
    counts = {"red": 0, "orange": 0, "yellow": 0, "blue": 0}
    for e in rows(county, "enterprises"):
        if e["uscc"] not in ents:
            continue
        mine = set(filter(None, e["tags"].split(";"))) | {e["industry"]}
        applies = [c for c in catalogue if not c["applies_to"] or set(c["applies_to"].split(";")) & mine]
        fulfilled = 0
        for c in applies:
            r = records.get(e["uscc"], {}).get(c["code"])
            if r is None or _d(r["fulfilled_on"]) > end:
                continue
            assert r["expires_on"] or not c["validity_months"]  # the generator writes every expiry
            fulfilled += not r["expires_on"] or _d(r["expires_on"]) >= end
        hz = open_by.get(e["uscc"], [])
        overdue = [h for h in hz if _d(h["deadline"]) < end and h["status"] != "submitted"]
        counts[
            _colour(
                fulfilled / len(applies),
                len(hz),
                len(overdue),
                sum(h["level"] == "major" for h in hz),
                sum(h["level"] == "major" for h in overdue),
            )
        ] += 1
    return counts


def expected(county: Path, extra: Path, week: Week, division_prefix: str = "") -> dict:
    """The digest's figures, from the import files alone (and the tips and users made here)."""
    ents = {e["uscc"] for e in rows(county, "enterprises") if e["division"].startswith(division_prefix)}
    start, end = week.start, week.end
    hazards = [h for h in all_rows(county, extra, "hazards") if h["uscc"] in ents]
    visits = [v for v in all_rows(county, extra, "visits") if v["uscc"] in ents]
    reported = {
        (r["agency_code"], r["visit_ref"]): _d(r["submitted_on"]) for r in all_rows(county, extra, "reports")
    }
    missing = late = 0
    for v in visits:
        day, sub = _d(v["date"]), reported.get((v["agency_code"], v["ref"]))
        if v["kind"] not in KINDS:
            continue
        if end - timedelta(days=365 + 30) < day <= end - timedelta(days=30) and (sub is None or sub > end):
            missing += 1
        if sub and start <= sub <= end and (sub - day).days > 30:
            late += 1
    overdue = [
        h
        for h in hazards
        if _d(h["found_on"]) <= end
        and _d(h["deadline"]) < end
        and (not h["closed_on"] or _d(h["closed_on"]) > end)
        and h["status"] != "submitted"  # imported as submitted: awaiting the agency's check
    ]
    found_year = [h for h in hazards if end - timedelta(days=365) <= _d(h["found_on"]) <= end]
    closed_year = [h for h in found_year if h["closed_on"] and _d(h["closed_on"]) <= end]
    industrial = {
        e["uscc"]
        for e in rows(county, "enterprises")
        if e["uscc"] in ents and e["industry"] and e["industry"] not in NON_INDUSTRIAL
    }
    key = {
        e["uscc"]
        for e in rows(county, "enterprises")
        if e["uscc"] in ents and set(e["tags"].split(";")) & KEY_TAGS
    }

    def covered(day: date) -> set[str]:
        return {
            c["uscc"] for c in rows(county, "contracts") if _d(c["start_date"]) <= day <= _d(c["end_date"])
        }

    now, year_ago = covered(end), covered(end.replace(year=end.year - 1))
    return {
        "lines": {
            "Enterprises (at week's end)": len(ents),
            "Visits in the week": sum(start <= _d(v["date"]) <= end for v in visits),
            "Hazards found in the week": sum(start <= _d(h["found_on"]) <= end for h in hazards),
            "of which major (found in the week)": sum(
                start <= _d(h["found_on"]) <= end and h["level"] == "major" for h in hazards
            ),
            "Hazards rectified in the week": sum(
                bool(h["closed_on"]) and start <= _d(h["closed_on"]) <= end for h in hazards
            ),
            "Overdue hazards (at week's end)": len(overdue),
            "of which major (overdue at week's end)": sum(h["level"] == "major" for h in overdue),
            "Missing service reports (at week's end, visits of the last year)": missing,
            "Reports submitted late in the week": late,
        },
        "industrial": len(industrial),
        "covered": len(industrial & now),
        "covered_year_ago": len(industrial & year_ago),
        "key": len(key),
        "key_covered": len(key & now),
        "rate": len(closed_year) / len(found_year),
        "colours": expected_colours(county, extra, end, ents),
        "agencies": {
            a: (
                sum(v["agency_code"] == a and start <= _d(v["date"]) <= end for v in visits),
                [
                    reported.get((a, v["ref"])) is not None
                    and (reported[(a, v["ref"])] - _d(v["date"])).days <= 30
                    for v in visits
                    if v["agency_code"] == a
                    and v["kind"] in KINDS
                    and end - timedelta(days=120) <= _d(v["date"]) <= end - timedelta(days=30)
                ],
            )
            for a in sorted(
                {v["agency_code"] for v in visits if end - timedelta(days=90) <= _d(v["date"]) <= end}
            )
        },
    }


def _change(now: int, before: int) -> str:
    return f"{now - before:+d}" if now != before else "±0"


async def test_digest_figure_by_figure(local, seeded, county, tmp_path):
    """Every figure of last week's digest against the files, in a week where none is zero."""
    extra = tmp_path / "extra"
    extra.mkdir()
    extra_rows(county, extra)
    async with seeded() as s:
        assert all(r.written and not r.errors for r in await import_directory(s, extra))
    await grant(seeded, COUNTY_REG, "regulator", "330226")
    owner = rows(county, "enterprises")[7]
    unreachable = TgUser(993000003, "Gone", "Owner", "", "en")
    await grant(seeded, unreachable, "owner", owner["uscc"])
    keys = TipKeys.from_secret(TIP_SECRET)
    async with seeded() as s:
        await s.execute(update(User).where(User.id == unreachable.id).values(unreachable=True))
        ent = await s.scalar(select(Enterprise).where(Enterprise.uscc == owner["uscc"]))
        target = Target("enterprise", ent.id, ent.name, ent.division)
        for when, status in (
            (WEEK.start + timedelta(days=2), "new"),  # received in the week, open
            (WEEK.start + timedelta(days=3), "substantiated"),  # received in the week, closed
            (WEEK.start - timedelta(days=20), "in_review"),  # received earlier, still open
        ):
            receipt = await file_tip(s, keys, target, "other", "通道堵塞", [])
            tip = await by_receipt(s, keys, receipt)
            hour = datetime(when.year, when.month, when.day, 3, tzinfo=UTC)
            await s.execute(update(Tip).where(Tip.id == tip.id).values(created_hour=hour, status=status))
        await s.commit()

    now, before = expected(county, extra, WEEK), expected(county, extra, WEEK.previous())
    reply = await local.client.send(COUNTY_REG, "/digest")
    text = reply.messages[0]["text"]
    assert f"last week, {WEEK.start.isoformat()} to {WEEK.end.isoformat()}" in text
    for label, value in now["lines"].items():
        assert value > 0, label
        assert f"{label}: {value} ({_change(value, before['lines'][label])})" in text, (label, value)
    assert "Tips received in the week: 2 (" in text and "Tips open (now): 2 (" in text
    assert "Unreachable enterprise users (now): 1 (" in text
    rate = now["covered"] / now["industrial"]
    assert now["covered"] and now["key"] and now["industrial"] < now["lines"]["Enterprises (at week's end)"]
    assert (
        f"Coverage (as of {WEEK.end.isoformat()}, industrial enterprises): {now['covered']}/{now['industrial']} = {rate:.1%}"
        in text
    )
    new = (now["covered"] - now["covered_year_ago"]) / now["industrial"] * 100
    assert f"New coverage over a year: {new:+.1f} points (target ≥ 10 " in text
    key_rate = now["key_covered"] / now["key"]
    assert (
        f"Key high-risk industries covered: {now['key_covered']}/{now['key']} = {key_rate:.1%} (target 100% "
        in text
    )
    assert f"closed by week's end): {now['rate']:.1%}" in text
    for colour, n in now["colours"].items():
        assert f"· {COLOUR_NAMES[colour]}: {n} (" in text, (colour, n)
    assert sum(now["colours"].values()) == now["lines"]["Enterprises (at week's end)"]
    assert all(now["colours"][c] > 0 for c in ("red", "yellow", "blue"))
    for code, (visits, due) in now["agencies"].items():
        on_time = f"{sum(due) / len(due):.0%}" if due else "—"
        assert f"安全咨询服务机构{code[2:]}: {visits} · — · {on_time}" in text, code
    assert any(v for v, _ in now["agencies"].values())

    photo = next(m for m in reply.messages if "photo" in m)
    chart = Image.open(io.BytesIO(await local.client.file(photo["photo"][-1]["file_id"])))
    assert chart.format == "PNG" and chart.width > 600
    doc = next(m for m in reply.messages if "document" in m)
    assert doc["document"]["file_name"] == f"digest-330226-{WEEK.start.isoformat()}.xlsx"
    book = load_workbook(io.BytesIO(await local.client.file(doc["document"]["file_id"])))
    assert book.sheetnames == ["Overdue hazards", "Missing reports", "Risk colours (week's end)", "Agencies"]
    overdue = book["Overdue hazards"]
    assert overdue.freeze_panes == "A2"
    assert overdue.max_row - 1 == now["lines"]["Overdue hazards (at week's end)"]
    missing = "Missing service reports (at week's end, visits of the last year)"
    assert book["Missing reports"].max_row - 1 == now["lines"][missing]
    colours = [r[3] for r in book["Risk colours (week's end)"].iter_rows(min_row=2, values_only=True)]
    assert {c: colours.count(c) for c in set(colours)} == {
        name: now["colours"][c] for c, name in COLOUR_NAMES.items() if now["colours"][c]
    }
    assert (
        sum(row[2].value for row in book["Agencies"].iter_rows(min_row=2))
        == now["lines"]["Visits in the week"]
    )


async def test_a_township_digest_counts_only_the_township(local, seeded, county, tmp_path):
    town = rows(county, "enterprises")[0]["division"]
    await grant(seeded, TOWN_REG, "regulator", town)
    exp = expected(county, tmp_path, WEEK, town)["lines"]  # no extra rows
    text = (await local.client.send(TOWN_REG, "/digest")).messages[0]["text"]
    n = exp["Enterprises (at week's end)"]
    assert f"Enterprises (at week's end): {n} (±0)" in text
    assert f"Hazards found in the week: {exp['Hazards found in the week']} (" in text
    async with seeded() as s:
        place = await s.scalar(select(Division.name).where(Division.code == town))
    assert f"Jurisdiction {place} · last week" in text and town not in text.split("\n")[1]


async def test_the_scheduled_digest_arrives_through_the_outbox(local, seeded, county):
    await grant(seeded, COUNTY_REG, "regulator", "330226")
    await local.client.send(COUNTY_REG, "/start")
    result = await digest_job(local.app, local.bot)
    assert result.startswith("digest for 1 jurisdiction(s)")
    await local.flush()
    chat = [m for m in await local.client.chat(COUNTY_REG.id) if m["from"]["is_bot"]]
    assert any("Weekly digest" in (m.get("text") or "") for m in chat)
    assert any("photo" in m for m in chat) and any("document" in m for m in chat)
    assert (
        await digest_job(local.app, local.bot) == "digest for 1 jurisdiction(s), 0 messages sent"
    )  # once a week


async def test_digest_is_for_regulators_only(local):
    assert "for regulator only" in (await local.client.send(TOWN_REG, "/digest")).text


async def test_regulators_of_one_area_each_get_the_digest_in_their_language(local, seeded, county):
    """Two county regulators (English, Chinese) and a township's: each receives text, chart
    and workbook, the two of the county the same figures (one digest built per area and language)."""
    second = TgUser(993000003, "县", "监管", "", "zh")
    town = rows(county, "enterprises")[0]["division"]
    for user, target in ((COUNTY_REG, "330226"), (second, "330226"), (TOWN_REG, town)):
        await grant(seeded, user, "regulator", target)
        await local.client.send(user, "/start")
    assert (await digest_job(local.app, local.bot)).startswith("digest for 3 jurisdiction(s)")
    await local.flush()
    texts = {}
    for user in (COUNTY_REG, second, TOWN_REG):
        chat = [m for m in await local.client.chat(user.id) if m["from"]["is_bot"]]
        assert any("photo" in m for m in chat) and any("document" in m for m in chat), user
        texts[user.id] = next(
            m["text"]
            for m in chat
            if "企业总数" in (m.get("text") or "") or "Weekly digest" in (m.get("text") or "")
        )
    assert "Weekly digest" in texts[COUNTY_REG.id] and "企业总数" in texts[second.id]
    n = len(rows(county, "enterprises"))
    assert f"Enterprises (at week's end): {n} " in texts[COUNTY_REG.id]
    assert f"企业总数（截至周末）：{n}" in texts[second.id]
