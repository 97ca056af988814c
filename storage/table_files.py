"""Reading import files as Chinese offices save them: CSV in UTF-8 (with or without BOM),
GB18030/GBK (Excel's default in China) or UTF-16 (Excel's "Unicode text"), comma or tab
separated, and XLSX. Rows are streamed, never loaded whole: a file on disk is read as it
goes, not into memory first."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from charset_normalizer import from_bytes

# What the detector may answer: anything else is refused with one clear line.
ENCODINGS = ("utf_8", "gb18030", "utf_16", "utf_16_le", "utf_16_be")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_SAMPLE = 64 * 1024  # enough for the detector; the rest is decoded as the rows stream


class FileProblem(Exception):
    """The file as a whole cannot be read (format, header); `reason` is a key of the
    `import.file` catalogue section."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


class TableFile:
    """A file's header and its non-empty rows as (line number, row); the header is line 1.
    Iterate once; reading errors surface as FileProblem while iterating."""

    def __init__(
        self, header: list[str], raw: Iterator[list[Any]], close: Any = None, source: _Source | None = None
    ) -> None:
        self.header = header
        self._raw = raw
        self._close = close
        self._source = source

    def fraction(self) -> float | None:
        """How much of the file has been read (0..1), when it can be told: for time left."""
        return self._source.fraction() if self._source is not None else None

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        line = 1
        try:
            for line, values in enumerate(self._raw, start=2):  # noqa: B007 - the line is reported
                cells = [cell_text(v) for v in values]
                if any(cells):
                    yield line, dict(zip(self.header, cells, strict=False))
        except UnicodeDecodeError as exc:
            raise FileProblem("encoding_mixed", line=line + 1) from exc
        except csv.Error as exc:
            raise FileProblem("csv", line=line + 1) from exc
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:  # a workbook broken mid-sheet
            raise FileProblem("xlsx") from exc
        finally:
            self.close()

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None


class _Source:
    """The bytes of a file, in memory (a chat upload) or on disk (the command line)."""

    def __init__(self, data: bytes | Path) -> None:
        if isinstance(data, Path):
            self.stream: IO[bytes] = data.open("rb")
            self.size = data.stat().st_size
        else:
            self.stream, self.size = io.BytesIO(data), len(data)

    def head(self, n: int) -> bytes:
        sample = self.stream.read(n)
        self.stream.seek(0)
        return sample

    def fraction(self) -> float:
        if self.stream.closed or not self.size:  # read to the end
            return 1.0
        return min(1.0, self.stream.tell() / self.size)

    def close(self) -> None:
        self.stream.close()


def open_table(filename: str, data: bytes | Path) -> TableFile:
    """`data` is the file's bytes, or its path to stream it from disk."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".txt", ".tsv", ".xlsx"):
        raise FileProblem("format", name=filename)
    source = _Source(data) if suffix != ".xlsx" else None
    close = source.close if source is not None else None
    try:
        if source is not None:
            raw = _csv_rows(source)
        else:
            raw, close = _xlsx_rows(data)
        try:
            first = next(raw, [])
        except UnicodeDecodeError as exc:
            raise FileProblem("encoding") from exc
        except csv.Error as exc:
            raise FileProblem("csv", line=1) from exc
        header = [str(h or "").strip().lower() for h in first]
        if not any(header):
            raise FileProblem("empty")
    except FileProblem:
        if close is not None:
            close()
        raise
    return TableFile(header, raw, close, source)


def detect_encoding(data: bytes, size: int | None = None) -> str:
    """The codec name of a CSV file's first bytes (`size`: of the whole file, when `data` is
    only its start), or FileProblem("encoding")."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    sample = data[:_SAMPLE]
    whole = len(data) if size is None else size
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole <= _SAMPLE)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(sample, cp_isolation=list(ENCODINGS)).best()
    if best is None:
        raise FileProblem("encoding")
    return best.encoding


def _csv_rows(source: _Source) -> Iterator[list[str]]:
    encoding = detect_encoding(source.head(_SAMPLE), source.size)
    text = io.TextIOWrapper(source.stream, encoding=encoding, newline="")
    first = text.readline()
    # Excel's "Unicode text" and many exports separate by tab; a header has no quoted tabs.
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    text.seek(0)
    return iter(csv.reader(text, delimiter=delimiter))


def _xlsx_rows(data: bytes | Path) -> tuple[Iterator[list[Any]], Any]:
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet's XML instead of building every cell.
        wb = load_workbook(
            data if isinstance(data, Path) else io.BytesIO(data), read_only=True, data_only=True
        )
        rows: Iterable[Any] = wb.worksheets[0].iter_rows(values_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise FileProblem("xlsx") from exc
    return iter(rows), wb.close


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
