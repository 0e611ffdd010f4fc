"""The one-stop shop's registers as spreadsheets (TT 01/2018 Art. 9-10; DOMAIN.md 3 Mẫu 06, 6).

- ``register_xlsx``: Sổ theo dõi hồ sơ (Mẫu 06) of a period, A4 landscape, the columns of the form
  with the merged "Ngày, tháng, năm" group and the column numbers (1) … (14);
- ``monthly_report_xlsx``: the monthly statistics per field and TTHC in the portals' layout, with
  merged group headers and the shares as numbers in % format.

The captions are the agency's fixed Vietnamese forms. Text cells go through ``qms.exports.write_cell``
(never a formula). Both build from rows the caller has queried (``processes.dossiers.reports``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from processes.dossiers.reports import MonthlyReport, RegisterRow, ReportRow
from processes.xlsx import fit_row_height
from qms.exports import HEADER_FILL, THIN_BORDER, workbook_bytes, write_cell

FONT = "Times New Roman"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
PERCENT_FORMAT = "0.0%"
GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")

#: (row, column, rows spanned, columns spanned, caption) of the two header rows of Mẫu 06.
REGISTER_HEADER = (
    (0, 1, 2, 1, "TT"), (0, 2, 2, 1, "Mã hồ sơ"), (0, 3, 2, 1, "Tên TTHC"),
    (0, 4, 2, 1, "Số lượng hồ sơ (bộ)"), (0, 5, 2, 1, "Tên cá nhân, tổ chức"),
    (0, 6, 2, 1, "Địa chỉ, số điện thoại"), (0, 7, 2, 1, "Cơ quan chủ trì giải quyết"),
    (0, 8, 1, 5, "Ngày, tháng, năm"),
    (1, 8, 1, 1, "Nhận hồ sơ"), (1, 9, 1, 1, "Hẹn trả kết quả"),
    (1, 10, 1, 1, "Chuyển hồ sơ đến cơ quan giải quyết"), (1, 11, 1, 1, "Nhận kết quả từ cơ quan giải quyết"),
    (1, 12, 1, 1, "Trả kết quả cho cá nhân, tổ chức"),
    (0, 13, 2, 1, "Ký nhận"), (0, 14, 2, 1, "Ghi chú"),
)
REGISTER_WIDTHS = (5, 21, 26, 7, 20, 22, 17, 15, 15, 15, 15, 15, 9, 18)
REGISTER_HEIGHTS = (22, 48)

#: The monthly report: three header rows (groups, sub-groups, count and share).
MONTHLY_HEADER = (
    (0, 1, 3, 1, "STT"), (0, 2, 3, 1, "Lĩnh vực, thủ tục hành chính"), (0, 3, 3, 1, "Mã TTHC"),
    (0, 4, 1, 3, "Số hồ sơ nhận giải quyết"),
    (1, 4, 2, 1, "Tổng số"), (1, 5, 2, 1, "Kỳ trước chuyển qua"), (1, 6, 2, 1, "Mới tiếp nhận"),
    (0, 7, 1, 7, "Số hồ sơ đã giải quyết"),
    (1, 7, 2, 1, "Tổng số"), (1, 8, 1, 2, "Trước hạn"), (1, 10, 1, 2, "Đúng hạn"), (1, 12, 1, 2, "Quá hạn"),
    (2, 8, 1, 1, "Số lượng"), (2, 9, 1, 1, "Tỷ lệ"), (2, 10, 1, 1, "Số lượng"), (2, 11, 1, 1, "Tỷ lệ"),
    (2, 12, 1, 1, "Số lượng"), (2, 13, 1, 1, "Tỷ lệ"),
    (0, 14, 1, 3, "Số hồ sơ đang giải quyết"),
    (1, 14, 2, 1, "Tổng số"), (1, 15, 2, 1, "Trong hạn"), (1, 16, 2, 1, "Quá hạn"),
    (0, 17, 3, 1, "Rút hồ sơ, dừng giải quyết"), (0, 18, 3, 1, "Từ chối giải quyết"),
)
MONTHLY_WIDTHS = (6, 46, 11, 8, 9, 9, 9, 8, 8, 8, 8, 8, 8, 9, 9, 9, 11, 10)
MONTHLY_HEIGHTS = (30, 30, 20)
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV")


def _font(cell, *, bold: bool = False, italic: bool = False, size: int = 11) -> None:
    cell.font = Font(name=FONT, bold=bold, italic=italic, size=size)


def _title_line(ws, row: int, text: str, columns: int, *, bold: bool = True, italic: bool = False,
                size: int = 13, first: int = 1, align: str = "center") -> None:
    ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=columns)
    cell = write_cell(ws, row, first, text)
    _font(cell, bold=bold, italic=italic, size=size)
    cell.alignment = Alignment(horizontal=align, vertical="center")


def _header(ws, top: int, spec: Sequence[tuple[int, int, int, int, str]], columns: int,
            heights: Sequence[int]) -> int:
    """Write the merged header grid from *top*, then a row of column numbers (1) … (n); returns the last row."""
    for row, column, rows, cols, caption in spec:
        if rows > 1 or cols > 1:
            ws.merge_cells(start_row=top + row, start_column=column, end_row=top + row + rows - 1,
                           end_column=column + cols - 1)
        ws.cell(row=top + row, column=column, value=caption)
    depth = max(row + rows for row, _c, rows, _cs, _t in spec)
    for column in range(1, columns + 1):
        ws.cell(row=top + depth, column=column, value=f"({column})")
    for row in range(top, top + depth + 1):
        for column in range(1, columns + 1):
            cell = ws.cell(row=row, column=column)
            cell.border = THIN_BORDER
            if row < top + depth:
                cell.fill = HEADER_FILL
            _font(cell, bold=row < top + depth, italic=row == top + depth, size=10 if row == top + depth else 11)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row, height in enumerate(heights):
        ws.row_dimensions[top + row].height = height
    ws.print_title_rows = f"{top}:{top + depth}"
    ws.freeze_panes = ws.cell(row=top + depth + 1, column=3)
    return top + depth


def _page(ws, widths: Sequence[int]) -> None:
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def _body_cell(ws, row: int, column: int, value, *, bold: bool = False, centre: bool = False,
               number_format: str | None = None):
    cell = write_cell(ws, row, column, value)
    _font(cell, bold=bold)
    cell.border = THIN_BORDER
    cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="center" if centre else None)
    if number_format and value is not None:
        cell.number_format = number_format
    return cell


def _agency_lines(ws, agency, columns: int) -> int:
    """Parent body and agency on the left, over a third of the width; returns the next free row."""
    span = max(3, columns // 3)
    parent, name = getattr(agency, "parent_body", "") or "", getattr(agency, "name", "") or ""
    _title_line(ws, 1, parent.upper(), span, bold=False, size=11)
    _title_line(ws, 2, name.upper(), span, size=11)
    return 4


# Mẫu 06 ---------------------------------------------------------------------------------------------------


def register_xlsx(rows: Sequence[RegisterRow], *, start: date, end: date, agency=None) -> bytes:
    """Sổ theo dõi hồ sơ from *start* to *end* (both shown as given: the caller's inclusive dates)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Mẫu 06"
    columns = len(REGISTER_WIDTHS)
    _page(ws, REGISTER_WIDTHS)
    row = _agency_lines(ws, agency, columns)
    _title_line(ws, row, "SỔ THEO DÕI HỒ SƠ", columns, size=14)
    _title_line(ws, row + 1, f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}", columns, bold=False,
                italic=True, size=12)
    last = _header(ws, row + 3, REGISTER_HEADER, columns, REGISTER_HEIGHTS)
    for offset, item in enumerate(rows, start=1):
        r = last + offset
        contact = ", ".join(part for part in (item.address, item.phone) if part)
        values = (f"{item.number:02d}", item.code, item.procedure, 1, item.applicant, contact, item.resolving_unit,
                  item.received_at, item.due_at, item.transferred_at, item.result_ready_at, item.returned_at,
                  "", item.note)
        for column, value in enumerate(values, start=1):
            dated = 8 <= column <= 12
            _body_cell(ws, r, column, value, centre=column in (1, 4) or dated,
                       number_format=DATETIME_FORMAT if dated else None)
        fit_row_height(ws, r)
    return workbook_bytes(wb)


