"""Imports stream a chunk at a time and still write all or nothing; the command line shows
how far a long import is (rows, rows/s, time left) on a terminal only."""

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.progress import Progress
from domain.uscc import complete
from storage.importer import FileProblem, import_file, streaming
from storage.models import Enterprise

HEADER = "uscc,name,division\n"


def _code(i: int) -> str:
    return complete(f"91330226{i:09d}")


def _rows(n: int, start: int = 0, name: str = "企业") -> str:
    return "".join(f"{_code(i)},{name}{i},330226100\n" for i in range(start, start + n))


async def _count(sessions) -> int:
    async with sessions() as s:
        return await s.scalar(select(func.count()).select_from(Enterprise))


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(streaming, "CHUNK", 3)


async def test_a_bad_row_after_chunks_were_written_writes_nothing_and_names_every_line(
    sessions, small_chunks
):
    text = HEADER + _rows(8) + "bad,坏代码,330226100\n" + _rows(1, start=1) + _rows(2, start=20)
    async with sessions() as s:
        result = await import_file(s, "enterprises", "e.csv", text.encode())
        # The next file of a folder goes on in the same session and is committed.
        assert (await import_file(s, "agencies", "a.csv", b"code,name\nAG1,Agency\n")).written
    assert not result.written
    assert [(e.line, e.reason) for e in result.errors] == [(10, "uscc_length"), (11, "duplicate")]
    assert result.errors[1].params == {"first": 3}
    assert (result.rows, result.inserted, result.updated) == (12, 0, 0)
    assert await _count(sessions) == 0


async def test_a_file_broken_after_chunks_were_written_leaves_the_earlier_import(sessions, tmp_path: Path):
    async with sessions() as s:
        assert (await import_file(s, "enterprises", "a.csv", (HEADER + _rows(5)).encode())).written
    # Past the sample the encoding is detected from, a byte that is not UTF-8.
    broken = tmp_path / "b.csv"
    broken.write_bytes((HEADER + _rows(3000, start=100)).encode() + b"\xff\xfe,x,330226100\n")
    async with sessions() as s:
        with pytest.raises(FileProblem) as err:
            await import_file(s, "enterprises", broken.name, broken)
        assert (await import_file(s, "agencies", "a.csv", b"code,name\nAG1,Agency\n")).written
    assert err.value.reason == "encoding_mixed"
    assert await _count(sessions) == 5


async def test_good_rows_of_every_chunk_are_kept_when_bad_ones_are_skipped_and_reimports_update_by_key(
    sessions, small_chunks, tmp_path: Path
):
    path = tmp_path / "e.csv"
    path.write_text(HEADER + _rows(4) + "bad,坏代码,330226100\n" + _rows(6, start=4), encoding="utf-8")
    async with sessions() as s:
        result = await import_file(s, "enterprises", path.name, path, skip_bad_rows=True)
    assert (result.written, result.inserted, len(result.errors)) == (True, 10, 1)
    path.write_text(HEADER + _rows(5) + _rows(1, start=5, name="改名") + _rows(5, start=6), encoding="utf-8")
    async with sessions() as s:
        again = await import_file(s, "enterprises", path.name, path)
    assert (again.inserted, again.updated, again.unchanged) == (1, 1, 9)
    async with sessions() as s:
        assert await s.scalar(select(Enterprise.name).where(Enterprise.uscc == _code(5))) == "改名5"


async def test_progress_expects_the_rows_of_the_whole_file_from_the_bytes_read(
    sessions, monkeypatch, tmp_path: Path
):
    monkeypatch.setattr(streaming, "CHUNK", 500)
    path = tmp_path / "e.csv"
    path.write_text(HEADER + _rows(3000), encoding="utf-8")
    heard = []
    async with sessions() as s:
        await import_file(s, "enterprises", path.name, path, progress=lambda *a: heard.append(a))
    # An estimate from the bytes read (the reader reads ahead): near enough for time left.
    assert [h[1] for h in heard[:2]] == [500, 1000]
    assert all(2250 <= total <= 3750 for _, _, total in heard)
    assert heard[-1] == ("enterprises", 3000, 3000)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_shows_rows_rate_and_time_left_and_nothing_elsewhere():
    screen = _Terminal()
    shown = Progress(screen, every=0)
    shown("hazards", 1000, 4000)
    shown("hazards", 4000, 4000)
    lines = screen.getvalue().split("\r")
    assert "hazards: 1,000 / 4,000 rows" in lines[1] and "rows/s" in lines[1] and "s left" in lines[1]
    assert lines[2].startswith("hazards: 4,000 / 4,000 rows") and "left" not in lines[2]
    assert lines[2].endswith("\n")
    pipe = io.StringIO()
    Progress(pipe, every=0)("hazards", 1000, 4000)
    assert pipe.getvalue() == ""
