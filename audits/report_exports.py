"""The internal audit report as Word (Báo cáo đánh giá nội bộ, ISO 9001:2008 clause 8.2.2, a record of 4.2.4).

Header block on every page; then scope (units, processes, clauses), team and auditees, dates, summary,
the findings counted by kind, listed by clause and by unit, the conclusion and the signature lines.
The agency's own paper, so the captions are fixed Vietnamese (as every official export here); the
content is what the team wrote.
"""

from __future__ import annotations

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Emu, Pt

from audits import clauses
from audits.checklist_models import Finding, FindingKind
from audits.findings_services import by_clause, by_unit, counts_by_kind
from audits.models import Audit, TeamRole
from qms.docx import (HeaderBlock, add_header_block, add_heading, add_table, add_text, document_bytes, new_document,
                      new_table, set_column_widths, set_table_borders, fill_cell, text_width)
from qms.timeutil import format_date, format_datetime

KIND_VI = {FindingKind.MAJOR_NC: "Không phù hợp nặng", FindingKind.MINOR_NC: "Không phù hợp nhẹ",
           FindingKind.OBSERVATION: "Điểm lưu ý", FindingKind.STRENGTH: "Điểm mạnh"}
ROLE_VI = {TeamRole.LEAD: "Trưởng đoàn đánh giá", TeamRole.MEMBER: "Chuyên gia đánh giá"}


def _paragraph(doc, text: str, *, bold: bool = False, italic: bool = False, centre: bool = False, after: int = 4):
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(after)
    if centre:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(paragraph, text, bold=bold, italic=italic)
    return paragraph


def _clause_label(code: str) -> str:
    return f"{code} {clauses.clause(code).title_vi}" if clauses.is_clause(code) else code


def _finding_rows(items: list[Finding], *, with_unit: bool) -> list[list[str]]:
    header = ["Số, loại", "Đơn vị" if with_unit else "Điều khoản", "Phát hiện", "Bằng chứng", "Xác nhận của "
              "đơn vị được đánh giá"]
    rows = [header]
    for finding in items:
        acknowledged = "—"
        if finding.acknowledged_at is not None:
            acknowledged = f"{finding.acknowledged_by.full_name}, {format_datetime(finding.acknowledged_at)}"
            if finding.auditee_comment:
                acknowledged += f"\n{finding.auditee_comment}"
        statement = finding.statement + (f"\n({finding.process_label})" if finding.process_label else "")
        rows.append([f"{finding.reference}\n{KIND_VI[finding.kind]}", finding.unit.name if with_unit else finding.clause_code,
                     statement, finding.evidence or "—", acknowledged])
    return rows


def report_docx(audit: Audit, findings: list[Finding], *, agency, answered: int, total: int) -> bytes:
    """The report of *audit* with its *findings*; *answered* of *total* checklist questions were answered."""
    parent_body = getattr(agency, "parent_body", "") or ""
    agency_name = getattr(agency, "name", "") or ""
    doc = new_document(title=f"Báo cáo đánh giá nội bộ {audit.code}", author=agency_name)
    add_header_block(doc, HeaderBlock(parent_body=parent_body, agency_name=agency_name, kind="Báo cáo",
                                      title="Đánh giá nội bộ", fields=(("Số", audit.code),
                                                                       ("Ngày", format_date(audit.reported_at
                                                                                            or audit.planned_end)))))
    _paragraph(doc, "BÁO CÁO ĐÁNH GIÁ NỘI BỘ", bold=True, centre=True, after=2)
    _paragraph(doc, f"{audit.code}: {audit.title}", bold=True, centre=True, after=10)
    width = text_width(doc)

    add_heading(doc, "1. Phạm vi và chuẩn mực đánh giá", level=2)
    scope = [["Đơn vị được đánh giá", "; ".join(row.unit.name for row in audit.unit_rows) or "—"],
             ["Quá trình, thủ tục", "\n".join(row.label for row in audit.process_rows) or "—"],
             ["Điều khoản TCVN ISO 9001:2008", "\n".join(_clause_label(code) for code in audit.clause_codes) or "—"],
             ["Chuẩn mực đánh giá", audit.criteria or "TCVN ISO 9001:2008; các tài liệu của HTQLCL đang hiệu lực"],
             ["Thời gian", f"Từ {format_date(audit.planned_start)} đến {format_date(audit.planned_end)}"]]
    add_table(doc, scope, header_rows=0, widths=[Emu(int(width * 0.3)), Emu(int(width * 0.7))], bold_first_column=True)

    add_heading(doc, "2. Đoàn đánh giá và đơn vị được đánh giá", level=2)
    team = [["Họ và tên", "Vai trò"]] + [[m.auditor.user.full_name, ROLE_VI[m.role]] for m in audit.team]
    team += [[a.user.full_name, "Đại diện đơn vị được đánh giá"] for a in audit.auditees]
    add_table(doc, team, widths=[Emu(int(width * 0.55)), Emu(int(width * 0.45))])

    add_heading(doc, "3. Tóm tắt", level=2)
    _paragraph(doc, audit.summary or "—")
    _paragraph(doc, f"Phiếu hỏi đánh giá: {answered}/{total} câu hỏi đã có kết quả.", italic=True)

    add_heading(doc, "4. Kết quả đánh giá", level=2)
    counts = counts_by_kind(findings)
    add_table(doc, [[KIND_VI[kind] for kind in FindingKind] + ["Tổng"],
                    [str(counts[kind]) for kind in FindingKind] + [str(len(findings))]],
              centre_columns=range(5))
    widths = [Emu(int(width * share)) for share in (0.15, 0.16, 0.34, 0.19, 0.16)]
    _paragraph(doc, "4.1. Theo điều khoản", bold=True, after=2)
    if not findings:
        _paragraph(doc, "Không có phát hiện.")
    for code, items in by_clause(findings):
        _paragraph(doc, _clause_label(code), italic=True, after=2)
        add_table(doc, _finding_rows(items, with_unit=True), widths=widths, size=Pt(11))
    _paragraph(doc, "4.2. Theo đơn vị", bold=True, after=2)
    for unit, items in by_unit(findings):
        _paragraph(doc, unit.name, italic=True, after=2)
        add_table(doc, _finding_rows(items, with_unit=False), widths=widths, size=Pt(11))

    add_heading(doc, "5. Kết luận", level=2)
    _paragraph(doc, audit.conclusion or "—")
    _signatures(doc, audit)
    return document_bytes(doc)


def _signatures(doc, audit: Audit) -> None:
    doc.add_paragraph()
    table = new_table(doc, 3, 2)
    set_table_borders(table, outer="nil", inside_h="nil", inside_v="nil")
    half = Emu(int(text_width(doc) / 2))
    set_column_widths(table, [half, half])
    fill_cell(table.cell(0, 0), "ĐẠI DIỆN ĐƠN VỊ ĐƯỢC ĐÁNH GIÁ", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    fill_cell(table.cell(0, 1), "TRƯỞNG ĐOÀN ĐÁNH GIÁ", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    fill_cell(table.cell(1, 0), "(Ký, ghi rõ họ tên)\n\n\n", align=WD_ALIGN_PARAGRAPH.CENTER)
    fill_cell(table.cell(1, 1), "(Ký, ghi rõ họ tên)\n\n\n", align=WD_ALIGN_PARAGRAPH.CENTER)
    auditee = audit.auditees[0].user.full_name if audit.auditees else ""
    lead = audit.lead_auditor.user.full_name if audit.lead_auditor else ""
    fill_cell(table.cell(2, 0), auditee, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    fill_cell(table.cell(2, 1), lead, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
