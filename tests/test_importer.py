"""Import files: the generated county on SQLite and PostgreSQL, idempotence, all-or-nothing."""

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlmodel import SQLModel

from bot.i18n import Translator
from bot.import_report import render_result
from domain.uscc import complete
from storage.importer import FileProblem, import_directory, import_file
from storage.models import Enterprise, Hazard, HazardEvent


async def _snapshot(sessions) -> dict[str, list[tuple]]:
    """Every row of every table, so two imports can be compared whole."""
    out = {}
    async with sessions() as s:
        for name, table in SQLModel.metadata.tables.items():
            rows = (await s.execute(select(table).order_by(*table.primary_key.columns))).all()
            out[name] = [tuple(r) for r in rows]
    return out


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


async def test_county_imports_and_second_import_changes_nothing(sessions, county: Path):
    async with sessions() as s:
        first = await import_directory(s, county)
    counts = {r.kind: r.inserted for r in first}
    with (county / "hazards.csv").open(encoding="utf-8") as fh:
        assert counts["hazards"] == sum(1 for _ in fh) - 1
    assert all(r.written and not r.errors for r in first)
    before = await _snapshot(sessions)
    async with sessions() as s:
        second = await import_directory(s, county)
    assert [(r.inserted, r.updated) for r in second] == [(0, 0)] * len(second)
    assert await _snapshot(sessions) == before
    async with sessions() as s:
        # Each imported hazard starts its append-only history.
        assert await s.scalar(select(func.count()).select_from(HazardEvent)) == counts["hazards"]


async def test_a_file_with_bad_rows_writes_nothing_and_says_why(seeded):
    good = complete("91330226AAAAAAAAA")
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    data = _csv(
        ["uscc", "name", "division", "size"],
        [
            [good, "好企业", "330226100", "small"],
            [bad_check, "坏代码", "330226100", "small"],
            [complete("91330226BBBBBBBBB"), "坏规模", "330226100", "huge"],
            [good, "重复", "330226100", "small"],
        ],
    )
    async with seeded() as s:
        result = await import_file(s, "enterprises", "e.csv", data)
    assert not result.written
    assert [(e.line, e.reason) for e in result.errors] == [(3, "uscc_check"), (4, "enum"), (5, "duplicate")]
    async with seeded() as s:
        assert await s.scalar(select(Enterprise).where(Enterprise.uscc == good)) is None
    text = render_result(Translator("en", autoescape=False), result)
    assert "Line 3: wrong check character" in text
    assert "Line 4: “size” has the value “huge”" in text
    assert "Line 5: duplicate of line 2" in text
    assert "nothing from this file was written" in text


async def test_hazard_file_reports_unknown_agency_bad_date_and_enum(seeded, county: Path):
    first = next(csv.DictReader((county / "visits.csv").open(encoding="utf-8")))
    header = ["ref", "agency_code", "uscc", "visit_ref", "found_on", "description", "level", "deadline"]
    base = [
        "NEW-1",
        first["agency_code"],
        first["uscc"],
        first["ref"],
        "2026-01-05",
        "漏电",
        "general",
        "2026-02-05",
    ]
    rows = [
        base,
        ["NEW-2", "NOPE", *base[2:]],
        ["NEW-3", *base[1:4], "2026-13-01", *base[5:]],
        ["NEW-4", *base[1:6], "catastrophic", base[7]],
        ["NEW-5", *base[1:4], "2026/01/05", *base[5:]],
    ]
    async with seeded() as s:
        before = await s.scalar(select(func.count()).select_from(Hazard))
        result = await import_file(s, "hazards", "h.csv", _csv(header, rows))
    assert [(e.line, e.reason) for e in result.errors] == [
        (3, "unknown_agency"),
        (4, "date"),
        (5, "enum"),
        (6, "date"),
    ]
    async with seeded() as s:
        assert await s.scalar(select(func.count()).select_from(Hazard)) == before


async def test_skip_bad_rows_writes_the_good_ones(seeded):
    data = _csv(["code", "name"], [["AGX", "新机构"], ["", "无编码"]])
    async with seeded() as s:
        result = await import_file(s, "agencies", "a.csv", data, skip_bad_rows=True)
    assert result.written and result.inserted == 1 and [e.line for e in result.errors] == [3]


