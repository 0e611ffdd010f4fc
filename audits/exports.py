"""Papers of internal audits (ISO 9001:2008 clause 8.2.2): the audit plan as .docx (Kế hoạch đánh giá nội bộ)
and the yearly programme as .xlsx (Chương trình đánh giá nội bộ năm ...). Built from loaded objects, returned
as bytes; the papers are the agency's, so they are written in Vietnamese whatever the reader's language.
"""

from __future__ import annotations

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Emu, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from audits import clauses
from qms.docx import (HeaderBlock, add_header_block, add_heading, add_table, add_text, document_bytes,
                      new_document, text_width)
from qms.exports import set_print_layout, workbook_bytes, write_cell
from qms.timeutil import format_date, to_local

STATUS_VI = {"planned": "Đã lập kế hoạch", "notified": "Đã thông báo", "in_progress": "Đang đánh giá",
             "reported": "Đã báo cáo", "closed": "Đã kết thúc"}
PROGRAMME_STATUS_VI = {"draft": "Dự thảo", "submitted": "Trình phê duyệt", "approved": "Đã phê duyệt"}


def _agency():
    from qms.org.services import current_agency

    agency = current_agency()
    return (getattr(agency, "parent_body", "") or "", getattr(agency, "name", "") or "")


def _clause_lines(audit) -> list[str]:
    return [f"{code} {clauses.title(code, 'vi')}" for code in audit.clause_codes]


def _processes(audit) -> list[str]:
    return [row.label for row in audit.process_rows]


def plan_docx(audit, criteria_documents) -> bytes:
    """Kế hoạch đánh giá nội bộ: header block, objectives, scope, criteria, team, schedule, auditees."""
    parent_body, agency_name = _agency()
    doc = new_document(title=f"Kế hoạch đánh giá nội bộ {audit.code}", author=agency_name)
    add_header_block(doc, HeaderBlock(parent_body=parent_body, agency_name=agency_name, kind="KẾ HOẠCH",
                                      title="Đánh giá nội bộ", fields=(("Mã số", audit.code),
                                                                       ("Ngày lập", format_date(audit.created_at)))))
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(heading, "KẾ HOẠCH ĐÁNH GIÁ NỘI BỘ", bold=True, size=Pt(14))
    subtitle = doc.add_paragraph()
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(subtitle, audit.title, bold=True)
    dates = doc.add_paragraph()
    dates.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(dates, f"Thời gian: từ ngày {format_date(audit.planned_start)} đến ngày {format_date(audit.planned_end)}",
             italic=True)

    add_heading(doc, "1. Mục đích đánh giá")
    doc.add_paragraph(audit.objectives or "Xác định mức độ phù hợp và hiệu lực của hệ thống quản lý chất lượng "
                      "theo TCVN ISO 9001:2008 (điều 8.2.2).")
    add_heading(doc, "2. Phạm vi đánh giá")
    _bullets(doc, "Đơn vị được đánh giá", [row.unit.name for row in audit.unit_rows])
    _bullets(doc, "Quy trình, thủ tục hành chính", _processes(audit))
    _bullets(doc, "Điều khoản TCVN ISO 9001:2008", _clause_lines(audit))
    add_heading(doc, "3. Chuẩn mực đánh giá")
    criteria = ["TCVN ISO 9001:2008 – Hệ thống quản lý chất lượng – Các yêu cầu"]
    criteria += [f"{d.code} {d.title} (lần ban hành {d.effective_revision.numbering if d.effective_revision else '…'})"
                 for d in criteria_documents]
    criteria += [line.strip() for line in (audit.criteria or "").splitlines() if line.strip()]
    _bullets(doc, "", criteria)
    add_heading(doc, "4. Đoàn đánh giá")
    width = text_width(doc)
    team = [("TT", "Họ và tên", "Đơn vị", "Vai trò")]
    for number, member in enumerate(sorted(audit.team, key=lambda m: m.role.value != "lead"), start=1):
        user = member.auditor.user
        team.append((str(number), user.full_name, user.unit.name if user.unit else "",
                     "Trưởng đoàn" if member.role.value == "lead" else "Thành viên"))
    add_table(doc, team, widths=[Emu(int(width * s)) for s in (0.08, 0.36, 0.36, 0.20)])
    add_heading(doc, "5. Lịch đánh giá")
    schedule = [("Ngày", "Thời gian", "Đơn vị", "Nội dung đánh giá")]
    for session in audit.sessions:
        start, end = to_local(session.starts_at), to_local(session.ends_at)
        schedule.append((start.strftime("%d/%m/%Y"), f"{start:%H:%M} – {end:%H:%M}",
                         session.unit.name if session.unit else "", session.topic))
    if len(schedule) == 1:
        schedule.append(("…", "…", "…", "Lịch chi tiết sẽ được thông báo sau."))
    add_table(doc, schedule, widths=[Emu(int(width * s)) for s in (0.16, 0.18, 0.30, 0.36)])
    add_heading(doc, "6. Thành phần đơn vị được đánh giá")
    _bullets(doc, "", [f"{a.user.full_name}" + (f" – {a.user.unit.name}" if a.user.unit else "")
                       for a in audit.auditees] or ["Lãnh đạo và công chức của các đơn vị được đánh giá."])
    closing = doc.add_paragraph()
    closing.paragraph_format.space_before = Pt(18)
    closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    lead = audit.lead_auditor.user.full_name if audit.lead_auditor else "…"
    add_text(closing, "TRƯỞNG ĐOÀN ĐÁNH GIÁ\n\n\n", bold=True)
    add_text(closing, lead, bold=True)
    return document_bytes(doc)


