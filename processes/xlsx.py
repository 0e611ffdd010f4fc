"""The TTHC catalogue and its process maps as an .xlsx workbook, and the empty import template
(ISO 9001:2008 clauses 4.2.3, 7.5.1: the catalogue is kept in a spreadsheet and read back by
``processes.importers``).

One workbook: "Hướng dẫn" (what each column means, the rules, a worked example and the unit codes),
then "Thủ tục" (one row per procedure), "Quy trình" (one row per step of the current version of
each procedure) and "Nhánh" (its branches). Enumerated columns carry drop-down lists; user text
goes in as text, never as a formula. The template is the same workbook without data rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from math import ceil

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from processes import queries
from processes.durations import amount_of
from processes.models import AdministrativeProcedure, ProcessBranch, ProcessStep, ProcessVersion
from processes.xlsx_layout import (BRANCH_KIND_WORDS, DATA_SHEETS, GUIDE_SHEET, HEADER_ROW, LEVEL_WORDS,
                                   ONLINE_WORDS, STATUS_WORDS, STEP_KIND_WORDS, TIME_UNIT_WORDS, YES_MARK, Column,
                                   SheetLayout)
from qms.exports import HEADER_FILL, THIN_BORDER, add_table_sheet, set_print_layout, workbook_bytes, write_cell
from qms.extensions import db
from qms.org.models import Unit

REQUIRED_FILL = PatternFill("solid", fgColor="F8CBAD")  # the headers of the columns that must be filled
SPARE_ROWS = 500  # rows below the data that still get the drop-down lists
CENTRED = frozenset({"step", "from_step", "to_step", "legal_limit", "committed_limit", "amount", "accepts_in_person",
                     "accepts_post"})


def export_filename(today: date) -> str:
    return f"quy-trinh-tthc-{today:%Y%m%d}.xlsx"


TEMPLATE_FILENAME = "mau-nhap-quy-trinh-tthc.xlsx"


# Rows --------------------------------------------------------------------------------------------------


def _number(minutes: int | None, unit) -> int | float | None:
    """Minutes as the amount a person writes: 14, 0.5 (a number cell, shown as 0,5 in Vietnamese Excel)."""
    if minutes is None or unit is None:
        return None
    value = amount_of(minutes, unit)
    return value.numerator if value.denominator == 1 else float(value)


def catalogue_row(procedure: AdministrativeProcedure) -> dict:
    return {
        "code": procedure.code, "name": procedure.name, "field": procedure.field, "level": LEVEL_WORDS[procedure.level],
        "legal_limit": _number(procedure.legal_limit_minutes, procedure.legal_limit_unit),
        "legal_limit_unit": TIME_UNIT_WORDS[procedure.legal_limit_unit],
        "committed_limit": _number(procedure.committed_limit_minutes, procedure.committed_limit_unit),
        "committed_limit_unit": TIME_UNIT_WORDS.get(procedure.committed_limit_unit, ""),
        "fees": procedure.fees, "accepts_in_person": YES_MARK if procedure.accepts_in_person else "",
        "accepts_post": YES_MARK if procedure.accepts_post else "",
        "online_service": ONLINE_WORDS[procedure.online_service], "announcement_no": procedure.announcement_no,
        "announcement_on": procedure.announcement_on, "internal_approval_no": procedure.internal_approval_no,
        "internal_approval_on": procedure.internal_approval_on,
        "owner_unit": procedure.owner_unit.code if procedure.owner_unit else "",
        "legal_bases": "; ".join(b.external_document.number for b in procedure.legal_bases),
        "status": STATUS_WORDS[procedure.status], "abolished_on": procedure.abolished_on, "notes": procedure.notes,
    }


def step_row(code: str, step: ProcessStep) -> dict:
    return {"code": code, "step": step.code, "name": step.name, "description": step.description,
            "unit": step.unit.code if step.unit else "", "performer": step.performer,
            "kind": STEP_KIND_WORDS[step.kind], "amount": _number(step.allotted_minutes, step.allotted_unit),
            "time_unit": TIME_UNIT_WORDS[step.allotted_unit], "output": step.output}


def branch_row(code: str, branch: ProcessBranch) -> dict:
    return {"code": code, "kind": BRANCH_KIND_WORDS[branch.kind], "from_step": branch.from_step.code,
            "to_step": branch.to_step.code if branch.to_step else "", "party": branch.party,
            "condition": branch.condition, "output": branch.output}


# The worked example of the guide: DOMAIN.md 9.3, the postal licence in 20 working days ----------------------

EXAMPLE_CATALOGUE = {
    "code": "1.004470", "name": "Cấp giấy phép bưu chính (phạm vi nội tỉnh)", "field": "Bưu chính",
    "level": "Cấp tỉnh", "legal_limit": 20, "legal_limit_unit": "ngày làm việc",
    "fees": "Phí thẩm định cấp giấy phép lần đầu: 10.750.000 đồng", "accepts_in_person": "x", "accepts_post": "x",
    "online_service": "một phần", "announcement_no": "1220/QĐ-UBND", "announcement_on": date(2022, 5, 27),
    "owner_unit": "BCVT", "status": "đang áp dụng",
}
EXAMPLE_STEPS = [
    {"step": "B1", "name": "Tiếp nhận, kiểm tra hồ sơ", "description": "Lập Giấy tiếp nhận; quét hồ sơ; chuyển hồ sơ",
     "unit": "BPMC", "kind": "Tiếp nhận", "amount": 0.5, "output": "Mẫu 01, Mẫu 05"},
    {"step": "B2", "name": "Phân công thụ lý", "unit": "BCVT", "performer": "Trưởng phòng", "kind": "Phân công",
     "amount": 0.5, "output": "Mẫu 05"},
    {"step": "B3", "name": "Thẩm định hồ sơ", "description": "Thẩm định, kiểm tra thực tế nếu cần; dự thảo giấy phép "
     "hoặc văn bản từ chối", "unit": "BCVT", "performer": "Chuyên viên", "kind": "Thẩm định", "amount": 14,
     "output": "Phiếu trình, dự thảo giấy phép"},
    {"step": "B4", "name": "Xem xét, trình ký", "unit": "BCVT", "performer": "Trưởng phòng",
     "kind": "Xem xét trình ký", "amount": 2, "output": "Phiếu trình có ý kiến"},
    {"step": "B5", "name": "Ký duyệt", "unit": "LDS", "performer": "Giám đốc / Phó Giám đốc phụ trách",
     "kind": "Ký duyệt", "amount": 2, "output": "Giấy phép bưu chính"},
    {"step": "B6", "name": "Vào số, đóng dấu, phát hành", "performer": "Văn thư Sở", "kind": "Phát hành",
     "amount": 4, "time_unit": "giờ làm việc", "output": "Sổ đăng ký văn bản đi"},
    {"step": "B7", "name": "Thu phí, trả kết quả", "unit": "BPMC", "kind": "Trả kết quả", "amount": 0.5,
     "output": "Mẫu 05, Sổ theo dõi hồ sơ"},
]
EXAMPLE_BRANCHES = [
    {"kind": "Yêu cầu bổ sung", "from_step": "B1", "to_step": "B1", "party": "Tổ chức, cá nhân",
     "condition": "Hồ sơ chưa đầy đủ, chưa hợp lệ", "output": "Mẫu 02"},
    {"kind": "Từ chối", "from_step": "B3", "party": "Tổ chức, cá nhân", "condition": "Không đủ điều kiện cấp phép",
     "output": "Văn bản từ chối nêu rõ lý do"},
    {"kind": "Lấy ý kiến", "from_step": "B3", "to_step": "B3", "party": "Công an tỉnh",
     "condition": "Cần ý kiến về an ninh", "output": "Công văn lấy ý kiến"},
]


def example_rows() -> dict[str, list[dict]]:
    """The worked example by sheet name, step and branch rows completed with the procedure code."""
    code = EXAMPLE_CATALOGUE["code"]
    steps = [{"code": code, "time_unit": "ngày làm việc", **row} for row in EXAMPLE_STEPS]
    return {"Thủ tục": [EXAMPLE_CATALOGUE], "Quy trình": steps,
            "Nhánh": [{"code": code, **row} for row in EXAMPLE_BRANCHES]}


# Sheets ------------------------------------------------------------------------------------------------


def _data_sheet(wb: Workbook, layout: SheetLayout, rows: Sequence[dict], unit_codes: str | None):
    headers = [c.header for c in layout.columns]
    values = [[row.get(c.key) for c in layout.columns] for row in rows]
    ws = add_table_sheet(wb, layout.name, headers, values, heading=layout.title,
                         widths=[c.width for c in layout.columns])
    first, last = HEADER_ROW + 1, HEADER_ROW + len(rows) + SPARE_ROWS
    for index, column in enumerate(layout.columns, start=1):
        letter = get_column_letter(index)
        if column.required:
            ws.cell(row=HEADER_ROW, column=index).fill = REQUIRED_FILL
        if column.as_text:  # "1.004470" and "B1" stay text when typed into the spare rows too
            ws.column_dimensions[letter].number_format = "@"
            for number in range(first, first + len(rows)):
                ws.cell(row=number, column=index).number_format = "@"
        formula = _list_formula(column, unit_codes)
        if formula:
            validation = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                                        errorStyle="warning", errorTitle=column.header,
                                        error=f"Giá trị không có trong danh sách. {column.allowed}".strip())
            validation.add(f"{letter}{first}:{letter}{last}")
            ws.add_data_validation(validation)
    set_print_layout(ws, header_row=HEADER_ROW, header_height=45)
    for number in range(first, first + len(rows)):
        fit_row_height(ws, number)
        for index, column in enumerate(layout.columns, start=1):
            if column.key in CENTRED:
                cell = ws.cell(row=number, column=index)
                cell.alignment = Alignment(horizontal="center", vertical="top", wrap_text=True)
    if len(layout.columns) > 12:  # the catalogue: two pages wide rather than unreadably small, codes repeated
        ws.page_setup.fitToWidth = 2
    ws.freeze_panes = "C4" if layout.name == "Quy trình" else "B4"
    ws.print_title_cols = "A:B" if layout.name == "Quy trình" else "A:A"
    return ws


def _list_formula(column: Column, unit_codes: str | None) -> str:
    if column.choices:
        return '"' + ",".join(column.choices) + '"'
    if column.key in ("unit", "owner_unit") and unit_codes:
        return unit_codes
    return ""


def _width(ws, first: int, last: int) -> float:
    return sum(ws.column_dimensions[get_column_letter(c)].width or 13 for c in range(first, last + 1))


def fit_row_height(ws, row: int, *, spans: dict[int, int] | None = None, size: int = 11) -> None:
    """Give a row of wrapped text the height that shows all of it (Excel never grows a row by itself,
    nor a merged cell). *spans* maps a first column to the last column it is merged across."""
    lines = 1
    for cell in ws[row]:
        if not isinstance(cell.value, str) or not cell.value:
            continue
        per_line = max(1.0, _width(ws, cell.column, (spans or {}).get(cell.column, cell.column)) * 1.15)
        lines = max(lines, sum(ceil(max(len(part), 1) / per_line) for part in cell.value.split("\n")))
    ws.row_dimensions[row].height = 15 * lines * size / 11 + 2


def _paragraph(ws, row: int, text: str, *, bold: bool = False, size: int = 11, columns: int = 4) -> int:
    """Text across the guide's first columns, wrapped."""
    cell = write_cell(ws, row, 1, text)
    cell.font = Font(name="Times New Roman", bold=bold, size=size)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    fit_row_height(ws, row, spans={1: columns}, size=size)
    return row + 1


