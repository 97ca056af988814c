"""XLSX workbooks for the finance office and the digest: a header row, frozen panes and
column widths that fit (CJK characters count double). Text that Excel would take for a
formula (a hazard described as "=HYPERLINK(…)") is written as text, never as a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _as_text(sheet, row: int, values: Sequence[object]) -> None:
    """Cells are reached by their coordinates: `sheet[row]` measures the whole sheet each
    time, which made a digest's workbook of thousands of rows quadratic."""
    for column, value in enumerate(values, start=1):
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            sheet.cell(row=row, column=column).data_type = "s"


def _width(value: object) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def workbook(sheets: dict[str, tuple[Sequence[str], Iterable[Sequence[object]]]]) -> bytes:
    """One sheet per entry: title → (header, rows)."""
    # Imported here: openpyxl brings numpy, ~20 MiB the bot's process need not hold until
    # someone asks for a workbook.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for title, (header, rows) in sheets.items():
        sheet = book.create_sheet(title[:31])
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        _as_text(sheet, 1, header)
        widths = [_width(h) for h in header]
        for number, row in enumerate(rows, start=2):
            sheet.append(list(row))
            _as_text(sheet, number, row)
            widths = [max(w, _width(v)) for w, v in zip(widths, row, strict=False)]
        sheet.freeze_panes = "A2"
        for i, w in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(60, w + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