# The monthly report -----------------------------------------------------------------------------------------


def _counts(row: ReportRow) -> list:
    return [row.total, row.carried, row.received, row.resolved, row.early, row.share(row.early), row.on_time,
            row.share(row.on_time), row.late, row.share(row.late), row.in_progress, row.in_progress_on_time,
            row.in_progress_late, row.withdrawn, row.refused]


def _report_line(ws, r: int, number: str, label: str, code: str, row: ReportRow, *, bold: bool = False,
                 fill: PatternFill | None = None) -> None:
    for column, value in enumerate([number, label, code, *_counts(row)], start=1):
        share = column in (9, 11, 13)
        cell = _body_cell(ws, r, column, value, bold=bold, centre=column in (1, 3) or column > 3,
                          number_format=PERCENT_FORMAT if share else None)
        if fill is not None:
            cell.fill = fill


def monthly_report_xlsx(report: MonthlyReport, *, agency=None) -> bytes:
    """The month's statistics: one line per TTHC under its field (with the field's subtotal), then the total."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"{report.month:02d}-{report.year}"
    columns = len(MONTHLY_WIDTHS)
    _page(ws, MONTHLY_WIDTHS)
    row = _agency_lines(ws, agency, columns)
    _title_line(ws, row, "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", columns, size=14)
    _title_line(ws, row + 1, f"Tháng {report.month:02d} năm {report.year} (từ ngày {report.start:%d/%m/%Y} "
                             f"đến ngày {report.last_day:%d/%m/%Y})", columns, bold=False, italic=True, size=12)
    r = _header(ws, row + 3, MONTHLY_HEADER, columns, MONTHLY_HEIGHTS)
    for index, group in enumerate(report.groups):
        r += 1
        numeral = _ROMAN[index] if index < len(_ROMAN) else str(index + 1)
        _report_line(ws, r, numeral, f"Lĩnh vực {group.name}", "", group.subtotal, bold=True, fill=GROUP_FILL)
        for number, line in enumerate(group.rows, start=1):
            r += 1
            _report_line(ws, r, str(number), line.label, line.code, line)
            fit_row_height(ws, r)
    r += 1
    _report_line(ws, r, "", "TỔNG CỘNG", "", report.total, bold=True, fill=HEADER_FILL)
    note = ("Ghi chú: đã giải quyết, trước hạn / đúng hạn / quá hạn tính tại thời điểm đo của từng hồ sơ (có kết "
            "quả hoặc trả kết quả) so với ngày hẹn trả (sau bổ sung, không tính ngày hẹn lại của phiếu xin lỗi); "
            "tỷ lệ tính trên số hồ sơ đã giải quyết; đang giải quyết quá hạn: ngày hẹn trả đã qua vào cuối kỳ.")
    ws.merge_cells(start_row=r + 2, start_column=1, end_row=r + 2, end_column=columns)
    cell = write_cell(ws, r + 2, 1, note)
    _font(cell, italic=True, size=10)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[r + 2].height = 30
    return workbook_bytes(wb)