def _bullets(doc, caption: str, lines) -> None:
    if caption:
        paragraph = doc.add_paragraph()
        add_text(paragraph, caption + ":", bold=True)
    for line in lines or ["—"]:
        doc.add_paragraph(f"– {line}")


PROGRAMME_HEADERS = ("TT", "Mã", "Cuộc đánh giá", "Đơn vị được đánh giá", "Quy trình, TTHC", "Điều khoản ISO 9001:2008",
                     "Từ ngày", "Đến ngày", "Trưởng đoàn", "Thành viên", "Trạng thái")


def _lines(ws, row: int, widths) -> int:
    """How many printed lines the tallest cell of *row* needs once wrapped to its column's width."""
    tallest = 1
    for column, width in enumerate(widths, start=1):
        value = ws.cell(row=row, column=column).value
        if isinstance(value, str):
            per_line = max(int(width * 1.1), 1)
            tallest = max(tallest, sum(max(1, -(-len(part) // per_line)) for part in value.split("\n")))
    return tallest


def programme_xlsx(programme, audits, locale: str = "vi") -> bytes:
    """Chương trình đánh giá nội bộ năm ...: one row per audit of the year, ready to print on A4 landscape."""
    parent_body, agency_name = _agency()
    wb = Workbook()
    ws = wb.active
    ws.title = f"CT {programme.year}"
    lines = [parent_body.upper(), agency_name.upper(), "",
             f"CHƯƠNG TRÌNH ĐÁNH GIÁ NỘI BỘ NĂM {programme.year}", programme.title,
             f"Trạng thái: {PROGRAMME_STATUS_VI[programme.status.value]}"
             + (f" – phê duyệt ngày {format_date(programme.approved_at)} bởi {programme.approved_by.full_name}"
                if programme.approved_at and programme.approved_by else "")]
    for number, line in enumerate(lines, start=1):
        if line:
            cell = write_cell(ws, number, 1, line)
            cell.font = Font(bold=number in (2, 4), size=13 if number == 4 else 11)
    header_row = len(lines) + 2
    for column, name in enumerate(PROGRAMME_HEADERS, start=1):
        write_cell(ws, header_row, column, name).font = Font(bold=True)
    for number, audit in enumerate(audits, start=1):
        members = [m.auditor.user.full_name for m in audit.team if m.role.value != "lead"]
        values = (number, audit.code, audit.title, "\n".join(row.unit.name for row in audit.unit_rows),
                  "\n".join(_processes(audit)), "\n".join(_clause_lines(audit)), audit.planned_start,
                  audit.planned_end, audit.lead_auditor.user.full_name if audit.lead_auditor else "",
                  "\n".join(members), STATUS_VI[audit.status.value])
        for column, value in enumerate(values, start=1):
            write_cell(ws, header_row + number, column, value)
    widths = (5, 15, 30, 28, 34, 34, 11, 11, 20, 22, 14)
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[chr(64 + column)].width = width
    for row in range(header_row + 1, header_row + len(audits) + 1):
        ws.row_dimensions[row].height = 15 * _lines(ws, row, widths)  # spreadsheets do not grow wrapped rows
    set_print_layout(ws, header_row=header_row)
    for row in ws.iter_rows(min_row=1, max_row=len(lines)):
        for cell in row:
            cell.alignment = Alignment(horizontal="left")
    return workbook_bytes(wb)