def _table(ws, row: int, headers: Sequence[str], rows: Iterable[Sequence], *, spans: dict[int, int] | None = None
           ) -> int:
    """A small table of the guide; *spans* merges a column across the next ones (first → last column)."""
    for values, bold in ((headers, True), *((r, False) for r in rows)):
        for col, value in enumerate(values, start=1):
            cell = write_cell(ws, row, col, value)
            cell.font = Font(name="Times New Roman", bold=bold)
            cell.alignment = Alignment(wrap_text=True, vertical="center" if bold else "top")
            cell.border = THIN_BORDER
            if bold:
                cell.fill = HEADER_FILL
        for first, last in (spans or {}).items():
            ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
        fit_row_height(ws, row, spans=spans)
        row += 1
    return row + 1


RULES = (
    "Tệp gồm các trang: Thủ tục (mỗi dòng một thủ tục hành chính), Quy trình (mỗi dòng một bước; một tệp có thể "
    "chứa quy trình của nhiều thủ tục) và Nhánh (yêu cầu bổ sung, từ chối, lấy ý kiến). Trang Hướng dẫn này không "
    "được đọc khi nhập.",
    "Giữ nguyên tên trang và đủ các cột (tiêu đề ở dòng 3). Tiêu đề được so khớp không phân biệt chữ hoa, chữ "
    "thường và dấu; có thể đổi thứ tự cột; cột không có trong hướng dẫn được bỏ qua. Tiêu đề tô màu cam: ô bắt "
    "buộc phải có giá trị.",
    "Nhập theo nguyên tắc \"tất cả hoặc không\": chỉ cần một lỗi là không dữ liệu nào được ghi. Mỗi lỗi nêu trang, "
    "dòng, cột, giá trị và quy tắc bị vi phạm. Nên chọn \"Kiểm tra thử\" trước khi nhập thật.",
    "Thủ tục chưa có trong hệ thống được thêm vào danh mục; thủ tục đã có được cập nhật các thông tin khác đi; "
    "thủ tục không có trong tệp giữ nguyên (nhập không xoá gì). Mã TTHC không đổi được. Mỗi dòng là toàn bộ "
    "thông tin của thủ tục: ô để trống là không có (ví dụ không nhận hồ sơ qua bưu chính).",
    "Các dòng của một thủ tục ở trang Quy trình và trang Nhánh là toàn bộ quy trình của thủ tục đó. Nếu giống "
    "phiên bản hiện hành thì không có gì thay đổi. Nếu khác, hệ thống lập một phiên bản dự thảo mới (hoặc cập nhật "
    "dự thảo đang soạn); phiên bản đã ký duyệt không bao giờ bị sửa. Dự thảo phải được trình, xem xét và phê duyệt "
    "như mọi tài liệu. Không nhập được khi phiên bản mới đang chờ xem xét hoặc phê duyệt.",
    "Thủ tục chỉ có ở trang Thủ tục (không có dòng ở trang Quy trình) chỉ được cập nhật thông tin danh mục; quy "
    "trình của nó giữ nguyên. Nhập lại đúng tệp đã xuất không thay đổi gì.",
    "Thời gian: một số, dấu phẩy hoặc dấu chấm thập phân (0,5 hoặc 0.5). Ngày tính theo nửa ngày, giờ theo nửa "
    "giờ; 1 ngày làm việc = 8 giờ làm việc. Không cộng ngày theo lịch với thời gian làm việc. Tổng thời gian các "
    "bước phải bằng thời hạn cam kết (hoặc thời hạn theo quy định) thì phiên bản mới được phê duyệt.",
    "Ngày tháng: dd/mm/yyyy (ví dụ 27/05/2022) hoặc ô kiểu ngày của Excel. Dòng trống được bỏ qua; khoảng trắng ở "
    "đầu và cuối ô được bỏ đi; ô có công thức được đọc theo giá trị đã tính.",
)


