"""The nonconformity register and the corrective action request form (ISO 9001:2008 clauses 4.2.4, 8.5.2).

* Sổ theo dõi sự không phù hợp và hành động khắc phục (.xlsx): one row per nonconformity, the list's filters
  written above the table, safe cells (user text never becomes a formula);
* Phiếu yêu cầu hành động khắc phục (.docx): one per nonconformity, with the agency's header block,
  the description and evidence, the correction, the cause analysis, the actions, the approval, the
  effectiveness result and the signature lines.

These are Vietnamese paper forms: their captions are written in Vietnamese whatever the user's language.
"""

from __future__ import annotations

from datetime import date

from docx.shared import Pt
from openpyxl import Workbook
from sqlalchemy import select

from nonconformities.models import ActionStatus, Nonconformity
from qms.docx import HeaderBlock, add_header_block, add_heading, add_table, add_text, document_bytes, new_document
from qms.exports import add_table_sheet, set_print_layout, workbook_bytes
from qms.extensions import db
from qms.org.models import Agency, Unit
from qms.timeutil import format_date

REGISTER_TITLE = "SỔ THEO DÕI SỰ KHÔNG PHÙ HỢP VÀ HÀNH ĐỘNG KHẮC PHỤC"
FORM_TITLE = "PHIẾU YÊU CẦU HÀNH ĐỘNG KHẮC PHỤC"
REGISTER_HEADERS = ("STT", "Mã số", "Ngày phát hiện", "Nguồn", "Đơn vị", "TTHC / bước", "Mô tả sự không phù hợp",
                    "Mức độ", "Nguyên nhân", "Hành động khắc phục / phòng ngừa", "Người thực hiện", "Thời hạn",
                    "Trạng thái", "Kiểm tra hiệu lực", "Ngày đóng")
SOURCE_VI = {"audit_finding": "Đánh giá nội bộ", "external_inspection": "Kiểm tra bên ngoài",
             "late_dossier": "Hồ sơ TTHC trễ hạn", "complaint": "Phản ánh, kiến nghị", "monitoring": "Theo dõi quá trình",
             "management_review": "Xem xét của lãnh đạo", "staff": "Cán bộ phát hiện"}
STATUS_VI = {"new": "Mới", "analysis": "Phân tích nguyên nhân", "action_plan": "Lập kế hoạch",
             "approved": "Kế hoạch đã duyệt", "in_progress": "Đang thực hiện", "effectiveness_check": "Kiểm tra hiệu lực",
             "closed": "Đã đóng", "rejected": "Không chấp nhận", "duplicate": "Trùng lặp"}
SEVERITY_VI = {"major": "Nặng", "minor": "Nhẹ"}
KIND_VI = {"correction": "Khắc phục tức thời", "corrective": "Khắc phục", "preventive": "Phòng ngừa"}
EVIDENCE_VI = {"dossier": "Hồ sơ TTHC", "file": "Tệp", "note": "Ghi chú", "finding": "Phát hiện đánh giá"}
ACTION_STATUS_VI = {"open": "Đang thực hiện", "done": "Hoàn thành", "cancelled": "Hủy"}


def _agency() -> Agency | None:
    return db.session.scalar(select(Agency).limit(1))


def _where(nc: Nonconformity) -> str:
    if nc.procedure is None:
        return ""
    step = f" – {nc.step.code} {nc.step.name}" if nc.step else ""
    return f"{nc.procedure.code} {nc.procedure.name}{step}"


def _check_text(nc: Nonconformity) -> str:
    check = nc.latest_check
    if check is None:
        return ""
    verdict = "Có hiệu lực" if check.is_effective else "Chưa có hiệu lực"
    return f"{verdict} ({format_date(check.checked_at)}, {check.checked_by.full_name}): {check.comment}"


def _filter_lines(filters) -> list[str]:
    if filters is None:
        return []
    parts = []
    if filters.source:
        parts.append(f"Nguồn: {SOURCE_VI[filters.source]}")
    if filters.unit_id:
        unit = db.session.get(Unit, filters.unit_id)
        parts.append(f"Đơn vị: {unit.name if unit else filters.unit_id}")
    if filters.status:
        parts.append(f"Trạng thái: {STATUS_VI.get(filters.status, 'Chưa đóng')}")
    if filters.date_from or filters.date_to:
        parts.append(f"Thời gian: {format_date(filters.date_from) or '…'} – {format_date(filters.date_to) or '…'}")
    return ["; ".join(parts)] if parts else []


def register_xlsx(rows: list[Nonconformity], *, filters=None, today: date | None = None) -> bytes:
    """The register as a workbook: the agency, the title, the filters used, then one row per nonconformity."""
    agency = _agency()
    heading = [agency.name.upper() if agency else "", REGISTER_TITLE, *_filter_lines(filters)]
    table = []
    for number, nc in enumerate(rows, start=1):
        actions = [a for a in nc.actions if a.status != ActionStatus.CANCELLED]
        table.append((
            number, nc.code, nc.raised_at.date(), SOURCE_VI[nc.source.value] + (f" ({nc.source_ref})" if nc.source_ref else ""),
            nc.unit.name, _where(nc), f"{nc.title}\n{nc.description}".strip(), SEVERITY_VI[nc.severity.value],
            nc.root_cause, "\n".join(f"- {KIND_VI[a.kind.value]}: {a.description}" for a in actions),
            "\n".join(a.owner.full_name for a in actions), "\n".join(format_date(a.due_on) for a in actions),
            STATUS_VI[nc.status.value], _check_text(nc), nc.closed_at.date() if nc.closed_at else None))
    wb = Workbook()
    ws = add_table_sheet(wb, "So theo doi NC", REGISTER_HEADERS, table, heading=heading,
                         widths=[5, 13, 12, 18, 20, 24, 40, 8, 30, 40, 20, 12, 16, 30, 12])
    set_print_layout(ws, header_row=len(heading) + 2)
    return workbook_bytes(wb)


