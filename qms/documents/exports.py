"""Controlled documents as the agency's paper forms (ISO 9001:2008 clause 4.2.3).

- ``revision_docx``: one revision as a Word procedure: the header block on every page, the
  responsibility block (Soạn thảo / Xem xét / Phê duyệt), the revision tracking table, the sections
  and the list of attached files; obsolete revisions carry the obsolete mark on every page (4.2.3 g).
- ``master_list_xlsx``: the master list of internal documents (danh mục tài liệu nội bộ, 4.2.3 c-d).
- ``acknowledgement_register_xlsx``: who received a revision and who confirmed reading it.

The captions are the agency's own Vietnamese forms, so they are fixed text, not translated.
Everything is built from objects the caller has loaded; nothing here queries or commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from qms.docx import (COPY_MARK_TEXT, MARK_COLOUR, CopyMark, HeaderBlock, add_copy_mark, add_header_block,
                      add_heading, add_table, add_text, document_bytes, html_to_docx, new_document)
from qms.documents import hooks
from qms.documents.models import ChangeKind, DocumentKind, DocumentStatus, Revision, RevisionState, SectionKey
from qms.exports import add_table_sheet, set_print_layout, workbook_bytes
from qms.signatures.models import SignatureMeaning
from qms.timeutil import format_date, format_datetime, local_today, to_local

KIND_CAPTIONS = {
    DocumentKind.POLICY: "CHÍNH SÁCH CHẤT LƯỢNG",
    DocumentKind.OBJECTIVES: "MỤC TIÊU CHẤT LƯỢNG",
    DocumentKind.MANUAL: "SỔ TAY CHẤT LƯỢNG",
    DocumentKind.PROCEDURE: "QUY TRÌNH",
    DocumentKind.INSTRUCTION: "HƯỚNG DẪN CÔNG VIỆC",
    DocumentKind.FORM: "BIỂU MẪU",
    DocumentKind.OTHER: "TÀI LIỆU",
}

SECTION_HEADINGS = {
    SectionKey.PURPOSE: "1. MỤC ĐÍCH",
    SectionKey.SCOPE: "2. PHẠM VI",
    SectionKey.REFERENCES: "3. TÀI LIỆU VIỆN DẪN",
    SectionKey.DEFINITIONS: "4. ĐỊNH NGHĨA VÀ VIẾT TẮT",
    SectionKey.CONTENT: "5. NỘI DUNG",
    SectionKey.FORMS: "6. BIỂU MẪU",
    SectionKey.RECORDS: "7. HỒ SƠ CẦN LƯU",
}

STATUS_CAPTIONS = {
    DocumentStatus.DRAFT: "Chưa có hiệu lực",
    DocumentStatus.EFFECTIVE: "Đang hiệu lực",
    DocumentStatus.WITHDRAWN: "Hết hiệu lực (thu hồi)",
}

#: Revisions that were once in force and so belong in the tracking table of a later one.
_TRACKED_STATES = frozenset({RevisionState.EFFECTIVE, RevisionState.SUPERSEDED, RevisionState.WITHDRAWN})
_UNAPPROVED_STATES = frozenset({RevisionState.DRAFT, RevisionState.SUBMITTED, RevisionState.REVIEWED,
                                RevisionState.CANCELLED})
_ROLES = (SignatureMeaning.DRAFTED, SignatureMeaning.REVIEWED, SignatureMeaning.APPROVED)

TRACKING_HEADERS = ("STT", "Ngày sửa đổi", "Vị trí (trang/mục)", "Nội dung sửa đổi", "Căn cứ / lý do",
                    "Lần ban hành / sửa đổi", "Người đề nghị")
MASTER_LIST_HEADERS = ("STT", "Mã hiệu", "Tên tài liệu", "Loại", "Đơn vị chủ trì", "Lần ban hành",
                       "Lần sửa đổi", "Ngày ban hành", "Ngày hiệu lực", "Trạng thái",
                       "Xem xét định kỳ tiếp theo")
REGISTER_HEADERS = ("STT", "Họ tên", "Đơn vị", "Ngày giao", "Hạn xác nhận", "Ngày xác nhận", "Tình trạng")


def copy_mark_for(revision: Revision, requested: CopyMark | str | None) -> CopyMark:
    """The mark a print of *revision* must carry: obsolete and unapproved revisions are never "controlled"."""
    if revision.state in (RevisionState.SUPERSEDED, RevisionState.WITHDRAWN):
        return CopyMark.OBSOLETE
    mark = CopyMark(requested) if requested else CopyMark.NONE
    if mark == CopyMark.CONTROLLED and revision.state in _UNAPPROVED_STATES:
        return CopyMark.DRAFT
    return mark


def _agency_lines(agency) -> tuple[str, str]:
    return (getattr(agency, "parent_body", "") or "", getattr(agency, "name", "") or "")


def _two(number: int) -> str:
    return f"{number:02d}"


# The Word procedure ----------------------------------------------------------------------------------


def revision_docx(revision: Revision, *, agency, signatures: Iterable, history: Sequence[Revision],
                  copy_mark: CopyMark | str | None = CopyMark.CONTROLLED) -> bytes:
    """The revision as the agency's Word procedure; *history* is the document's revisions in order."""
    document = revision.document
    mark = copy_mark_for(revision, copy_mark)
    parent_body, agency_name = _agency_lines(agency)
    doc = new_document(title=f"{document.code} – {revision.title}", author=agency_name)
    add_header_block(doc, HeaderBlock(
        parent_body=parent_body, agency_name=agency_name,
        kind=KIND_CAPTIONS.get(document.type.kind, "TÀI LIỆU") if document.type else "TÀI LIỆU",
        title=revision.title,
        fields=(("Mã hiệu", document.code), ("Lần ban hành", _two(revision.issue_no)),
                ("Lần sửa đổi", _two(revision.revision_no)),
                ("Ngày ban hành", format_date(revision.issued_on) or "…")),
        mark=mark.text if mark.on_every_page else "",
    ))
    add_copy_mark(doc, mark)
    _responsibility_block(doc, revision, signatures)
    _tracking_table(doc, revision, history)
    doc.add_page_break()
    for section in revision.sections:
        add_heading(doc, SECTION_HEADINGS.get(section.key, section.title))
        html_to_docx(doc, section.body_html or "")
        hooks.write_docx(doc, revision, section.key)  # e.g. the process map after "Nội dung quy trình"
    if revision.files:
        add_heading(doc, "TÀI LIỆU ĐÍNH KÈM")
        for number, attached in enumerate(revision.files, start=1):
            paragraph = doc.add_paragraph()
            add_text(paragraph, f"{number}. {attached.filename}")
    return document_bytes(doc)


def _signers(revision: Revision, signatures: Iterable) -> dict:
    """The latest standing signature for each role, falling back on the users the revision names."""
    chosen = {}
    for signature in signatures:
        if signature.superseded_by_id is not None or signature.meaning not in _ROLES:
            continue
        if revision.id is not None and signature.subject_id not in (None, revision.id):
            continue
        current = chosen.get(signature.meaning)
        if current is None or (signature.signed_at, signature.id or 0) > (current.signed_at, current.id or 0):
            chosen[signature.meaning] = signature
    people = {SignatureMeaning.DRAFTED: revision.drafted_by, SignatureMeaning.REVIEWED: revision.reviewed_by,
              SignatureMeaning.APPROVED: revision.approved_by}
    rows = {}
    for meaning in _ROLES:
        signature, user = chosen.get(meaning), people[meaning]
        name = signature.signer_name if signature else (user.full_name if user else "")
        position = signature.signer_position if signature else (user.position.name if user and user.position else "")
        capacity = signature.capacity if signature else ""
        if meaning == SignatureMeaning.APPROVED and not capacity:
            capacity = revision.approver_capacity or ""
        if capacity:  # "KT. Giám đốc" signs above the deputy's own title, both in capitals
            position = f"{capacity.upper()}\n{position.upper()}" if position else capacity.upper()
        signed = f"Đã ký điện tử\n{format_datetime(signature.signed_at)}" if signature else "Chưa ký"
        rows[meaning] = (name, signed, position)
    return rows


def _responsibility_block(doc, revision: Revision, signatures: Iterable) -> None:
    people = _signers(revision, signatures)
    columns = [people[meaning] for meaning in _ROLES]
    rows = [("Trách nhiệm", "Soạn thảo", "Xem xét", "Phê duyệt"),
            ("Họ tên", *(column[0] for column in columns)),
            ("Chữ ký", *(column[1] for column in columns)),
            ("Chức vụ", *(column[2] for column in columns))]
    table = add_table(doc, rows, widths=[Cm(3.1), Cm(4.3), Cm(4.3), Cm(4.3)], centre_columns=(1, 2, 3),
                      bold_first_column=True)
    for cell in table.rows[1].cells[1:]:  # names in bold, as under a handwritten signature
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for cell in table.rows[2].cells[1:]:
        for run in cell.paragraphs[0].runs:
            run.italic = True
            run.font.size = Pt(11)
    table.rows[2].height = Cm(1.6)  # room for a handwritten signature on a printed copy
    table.rows[3].height = Cm(1.4)


def tracking_rows(revision: Revision, history: Sequence[Revision]) -> list[tuple]:
    """Rows of "Theo dõi tình trạng sửa đổi": every earlier revision once in force, then this one."""
    ordered = list(history)
    if revision not in ordered:
        ordered.append(revision)
    earlier = [r for r in ordered[:ordered.index(revision)] if r.state in _TRACKED_STATES]
    rows = []
    for number, item in enumerate([*earlier, revision], start=1):
        when = item.issued_on or (to_local(item.effective_at).date() if item.effective_at else None)
        summary = item.change_summary or ("Ban hành lần đầu" if item.change_kind == ChangeKind.FIRST_ISSUE
                                          else "Ban hành lại" if item.change_kind == ChangeKind.REISSUE else "")
        rows.append((str(number), format_date(when), item.change_location, summary, item.change_basis,
                     f"{_two(item.issue_no)} / {_two(item.revision_no)}", item.requested_by))
    return rows


def _tracking_table(doc, revision: Revision, history: Sequence[Revision]) -> None:
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_before = Pt(18)
    heading.paragraph_format.space_after = Pt(6)
    add_text(heading, "THEO DÕI TÌNH TRẠNG SỬA ĐỔI", bold=True)
    widths = [Cm(1.2), Cm(2.3), Cm(2.5), Cm(3.3), Cm(2.8), Cm(1.9), Cm(2.0)]
    add_table(doc, [TRACKING_HEADERS, *tracking_rows(revision, history)], widths=widths, size=Pt(11),
              centre_columns=(0, 1, 5))


# The spreadsheets --------------------------------------------------------------------------------------


MARK_COLOUR_HEX = f"FF{MARK_COLOUR}"


def _title_block(ws, lines: Sequence[str], columns: int, *, red_rows: Sequence[int] = ()) -> None:
    """Centre the title lines across the table; the agency lines stay left as on the paper form."""
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        cell = ws.cell(row=number, column=1)
        if number > 2:
            ws.merge_cells(start_row=number, start_column=1, end_row=number, end_column=columns)
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        cell.font = Font(bold=number != 1, size=13 if number <= 3 else 12,
                         color=MARK_COLOUR_HEX if number in red_rows else None)


def _centre_columns(ws, header_row: int, columns: Sequence[int]) -> None:
    for row in ws.iter_rows(min_row=header_row + 1):
        for cell in row:
            if cell.column in columns:
                cell.alignment = Alignment(horizontal="center")


def master_list_xlsx(documents_with_effective_revisions: Iterable, *, agency, today: date | None = None) -> bytes:
    """Danh mục tài liệu nội bộ: one row per document; items are documents or (document, revision) pairs."""
    today = today or local_today()
    rows = []
    for number, item in enumerate(documents_with_effective_revisions, start=1):
        document, revision = item if isinstance(item, tuple) else (item, item.effective_revision)
        owner = document.owner_unit.name if document.owner_unit else ""
        kind = document.type.name if document.type else ""
        rows.append([
            number, document.code, revision.title if revision else document.title, kind, owner,
            _two(revision.issue_no) if revision else "", _two(revision.revision_no) if revision else "",
            revision.issued_on if revision else None,
            to_local(revision.effective_at).date() if revision and revision.effective_at else None,
            STATUS_CAPTIONS.get(document.status, str(document.status)), document.next_review_on,
        ])
    parent_body, agency_name = _agency_lines(agency)
    lines = [parent_body.upper(), agency_name.upper(), "DANH MỤC TÀI LIỆU NỘI BỘ",
             f"(Cập nhật đến ngày {format_date(today)})"]
    wb = Workbook()
    ws = add_table_sheet(wb, "Danh mục tài liệu", MASTER_LIST_HEADERS, rows, heading=lines,
                         widths=[5, 12, 40, 13, 24, 8, 8, 11, 11, 14, 12])
    _title_block(ws, lines, len(MASTER_LIST_HEADERS))
    _centre_columns(ws, len(lines) + 2, (1, 6, 7, 8, 9, 11))
    set_print_layout(ws, header_row=len(lines) + 2)
    return workbook_bytes(wb)


def acknowledgement_status(acknowledgement, today: date) -> str:
    """đã xác nhận / quá hạn (not confirmed after its due date) / chưa xác nhận."""
    if acknowledgement.confirmed_at is not None:
        return "đã xác nhận"
    if acknowledgement.due_on is not None and today > acknowledgement.due_on:
        return "quá hạn"
    return "chưa xác nhận"


def acknowledgement_register_xlsx(revision: Revision, acknowledgements: Iterable, today: date, *,
                                  agency=None) -> bytes:
    """Sổ theo dõi phân phối và xác nhận of one revision, with each person's status on *today*."""
    rows, confirmed = [], 0
    acknowledgements = list(acknowledgements)
    for number, ack in enumerate(acknowledgements, start=1):
        status = acknowledgement_status(ack, today)
        confirmed += status == "đã xác nhận"
        user = ack.user
        rows.append([number, user.full_name if user else "", user.unit.name if user and user.unit else "",
                     to_local(ack.assigned_at).date() if ack.assigned_at else None, ack.due_on,
                     ack.confirmed_at, status])
    document = revision.document
    mark = copy_mark_for(revision, CopyMark.NONE)
    title = "SỔ THEO DÕI PHÂN PHỐI VÀ XÁC NHẬN TÀI LIỆU"
    if mark == CopyMark.OBSOLETE:
        title = f"{title} – {COPY_MARK_TEXT[CopyMark.OBSOLETE]}"
    parent_body, agency_name = _agency_lines(agency)
    lines = [parent_body.upper(), agency_name.upper(), title,
             f"{document.code} – {revision.title}",
             f"Lần ban hành {_two(revision.issue_no)}, lần sửa đổi {_two(revision.revision_no)}; "
             f"ngày ban hành {format_date(revision.issued_on) or '…'}; "
             f"ngày hiệu lực {format_date(revision.effective_at) or '…'}",
             f"Đã xác nhận {confirmed}/{len(acknowledgements)} – tình trạng tính đến ngày {format_date(today)}"]
    wb = Workbook()
    ws = add_table_sheet(wb, "Phân phối - xác nhận", REGISTER_HEADERS, rows, heading=lines,
                         widths=[6, 28, 30, 13, 13, 18, 16])
    _title_block(ws, lines, len(REGISTER_HEADERS), red_rows=(3,) if mark == CopyMark.OBSOLETE else ())
    header_row = len(lines) + 2
    _centre_columns(ws, header_row, (1, 4, 5, 6, 7))
    for row in range(header_row + 1, header_row + 1 + len(rows)):
        ws.cell(row=row, column=6).number_format = "dd/mm/yyyy hh:mm"
        status = ws.cell(row=row, column=7)
        if status.value == "quá hạn":
            status.font = Font(bold=True, color=MARK_COLOUR_HEX)
    set_print_layout(ws, header_row=header_row, landscape=False)
    return workbook_bytes(wb)