def _guide_sheet(wb: Workbook, units: Sequence[Unit]) -> str | None:
    """The documentation sheet; returns the range of unit codes for the drop-down lists (None without units)."""
    ws = wb.create_sheet(GUIDE_SHEET, 0)
    for letter, width in zip("ABCDEFGHIJ", (16, 14, 44, 40, 12, 18, 14, 10, 14, 22)):
        ws.column_dimensions[letter].width = width
    row = _paragraph(ws, 1, "HƯỚNG DẪN NHẬP, XUẤT DANH MỤC THỦ TỤC HÀNH CHÍNH VÀ QUY TRÌNH NỘI BỘ", bold=True,
                     size=14) + 1
    row = _paragraph(ws, row, "1. Quy tắc chung", bold=True)
    for number, rule in enumerate(RULES, start=1):
        row = _paragraph(ws, row, f"{number}) {rule}")
    row = _paragraph(ws, row + 1, "2. Các cột của từng trang", bold=True)
    for layout in DATA_SHEETS:
        row = _paragraph(ws, row, f"Trang \"{layout.name}\": {layout.purpose}", bold=True)
        row = _table(ws, row, ("Cột", "Bắt buộc", "Ý nghĩa", "Giá trị cho phép, ví dụ"),
                     [(c.header, "bắt buộc" if c.required else "", c.meaning, c.allowed) for c in layout.columns])
    row = _paragraph(ws, row, "3. Ví dụ: thủ tục cấp giấy phép bưu chính, 20 ngày làm việc", bold=True)
    row = _paragraph(ws, row, "Chép các dòng dưới đây sang đúng trang (bắt đầu từ dòng 4) để nhập thử. Trang Thủ tục "
                              "(một dòng, trình bày theo cột dọc):")
    example = example_rows()
    catalogue = DATA_SHEETS[0]
    row = _table(ws, row, ("Cột", "Giá trị"), [(c.header, example["Thủ tục"][0].get(c.key, ""))
                                              for c in catalogue.columns], spans={2: 3})
    for layout in DATA_SHEETS[1:]:
        row = _paragraph(ws, row, f"Trang \"{layout.name}\":")
        row = _table(ws, row, [c.header for c in layout.columns],
                     [[r.get(c.key, "") for c in layout.columns] for r in example[layout.name]])
    if not units:
        return None
    row = _paragraph(ws, row, "4. Mã đơn vị (cột Đơn vị chủ trì và Đơn vị)", bold=True)
    first = row + 1
    row = _table(ws, row, ("Mã đơn vị", "Tên đơn vị"), [(u.code, u.name) for u in units], spans={2: 3})
    ws.page_setup.paperSize, ws.page_setup.orientation = ws.PAPERSIZE_A4, "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return f"'{GUIDE_SHEET}'!$A${first}:$A${first + len(units) - 1}"