def request_form_docx(nc: Nonconformity) -> bytes:
    """Phiếu yêu cầu hành động khắc phục for *nc*, ready to print and sign."""
    agency = _agency()
    agency_name = agency.name if agency else ""
    doc = new_document(title=f"{FORM_TITLE} {nc.code}", author=agency_name)
    add_header_block(doc, HeaderBlock(parent_body=getattr(agency, "parent_body", "") or "", agency_name=agency_name,
                                      kind="BIỂU MẪU", title=FORM_TITLE.capitalize(),
                                      fields=(("Số phiếu", nc.code), ("Ngày", format_date(nc.raised_at)))))
    add_heading(doc, FORM_TITLE, centre=True)
    add_table(doc, [("Mục", "Nội dung"),
                    ("Nguồn phát hiện", SOURCE_VI[nc.source.value] + (f" ({nc.source_ref})" if nc.source_ref else "")),
                    ("Đơn vị liên quan", nc.unit.name), ("TTHC / bước", _where(nc) or "—"),
                    ("Điều khoản TCVN ISO 9001:2008", nc.clause or "—"), ("Mức độ", SEVERITY_VI[nc.severity.value]),
                    ("Người phát hiện", nc.raised_by.full_name if nc.raised_by else "Hệ thống")])
    _section(doc, "1. Mô tả sự không phù hợp", f"{nc.title}\n{nc.description}".strip())
    evidence = [e.text or e.filename or (e.dossier.code if e.dossier else "") for e in nc.evidence]
    if nc.evidence:
        rows = [("STT", "Bằng chứng", "Loại")]
        rows += [(str(i), (f"{e.dossier.code} " if e.dossier else "") + text, EVIDENCE_VI[e.kind.value])
                 for i, (e, text) in enumerate(zip(nc.evidence[:50], evidence[:50]), start=1)]
        add_table(doc, rows)
        if len(nc.evidence) > 50:
            _paragraph(doc, f"… và {len(nc.evidence) - 50} bằng chứng khác.")
    _section(doc, "2. Khắc phục tức thời", nc.correction or "—")
    _section(doc, "3. Phân tích nguyên nhân", "")
    for why in nc.whys:
        _paragraph(doc, f"Tại sao {why.position}: {why.question} → {why.answer}")
    for cause in nc.causes:
        _paragraph(doc, f"- [{cause.category.label}] {cause.text}{' (nguyên nhân gốc)' if cause.is_root else ''}")
    _paragraph(doc, f"Nguyên nhân gốc: {nc.root_cause or '—'}", bold=True)
    _section(doc, "4. Hành động khắc phục / phòng ngừa", "")
    rows = [("STT", "Loại", "Nội dung", "Kết quả cần đạt", "Người thực hiện", "Thời hạn", "Tình trạng")]
    rows += [(str(i), KIND_VI[a.kind.value], a.description, a.done_criteria, a.owner.full_name, format_date(a.due_on),
              ACTION_STATUS_VI[a.status.value]) for i, a in enumerate(nc.actions, start=1)]
    add_table(doc, rows)
    approver = next((t.actor_name for t in reversed(nc.transitions) if t.action == "approve_plan"), "")
    _section(doc, "5. Phê duyệt kế hoạch", f"{approver}, ngày {format_date(nc.plan_approved_at)}"
             if nc.plan_approved_at else "Chưa phê duyệt")
    _section(doc, "6. Kiểm tra hiệu lực", _check_text(nc) or "Chưa kiểm tra")
    if nc.closed_at:
        _paragraph(doc, f"Đóng ngày {format_date(nc.closed_at)}.", bold=True)
    add_table(doc, [("NGƯỜI PHÁT HIỆN", "TRƯỞNG ĐƠN VỊ", "NGƯỜI KIỂM TRA HIỆU LỰC"),
                    ("(Ký, ghi rõ họ tên)\n\n\n\n" + (nc.raised_by.full_name if nc.raised_by else ""),
                     "(Ký, ghi rõ họ tên)\n\n\n\n" + approver,
                     "(Ký, ghi rõ họ tên)\n\n\n\n" + (nc.latest_check.checked_by.full_name if nc.latest_check else ""))])
    return document_bytes(doc)


def _section(doc, title: str, body: str) -> None:
    _paragraph(doc, title, bold=True)
    if body:
        for line in body.splitlines():
            _paragraph(doc, line)


def _paragraph(doc, text: str, *, bold: bool = False) -> None:
    add_text(doc.add_paragraph(), text, bold=bold, size=Pt(13))
