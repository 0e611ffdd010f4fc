"""Shared export helpers: safe spreadsheet cells and styled .xlsx sheets (Word helpers: qms.docx).

Any user text that starts with = + - @ (or a tab/CR that a spreadsheet could strip) is
written as an explicit string cell, never as a formula.
"""

from __future__ import annotations

from copy import copy
from datetime import date, datetime
from io import BytesIO
from typing import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from qms.timeutil import to_local

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
THIN_BORDER = Border(*(Side(style="thin", color="000000"),) * 4)


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
                    heading: str | Sequence[str] | None = None, widths: Sequence[int] | None = None):
    """A sheet with optional heading lines (a title block), a bold frozen header row and filters."""
    ws = wb.create_sheet(title=title[:31])
    lines = [heading] if isinstance(heading, str) else list(heading or [])
    for number, line in enumerate(lines, start=1):
        if line:
            write_cell(ws, number, 1, line).font = Font(bold=True, size=13)
    first = len(lines) + 2 if lines else 1
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


def set_print_layout(ws, *, header_row: int, landscape: bool = True, font_name: str = "Times New Roman",
                     header_height: float = 32) -> None:
    """Make a table sheet print like the paper form: A4, one page wide, the header row repeated on every
    page, thin borders round every cell of the table, long text wrapped, one font throughout."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.horizontalCentered = True
    ws.row_dimensions[header_row].height = header_height
    columns = max((c.column for c in ws[header_row] if c.value is not None), default=1)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell, MergedCell):  # styled through the merge's top-left cell
                continue
            cell.font = _renamed(cell.font, font_name)
            if cell.row < header_row or cell.column > columns:
                continue
            cell.border = THIN_BORDER
            if cell.row > header_row:
                cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal=cell.alignment.horizontal)
            else:
                cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")


def _renamed(font: Font, name: str) -> Font:
    clone = copy(font)
    clone.name = name
    return clone


def workbook_bytes(wb: Workbook) -> bytes:
    if "Sheet" in wb.sheetnames and len(wb.sheetnames) > 1:
        del wb["Sheet"]
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
