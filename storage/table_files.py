"""Reading import files as Chinese offices save them: CSV in UTF-8 (with or without BOM),
GB18030/GBK (Excel's default in China) or UTF-16 (Excel's "Unicode text"), comma or tab
separated, and XLSX. Rows are streamed, never loaded whole."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

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

    def __init__(self, header: list[str], raw: Iterator[list[Any]], close: Any = None) -> None:
        self.header = header
        self._raw = raw
        self._close = close

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


def open_table(filename: str, data: bytes) -> TableFile:
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        raw, close = _csv_rows(data), None
    elif suffix == ".xlsx":
        raw, close = _xlsx_rows(data)
    else:
        raise FileProblem("format", name=filename)
    try:
        first = next(raw, [])
    except UnicodeDecodeError as exc:
        raise FileProblem("encoding") from exc
    except csv.Error as exc:
        raise FileProblem("csv", line=1) from exc
    header = [str(h or "").strip().lower() for h in first]
    if not any(header):
        if close:
            close()
        raise FileProblem("empty")
    return TableFile(header, raw, close)


def detect_encoding(data: bytes) -> str:
    """The codec name of a CSV file's bytes, or FileProblem("encoding")."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    sample = data[:_SAMPLE]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(data) <= _SAMPLE)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(sample, cp_isolation=list(ENCODINGS)).best()
    if best is None:
        raise FileProblem("encoding")
    return best.encoding


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    text = io.TextIOWrapper(io.BytesIO(data), encoding=detect_encoding(data), newline="")
    first = text.readline()
    # Excel's "Unicode text" and many exports separate by tab; a header has no quoted tabs.
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    text.seek(0)
    return iter(csv.reader(text, delimiter=delimiter))


def _xlsx_rows(data: bytes) -> tuple[Iterator[list[Any]], Any]:
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet's XML instead of building every cell.
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
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