def _workbook(rows_by_sheet: dict[str, list[dict]], units: Sequence[Unit]) -> Workbook:
    wb = Workbook()
    unit_codes = _guide_sheet(wb, units)
    for layout in DATA_SHEETS:
        _data_sheet(wb, layout, rows_by_sheet.get(layout.name, []), unit_codes)
    del wb["Sheet"]
    wb.active = 1 if rows_by_sheet.get(DATA_SHEETS[0].name) else 0
    wb.properties.title = "Danh mục thủ tục hành chính và quy trình nội bộ"
    return wb


def _all_units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).order_by(Unit.sort_order, Unit.code)))


def export_workbook(procedures: Iterable[AdministrativeProcedure], *, units: Sequence[Unit] | None = None,
                    readable: Callable[[ProcessVersion], bool] | None = None) -> bytes:
    """The catalogue and, for each procedure, the steps and branches of its current version (in force, else
    the latest draft), in the layout the importer reads back. A version the reader may not see (*readable*
    says no: a draft for a one-stop officer) is left out, as on the pages."""
    procedures = sorted(procedures, key=lambda p: p.code)
    rows: dict[str, list[dict]] = {"Thủ tục": [], "Quy trình": [], "Nhánh": []}
    for procedure in procedures:
        rows["Thủ tục"].append(catalogue_row(procedure))
        version = queries.current_version(procedure)
        if version is not None and (readable is None or readable(version)):
            rows["Quy trình"] += [step_row(procedure.code, s) for s in version.steps]
            rows["Nhánh"] += [branch_row(procedure.code, b) for b in version.branches]
    return workbook_bytes(_workbook(rows, _all_units() if units is None else units))


def template_workbook(*, units: Sequence[Unit] | None = None) -> bytes:
    """The import template: the same sheets and headers without data rows; the example is in the guide."""
    return workbook_bytes(_workbook({}, _all_units() if units is None else units))
