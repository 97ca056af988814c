"""Workbooks opened in Excel: text that looks like a formula stays text."""

import io

import pytest
from openpyxl import load_workbook

from storage.exports import workbook

DANGEROUS = ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_cells_that_look_like_formulas_are_written_as_text(value):
    data = workbook({"隐患": (["描述", "数量"], [(value, 3), ("正常描述", -4)])})
    sheet = load_workbook(io.BytesIO(data))["隐患"]
    cell = sheet["A2"]
    assert cell.data_type == "s" and cell.value == value.replace("\r", "\n")  # XML reads CR as LF
    assert sheet["B3"].value == -4 and sheet["B3"].data_type == "n"  # numbers stay numbers