async def test_xlsx_and_bom_csv_are_read_alike(sessions):
    code = complete("91330226CCCCCCCCC")
    wb = Workbook()
    wb.active.append(["USCC", "Name", "Division", "Extra"])
    wb.active.append([code, "表格企业", 330226100, "ignored"])
    buf = io.BytesIO()
    wb.save(buf)
    async with sessions() as s:
        result = await import_file(s, "enterprises", "e.xlsx", buf.getvalue())
    assert result.inserted == 1, result.errors
    bom = "\ufeffuscc,name,division\n".encode() + f"{code},表格企业,330226100\n".encode()
    async with sessions() as s:
        again = await import_file(s, "enterprises", "e.csv", bom)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)


async def test_changed_rows_update_and_record_history(seeded, county: Path):
    rows = list(csv.DictReader((county / "hazards.csv").open(encoding="utf-8")))
    target = next(r for r in rows if r["status"] == "open")
    target.update(status="verified", closed_on=target["found_on"])
    async with seeded() as s:
        result = await import_file(s, "hazards", "h.csv", _csv(list(target), [list(target.values())]))
        assert result.updated == 1
        hazard = await s.scalar(select(Hazard).where(Hazard.ref == target["ref"]))
        notes = (
            await s.scalars(
                select(HazardEvent.note).where(HazardEvent.hazard_id == hazard.id).order_by(HazardEvent.id)
            )
        ).all()
    assert hazard.status == "verified"
    assert notes == ["status: open", "status: open → verified"]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("x.pdf", b"a,b", "format"),
        ("x.csv", "uscc,name,division\nx,Café Müller,Zoë\n".encode("cp1252"), "encoding"),
        ("x.csv", bytes(range(256)) * 8, "encoding"),
        ("x.csv", b"uscc,name,division\n" + b'1,"' + b"x" * 200_000 + b'",3\n', "csv"),
        ("x.csv", b"", "empty"),
        ("x.csv", b"uscc,name\n1,2\n", "columns"),
        ("x.xlsx", b"not a workbook", "xlsx"),
    ],
)
async def test_unreadable_files_are_refused_whole(sessions, name, data, reason):
    async with sessions() as s:
        with pytest.raises(FileProblem) as err:
            await import_file(s, "enterprises", name, data)
    assert err.value.reason == reason


CHINESE_ROWS = [
    (complete("91330226DDDDDDDDD"), "宁海县跃龙街道金属制品厂"),
    (complete("91330226EEEEEEEEE"), "浙江甬兴化工有限公司（桥头胡分厂）"),
]


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ","),
        ("gb18030", ","),
        ("gbk", ","),
        ("gbk", "\t"),
        ("utf-16", "\t"),  # Excel's "Unicode text": UTF-16 with BOM, tab separated
        ("utf-16", ","),
    ],
)
async def test_csv_as_chinese_offices_save_it_is_read(sessions, encoding, sep):
    text = sep.join(["uscc", "name", "division"]) + "\r\n"
    text += "".join(sep.join([code, name, "330226100"]) + "\r\n" for code, name in CHINESE_ROWS)
    async with sessions() as s:
        result = await import_file(s, "enterprises", "企业.csv", text.encode(encoding))
    assert result.inserted == 2, result.errors
    async with sessions() as s:
        names = set((await s.scalars(select(Enterprise.name))).all())
    assert names == {name for _, name in CHINESE_ROWS}


async def test_a_file_of_another_encoding_gets_one_clear_line(sessions):
    data = "uscc,name,division\nx,Café Müller,Zoë\n".encode("cp1252")
    async with sessions() as s:
        with pytest.raises(FileProblem) as err:
            await import_file(s, "enterprises", "e.csv", data)
    text = Translator("en", autoescape=False)(f"import.file.{err.value.reason}", **err.value.params)
    assert text.count("\n") == 0 and "UTF-8, GB18030/GBK, UTF-16" in text


async def test_error_report_lists_fifty_lines_then_the_count(sessions):
    data = _csv(["uscc", "name", "division"], [["bad" + "9" * 5000, "名", "330226100"]] * 120)
    async with sessions() as s:
        result = await import_file(s, "enterprises", "e.csv", data)
    assert len(result.errors) == 120
    text = render_result(Translator("en", autoescape=False), result)
    assert text.count("Line ") == 50 and "… and 70 more bad rows." in text
    assert max(len(line) for line in text.split("\n")) < 200  # bad values are quoted clipped
