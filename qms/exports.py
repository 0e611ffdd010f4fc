"""Shared export helpers: safe spreadsheet cells and styled .xlsx sheets (docx helpers join later).

Any user text that starts with = + - @ (or a tab/CR that a spreadsheet could strip) is
written as an explicit string cell, never as a formula.
"""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO
from typing import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from qms.timeutil import to_local

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def write_cell(ws, row: int, column: int, value):
    """Write *value*; text that a spreadsheet would read as a formula stays text."""
    if isinstance(value, datetime):
        value = to_local(value).replace(tzinfo=None)
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell.value = value
        cell.data_type = TYPE_STRING  # openpyxl would otherwise store "=..." as a formula
    else:
        cell.value = value
    if isinstance(value, datetime):
        cell.number_format = "dd/mm/yyyy hh:mm:ss"
    elif isinstance(value, date):
        cell.number_format = "dd/mm/yyyy"
    return cell


def add_table_sheet(wb: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence],
                    heading: str | None = None, widths: Sequence[int] | None = None):
    """A sheet with an optional heading line, a bold frozen header row and filters."""
    ws = wb.create_sheet(title=title[:31])
    first = 1
    if heading:
        ws.cell(row=1, column=1, value=heading).font = Font(bold=True, size=13)
        first = 3
    for col, name in enumerate(headers, start=1):
        cell = ws.cell(row=first, column=col, value=str(name))
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    count = 0
    for count, row in enumerate(rows, start=1):
        for col, value in enumerate(row, start=1):
            write_cell(ws, first + count, col, value)
    ws.freeze_panes = ws.cell(row=first + 1, column=1)
    ws.auto_filter.ref = f"A{first}:{get_column_letter(len(headers))}{first + max(count, 1)}"
    for col, width in enumerate(widths or [18] * len(headers), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    return ws


def workbook_bytes(wb: Workbook) -> bytes:
    if "Sheet" in wb.sheetnames and len(wb.sheetnames) > 1:
        del wb["Sheet"]
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
