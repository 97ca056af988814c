"""/subsidy over HTTP along seed 000's approval path, on a small county whose amounts are
worked out by hand below."""

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.emulator.harness import LocalRun, TgUser
from domain.uscc import complete
from storage.clock import today
from storage.importer import import_directory
from storage.models import SubsidyLine
from storage.subsidy import published_subsidy
from tests.conftest import TZ_SETTINGS, grant

COUNTY = TgUser(995000001, "County", "Reg", "", "en")
TOWN1 = TgUser(995000002, "Town", "One", "", "en")
TOWN2 = TgUser(995000003, "Town", "Two", "", "en")
Y = today(TZ_SETTINGS.tz).year - 1
T1, T2 = "330226100", "330226101"


def _uscc(division: str, n: int) -> str:
    return complete(f"91{division[:6]}{n:09d}")


E = {i: _uscc(T1 if i <= 2 else T2, i) for i in range(1, 6)}


def write_county(folder: Path) -> None:
    """E1: inspected by A1 (200) and signed monthly with a check each month (160);
    E2: inspected by A1 (200), then by A2 (already paid); E3: large (nothing);
    E4: inspected by A2 (200), monthly from July with December missed (nothing);
    E5: inspected by A3, not in the pool (nothing). A1 signed 1 of 2 (50%), A2 1 of 1: no cut.
    Township 1: 560 yuan; township 2: 200; the county 760."""
    pool = f"{Y + 1}-12-31"
    tables = {
        "enterprises": (
            ["uscc", "name", "division", "industry", "size", "tags"],
            [
                [E[1], "Works 1", T1, "机械制造", "small", ""],
                [E[2], "Works 2", T1, "机械制造", "small", ""],
                [E[3], "Works 3", T2, "机械制造", "large", ""],
                [E[4], "Works 4", T2, "机械制造", "small", ""],
                [E[5], "Works 5", T2, "机械制造", "small", ""],
            ],
        ),
        "agencies": (
            ["code", "name", "in_pool_until"],
            [["A1", "Agency One", pool], ["A2", "Agency Two", pool], ["A3", "Agency Three", ""]],
        ),
        "contracts": (
            ["agency_code", "uscc", "kind", "start_date", "end_date"],
            [
                ["A1", E[1], "monthly", f"{Y}-01-01", f"{Y}-12-31"],
                ["A2", E[4], "monthly", f"{Y}-07-01", f"{Y + 1}-06-30"],
            ],
        ),
        "visits": (
            ["ref", "agency_code", "uscc", "date", "kind"],
            [["c1", "A1", E[1], f"{Y}-02-10", "comprehensive"]]
            + [[f"m1-{m}", "A1", E[1], f"{Y}-{m:02d}-15", "monthly"] for m in range(1, 13)]
            + [
                ["c2", "A1", E[2], f"{Y}-03-01", "comprehensive"],
                ["c2b", "A2", E[2], f"{Y}-04-01", "comprehensive"],
                ["c3", "A2", E[3], f"{Y}-05-01", "comprehensive"],
                ["c4", "A2", E[4], f"{Y}-07-01", "comprehensive"],
                ["c5", "A3", E[5], f"{Y}-06-01", "comprehensive"],
            ]
            + [[f"m4-{m}", "A2", E[4], f"{Y}-{m:02d}-20", "monthly"] for m in range(7, 12)],
        ),
    }
    for kind, (header, data) in tables.items():
        with (folder / f"{kind}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(data)


@pytest.fixture
async def small_county(settings, sessions, tmp_path):
    folder = tmp_path / "small"
    folder.mkdir()
    write_county(folder)
    async with sessions() as session:
        results = await import_directory(session, folder)
    assert all(r.written and not r.errors for r in results)
    async with LocalRun(settings) as run:
        yield run


async def _book(local, reply) -> dict:
    doc = next(m["document"] for m in reply.messages if "document" in m)
    book = load_workbook(io.BytesIO(await local.client.file(doc["file_id"])))
    return {ws.title: list(ws.iter_rows(min_row=2, values_only=True)) for ws in book.worksheets}


async def test_subsidy_from_township_check_to_publication(small_county, sessions, tmp_path):
    local = small_county
    await grant(sessions, COUNTY, "regulator", "330226")
    await grant(sessions, TOWN1, "regulator", T1)
    await grant(sessions, TOWN2, "regulator", T2)

    town = await local.client.send(TOWN1, f"/subsidy {Y}")
    text = town.messages[0]["text"]
    assert "1. Works 1 · A1 · inspection subsidy · 200.00 yuan · awaiting township check" in text
    assert "2. Works 1 · A1 · monthly subsidy · 160.00 yuan" in text
    assert "4. Works 2 · A2 · inspection subsidy · 0.00 yuan (the enterprise had this subsidy" in text
    assert "Works 3" not in text and "Total (all lines): 560.00 yuan" in text
    doc = next(m for m in town.messages if "document" in m)
    assert doc["caption"] == f"Subsidy lines {Y}: 4, each with its approval status"
    sheets = await _book(local, town)
    assert [r[6] for r in sheets["Subsidy lines"]] == [200, 160, 200, 0]
    assert {r[8] for r in sheets["Subsidy lines"]} == {"awaiting township check"}

    county = await local.client.send(COUNTY, f"/subsidy {Y}")
    text = county.messages[0]["text"]
    assert "current step: township check" in text
    assert "A1 Agency One: 2 · 1 · 50% · none · 560.00 yuan" in text
    assert "A2 Agency Two: 1 · 0 · 100% · none · 200.00 yuan (some lines unpaid:" in text
    assert "enterprise already paid" in text and "not small or micro" in text
    assert "too few monthly checks" in text
    assert "A3 Agency Three: 0 · 0 · 0% · none · 0.00 yuan (some lines unpaid: not in the pool)" in text
    assert f"{T1}: 0/4 lines checked" in text and "Total: 760.00 yuan" in text
    assert county.last_with_buttons() is None or "review" not in str(county.last_with_buttons())
    refused = await local.client.press(COUNTY, county.messages[0], data=f"sub:review:{Y}:1", forge=True)
    assert refused.alerts == ["A township has not finished its check, or no line waits for this step."]
    forged = await local.client.press(TOWN1, town.messages[0], data=f"sub:publish:{Y}:1", forge=True)
    assert forged.alerts == ["This step is taken by county-level (and higher) regulators."]

    # Township 1 flags line 3 (Works 2's 200 yuan), then confirms the rest; township 2 confirms.
    buttons = town.messages[0]["reply_markup"]["inline_keyboard"]
    assert [b[0]["text"] for b in buttons] == ["✅ Confirm the 4 unchecked lines", "⚠️ Flag a line"]
    await local.client.press(TOWN1, town.messages[0], button=1)
    assert "line number" in (await local.client.send(TOWN1, "3")).text  # no reason: asked again
    assert (
        "There is no line 99: your township has 4." in (await local.client.send(TOWN1, "99 duplicated")).text
    )
    flagged = await local.client.send(TOWN1, "3 records duplicated")
    assert flagged.text == "Line 3 flagged: records duplicated. It will not be paid."
    # Nothing is signed off before it is confirmed: cancelling changes nothing.
    sure = await local.client.press(TOWN1, town.messages[0], button=0)
    assert "can no longer be flagged or taken back" in sure.text
    cancelled = await local.client.press(TOWN1, sure.messages[0], button=1)
    assert cancelled.text == "Cancelled: nothing was changed."
    async with sessions() as s:
        assert {line.status for line in await s.scalars(select(SubsidyLine))} == {"computed", "flagged"}
    sure = await local.client.press(TOWN1, town.messages[0], button=0)
    confirmed = await local.client.press(TOWN1, sure.messages[0], button=0)
    assert confirmed.text == f"3 subsidy lines of {Y} confirmed (township check)."
    town2 = await local.client.send(TOWN2, f"/subsidy {Y}")
    assert "Total (all lines): 200.00 yuan" in town2.messages[0]["text"] and "Works 1" not in town2.text
    sure2 = await local.client.press(TOWN2, town2.messages[0], button=0)
    await local.client.press(TOWN2, sure2.messages[0], button=0)

    # The county: review, finance, publication, each recorded with who and when.
    for step, label, done in (
        ("review", "County review: approve", "County review approved"),
        ("approve", "Finance: approve", "Finance approved"),
        ("publish", "Publish", "Published"),
    ):
        reply = await local.client.send(COUNTY, f"/subsidy {Y}")
        assert "Total: 560.00 yuan" in reply.messages[0]["text"]
        button = reply.messages[0]["reply_markup"]["inline_keyboard"][0][0]
        assert label in button["text"] and button["callback_data"] == f"sub:{step}:{Y}:0"
        sure = await local.client.press(COUNTY, reply.messages[0], button=0)
        assert "cannot be taken back" in sure.text
        pressed = await local.client.press(COUNTY, sure.messages[0], button=0)
        assert pressed.text.startswith(f"{done}: 7 lines of {Y}")
    final = await local.client.send(COUNTY, f"/subsidy {Y}")
    assert "current step: published" in final.messages[0]["text"]
    assert final.messages[0].get("reply_markup") is None
    sheets = await _book(local, final)
    statuses = {(r[1], r[3], r[5]): (r[6], r[8], r[9]) for r in sheets["Subsidy lines"]}
    assert statuses["Works 2", "A1", "inspection subsidy"] == (0, "flagged", "records duplicated")
    assert statuses["Works 1", "A1", "monthly subsidy"] == (160, "published", None)

    async with sessions() as s:
        line = await s.scalar(select(SubsidyLine).where(SubsidyLine.amount == 160))
        assert line.checked_by == TOWN1.id and line.reviewed_by == COUNTY.id
        assert line.approved_by == COUNTY.id and line.published_by == COUNTY.id
        assert line.checked_at <= line.reviewed_at <= line.approved_at <= line.published_at
        public = await published_subsidy(s, Y)
    assert [(p.enterprise, p.agency_code, p.item, p.amount) for p in public] == [
        ("Works 1", "A1", "comprehensive", 200),
        ("Works 1", "A1", "monthly", 160),
        ("Works 4", "A2", "comprehensive", 200),
    ]
    # Signed lines are not recomputed: A3 joining the pool later changes nothing.
    later = tmp_path / "later"
    later.mkdir()
    (later / "agencies.csv").write_text(f"code,name,in_pool_until\nA3,Agency Three,{Y + 1}-12-31\n")
    async with sessions() as s:
        assert all(r.written for r in await import_directory(s, later))
    assert "Total: 560.00 yuan" in (await local.client.send(COUNTY, f"/subsidy {Y}")).text
    assert "Usage: /subsidy YEAR" in (await local.client.send(TOWN1, "/subsidy next")).text


@pytest.fixture
async def big_township(settings, sessions, tmp_path):
    """150 small enterprises of one township, each inspected once by A1 last year (none signed
    monthly: the inspection subsidy is cut to 140 yuan)."""
    folder = tmp_path / "big"
    folder.mkdir()
    ents = [_uscc(T1, 100 + i) for i in range(150)]
    tables = {
        "enterprises": (
            ["uscc", "name", "division", "industry", "size", "tags"],
            [[u, f"五金加工厂第{i + 1}号车间", T1, "机械制造", "small", ""] for i, u in enumerate(ents)],
        ),
        "agencies": (["code", "name", "in_pool_until"], [["A1", "Agency One", f"{Y + 1}-12-31"]]),
        "visits": (
            ["ref", "agency_code", "uscc", "date", "kind"],
            [[f"c{i}", "A1", u, f"{Y}-03-01", "comprehensive"] for i, u in enumerate(ents)],
        ),
    }
    for kind, (header, data) in tables.items():
        with (folder / f"{kind}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([header, *data])
    async with sessions() as session:
        assert all(r.written and not r.errors for r in await import_directory(session, folder))
    async with LocalRun(settings) as run:
        yield run


async def test_a_township_with_many_lines_pages_them_all(big_township, sessions):
    """Every line can be read and flagged: the view pages (each page within Telegram's limit,
    the step buttons on each) instead of stopping at a fixed number of lines."""
    local = big_township
    await grant(sessions, TOWN1, "regulator", T1)
    reply = await local.client.send(TOWN1, f"/subsidy {Y}")
    pages = [reply.messages[0]]
    while True:
        page = pages[-1]
        assert len(page["text"]) <= 4096
        rows = page["reply_markup"]["inline_keyboard"]
        assert rows[0][0]["text"] == "✅ Confirm the 150 unchecked lines"
        forward = [b for b in rows[-1] if b["text"] == "▶"]
        if not forward:
            break
        turned = await local.client.press(TOWN1, page, data=forward[0]["callback_data"])
        pages.append(turned.messages[0])
        assert len(pages) < 20
    assert len(pages) > 1
    everything = "\n".join(p["text"] for p in pages)
    for n in range(1, 151):
        assert f"\n{n}. " in everything
    assert "Total (all lines): 21,000.00 yuan" in pages[-1]["text"]
    await local.client.press(TOWN1, pages[0], button=1)
    flagged = await local.client.send(TOWN1, "150 closed before the visit")
    assert flagged.text == "Line 150 flagged: closed before the visit. It will not be paid."
