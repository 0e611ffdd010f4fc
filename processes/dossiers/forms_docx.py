"""The one-stop forms of a dossier as Word files (TT 01/2018/TT-VPCP Art. 9-10; DOMAIN.md 1.6 and 3).

- ``receipt_docx``: Mẫu 01 Giấy tiếp nhận hồ sơ và hẹn trả kết quả (A5);
- ``supplement_docx``: Mẫu 02 Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (A5);
- ``apology_docx``: Mẫu 04 Phiếu xin lỗi và hẹn lại ngày trả kết quả (A5);
- ``control_sheet_docx``: Mẫu 05 Phiếu kiểm soát quá trình giải quyết hồ sơ (A4, one row per step).

Each has the agency (or its one-stop shop) on the left, the national motto on the right, the place
and date, the fields of the paper form filled from the dossier and the signature blocks. The
captions are the agency's fixed Vietnamese forms, not translated. Everything is built from loaded
objects: nothing here queries or commits (the register number of Mẫu 01 is passed in).
"""

from __future__ import annotations

import re

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from processes.dossiers.form_layout import (A4, A5, BLANK, cant_split, clock_text, field_line, footnote,
                                            form_document, form_title, national_header, or_blank, place_and_date,
                                            signatures)
from processes.dossiers.models import Apology, Channel, Dossier, StepRun, SupplementPolicy, SupplementRequest
from processes.durations import format_duration
from processes.exports import responsibility
from processes.models import BranchKind
from qms.docx import add_text, document_bytes, fill_cell, new_table, repeat_as_header, set_column_widths, text_width
from qms.timeutil import to_local

ONE_STOP = "Bộ phận Tiếp nhận và Trả kết quả"
APPLICANT = "Tổ chức, cá nhân"
RESULT_WORDS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}
CONTROL_HEADERS = ("TÊN CƠ QUAN", "THỜI GIAN GIAO, NHẬN HỒ SƠ",
                   "KẾT QUẢ GIẢI QUYẾT HỒ SƠ (Trước hạn/đúng hạn/quá hạn)", "GHI CHÚ")
RETURN_PLACES = {Channel.IN_PERSON: "Bộ phận Tiếp nhận và Trả kết quả",
                 Channel.POST: "Địa chỉ của tổ chức, cá nhân (qua dịch vụ bưu chính công ích)",
                 Channel.ONLINE: "Trực tuyến, trên Cổng dịch vụ công"}


def one_stop_name(dossier: Dossier) -> str:
    """The unit of the receiving step (B1): the one-stop shop."""
    return dossier.steps[0].to_label if dossier.steps and dossier.steps[0].to_label else ONE_STOP


def procedure_name(dossier: Dossier) -> str:
    return dossier.procedure.name if dossier.procedure is not None else dossier.activity_set or BLANK


def limit_text(dossier: Dossier) -> str:
    """ "20 ngày làm việc": the limit of the process version the dossier was received under."""
    if dossier.limit_minutes is None or dossier.version is None:
        return BLANK
    return format_duration(dossier.limit_minutes, dossier.version.limit_unit, long=True)


def _agency_lines(agency) -> tuple[str, str]:
    return (getattr(agency, "parent_body", "") or "", getattr(agency, "name", "") or "")


# Mẫu 01 ---------------------------------------------------------------------------------------------------


def receipt_docx(dossier: Dossier, *, agency, book: tuple[int, int] | None = None) -> bytes:
    """Mẫu 01 for *dossier*; *book* is (year, number) in the yearly Sổ theo dõi hồ sơ (Mẫu 06)."""
    doc = form_document(A5, f"Giấy tiếp nhận hồ sơ {dossier.code}", agency)
    national_header(doc, A5, getattr(agency, "name", ""), one_stop_name(dossier),
                    place_and_date(agency, dossier.received_at))
    form_title(doc, A5, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", f"Mã hồ sơ: {dossier.code}",
               "(Liên 1: Lưu / Liên 2: Giao người nộp hồ sơ)")
    field_line(doc, "Bộ phận tiếp nhận và trả kết quả: ", getattr(agency, "name", "") or BLANK)
    field_line(doc, "Tiếp nhận hồ sơ của: ", dossier.applicant_name, bold_value=True)
    field_line(doc, "Địa chỉ: ", or_blank(dossier.applicant_address))
    field_line(doc, "Số điện thoại: ", f"{or_blank(dossier.applicant_phone)}        Email: {BLANK}")
    field_line(doc, "Nội dung yêu cầu giải quyết: ", procedure_name(dossier))
    field_line(doc, "1. Thành phần hồ sơ nộp gồm:")
    table = new_table(doc, 5, 4)
    width = text_width(doc)
    set_column_widths(table, [Cm(1.0), width - Cm(5.4), Cm(2.2), Cm(2.2)])
    table.cell(0, 0).merge(table.cell(1, 0))
    table.cell(0, 1).merge(table.cell(1, 1))
    table.cell(0, 2).merge(table.cell(0, 3))
    for (row, column), text in {(0, 0): "TT", (0, 1): "Tên giấy tờ", (0, 2): "Hình thức/Số lượng",
                                (1, 2): "Bản chính", (1, 3): "Bản sao"}.items():
        fill_cell(table.cell(row, column), text, bold=True, size=Pt(10), align=WD_ALIGN_PARAGRAPH.CENTER)
        table.cell(row, column).vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    for row in range(2, 5):  # the papers are checked and written in at the counter
        fill_cell(table.cell(row, 0), str(row - 1), size=Pt(10), align=WD_ALIGN_PARAGRAPH.CENTER)
    field_line(doc, "2. Số lượng hồ sơ: ", "01 (bộ)").paragraph_format.space_before = Pt(4)
    field_line(doc, "3. Thời gian giải quyết hồ sơ theo quy định là: ", limit_text(dossier))
    field_line(doc, "4. Thời gian nhận hồ sơ: ", clock_text(dossier.received_at))
    field_line(doc, "5. Thời gian trả kết quả giải quyết hồ sơ: ", clock_text(dossier.original_due_at), bold_value=True)
    field_line(doc, "6. Đăng ký nhận kết quả tại: ", RETURN_PLACES[dossier.channel])
    fees = dossier.procedure.fees.strip() if dossier.procedure is not None else ""
    field_line(doc, "Phí, lệ phí (nếu có): ", fees or "Không")
    year, number = book if book else (to_local(dossier.received_at).year, None)
    field_line(doc, "Vào Sổ theo dõi hồ sơ, Quyển số: ",
               f"{year}        Số thứ tự: {f'{number:02d}' if number else BLANK}")
    receiver = dossier.steps[0].handler if dossier.steps else ""
    signatures(doc, [("NGƯỜI NỘP HỒ SƠ", "(Ký và ghi rõ họ tên)", ""),
                     ("NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", receiver)], gap=2)
    hotline = getattr(agency, "phone", "") or BLANK
    footnote(doc, "Lưu ý: Khi đến nhận kết quả, Ông/Bà mang theo Giấy tiếp nhận này và giấy tờ tùy thân; nhận "
             f"thay phải có giấy ủy quyền. Mọi phản ánh, kiến nghị xin liên hệ số điện thoại {hotline}.")
    return document_bytes(doc)


# Mẫu 02 ---------------------------------------------------------------------------------------------------


def interrupted_run(dossier: Dossier, request: SupplementRequest) -> StepRun | None:
    """The step a supplement request interrupted (under the restart rule it starts again on completion)."""
    return next((run for run in dossier.steps if (run.finished_at is None or run.finished_at > request.requested_at)
                 and (request.completed_at is None or run.started_at <= request.completed_at)), None)


def _items(text: str) -> list[str]:
    """The reason written as lines; a leading "1." or "-" the officer typed is not doubled."""
    lines = [re.sub(r"^\s*(?:\d+[.)]|[-–•])\s*", "", line).strip() for line in text.splitlines()]
    return [line for line in lines if line]


def supplement_docx(dossier: Dossier, request: SupplementRequest, *, agency) -> bytes:
    """Mẫu 02: what the applicant must complete, and whom to call."""
    doc = form_document(A5, f"Phiếu yêu cầu bổ sung hồ sơ {dossier.code}", agency)
    one_stop = one_stop_name(dossier)
    national_header(doc, A5, getattr(agency, "name", ""), one_stop, place_and_date(agency, request.requested_at))
    form_title(doc, A5, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", f"Mã hồ sơ: {dossier.code}")
    field_line(doc, f"{one_stop}: Tiếp nhận hồ sơ của Ông/Bà: ", dossier.applicant_name, bold_value=True)
    field_line(doc, "Nội dung yêu cầu giải quyết: ", procedure_name(dossier))
    field_line(doc, "Địa chỉ: ", or_blank(dossier.applicant_address))
    field_line(doc, "Số điện thoại: ", f"{or_blank(dossier.applicant_phone)}        Email: {BLANK}")
    field_line(doc, "Yêu cầu Ông/Bà hoàn thiện hồ sơ gồm những nội dung như sau:")
    for number, item in enumerate(_items(request.reason), start=1):
        field_line(doc, f"{number}. {item}").paragraph_format.left_indent = Cm(0.5)
    field_line(doc, "Lý do: ", "Hồ sơ chưa đầy đủ, hợp lệ theo quy định.")
    if request.policy == SupplementPolicy.RESTART:
        rule = "Thời hạn giải quyết được tính lại từ đầu kể từ ngày nhận đủ hồ sơ hợp lệ."
    else:
        rule = "Thời gian hoàn thiện hồ sơ không tính vào thời hạn giải quyết; ngày hẹn trả được lùi tương ứng."
    field_line(doc, rule, indent=True)
    run = interrupted_run(dossier, request)
    officer = run.handler if run is not None else ""
    field_line(doc, "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ với "
               f"{officer or BLANK}, số điện thoại {getattr(agency, 'phone', '') or BLANK} để được hướng dẫn.",
               indent=True)
    signatures(doc, [("", "", ""), ("NGƯỜI HƯỚNG DẪN", "(Ký và ghi rõ họ tên)", officer)], gap=2)
    return document_bytes(doc)


# Mẫu 04 ---------------------------------------------------------------------------------------------------


def apology_docx(dossier: Dossier, apology: Apology, *, agency) -> bytes:
    """Mẫu 04: the apology of the agency, its reason and the one new date."""
    doc = form_document(A5, f"Phiếu xin lỗi {dossier.code}", agency)
    upper, name = _agency_lines(agency)
    national_header(doc, A5, upper, name or BLANK, place_and_date(agency, apology.issued_at))
    form_title(doc, A5, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ")
    field_line(doc, "Kính gửi: ", dossier.applicant_name, bold_value=True).alignment = WD_ALIGN_PARAGRAPH.CENTER
    field_line(doc, "Địa chỉ: ", or_blank(dossier.applicant_address))
    field_line(doc, "Số điện thoại: ", or_blank(dossier.applicant_phone))
    received = to_local(dossier.received_at)
    agency_name = name or "Cơ quan"
    field_line(doc, f"Ngày {received:%d/%m/%Y}, {agency_name} tiếp nhận giải quyết hồ sơ đề nghị "
               f"{procedure_name(dossier)} của Ông/Bà.", indent=True)
    field_line(doc, "Mã/Số biên nhận hồ sơ: ", dossier.code, bold_value=True, indent=True)
    field_line(doc, "Ngày hẹn trả kết quả: ", clock_text(dossier.due_at or dossier.original_due_at), indent=True)
    field_line(doc, f"Tuy nhiên đến nay, {agency_name} chưa trả kết quả giải quyết hồ sơ của Ông/Bà đúng thời hạn "
               "ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.", indent=True)
    field_line(doc, "Lý do: ", apology.reason, indent=True)
    field_line(doc, f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {agency_name} xin lỗi Ông/Bà và hẹn lại thời gian "
               "trả kết quả.", indent=True)
    field_line(doc, "Thời gian hẹn trả kết quả lại: ", clock_text(apology.new_due_at), bold_value=True, indent=True)
    field_line(doc, "Xin trân trọng cảm ơn sự thông cảm và hợp tác của Ông/Bà./.", indent=True)
    signatures(doc, [("Nơi nhận:", "- Như trên;\n- Lưu: VT, BPMC.", ""),
                     ("GIÁM ĐỐC", "(Ký, ghi rõ họ tên và đóng dấu)", apology.signed_by)], gap=2)
    return document_bytes(doc)


# Mẫu 05 ---------------------------------------------------------------------------------------------------


def _holder(dossier: Dossier, run: StepRun) -> str:
    """Who held the dossier in this step: "Phòng BC-VT – Trưởng phòng" from the plan, else the recorded unit."""
    steps = dossier.version.steps if dossier.version is not None else []
    step = next((s for s in steps if s.id == run.step_id), None)
    return (responsibility(step) if step is not None else "") or run.to_label


def _giver_and_receiver(dossier: Dossier, index: int) -> tuple[str, str]:
    run = dossier.steps[index]
    if index + 1 < len(dossier.steps):
        receiver = _holder(dossier, dossier.steps[index + 1])
    else:
        receiver = APPLICANT if run.finished_at is not None and run.finished_at == dossier.returned_at else ""
    return _holder(dossier, run), receiver


def _supplement_notes(dossier: Dossier) -> dict[int, list[str]]:
    """Each supplement request noted on the step it interrupted (restarted, under the restart rule)."""
    notes: dict[int, list[str]] = {}
    for request in dossier.supplements:
        run = interrupted_run(dossier, request)
        if run is not None:
            done = f"; nhận đủ {to_local(request.completed_at):%d/%m/%Y}" if request.completed_at else ""
            notes.setdefault(run.position, []).append(
                f"Yêu cầu bổ sung (Mẫu 02) {to_local(request.requested_at):%d/%m/%Y}{done}")
    return notes


def _partners(dossier: Dossier) -> str:
    if dossier.version is None:
        return BLANK
    parties = [b.party for b in dossier.version.branches if b.kind == BranchKind.CONSULTATION and b.party]
    return ", ".join(dict.fromkeys(parties)) or BLANK


def _due_line(dossier: Dossier) -> str:
    text = clock_text(dossier.original_due_at)
    if dossier.due_at is not None and dossier.due_at != dossier.original_due_at:
        text += f"; sau bổ sung: {clock_text(dossier.due_at)}"
    if dossier.extended_due_at is not None:
        text += f"; hẹn lại (Mẫu 04): {clock_text(dossier.extended_due_at)}"
    return text


def control_sheet_docx(dossier: Dossier, *, agency) -> bytes:
    """Mẫu 05: the hand-overs of the dossier, one row per step, with their time and result."""
    doc = form_document(A4, f"Phiếu kiểm soát quá trình giải quyết hồ sơ {dossier.code}", agency)
    upper, name = _agency_lines(agency)
    national_header(doc, A4, upper, name or BLANK, place_and_date(agency, dossier.received_at))
    form_title(doc, A4, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", f"Mã hồ sơ: {dossier.code}")
    field_line(doc, "(Kèm theo hồ sơ của: ", f"{dossier.applicant_name})", bold_value=True)
    field_line(doc, "Địa chỉ: ", f"{or_blank(dossier.applicant_address)};  Số điện thoại: "
               f"{or_blank(dossier.applicant_phone)}")
    code = dossier.procedure.code if dossier.procedure is not None else ""
    field_line(doc, "Thủ tục hành chính: ", f"{code} {procedure_name(dossier)}".strip())
    field_line(doc, "Ngày nhận: ", clock_text(dossier.received_at))
    field_line(doc, "Ngày, giờ hẹn trả kết quả: ", _due_line(dossier))
    owner = dossier.procedure.owner_unit if dossier.procedure is not None else None
    field_line(doc, "Cơ quan (bộ phận) giải quyết hồ sơ: ", owner.name if owner is not None else BLANK)
    field_line(doc, "Cơ quan phối hợp giải quyết hồ sơ: ", _partners(dossier))
    runs, supplements = dossier.steps, _supplement_notes(dossier)
    table = new_table(doc, 1 + 2 * len(runs), 5)
    table.cell(0, 1).merge(table.cell(0, 2))
    for column, caption in zip((0, 1, 3, 4), CONTROL_HEADERS):
        fill_cell(table.cell(0, column), caption, bold=True, size=Pt(11), align=WD_ALIGN_PARAGRAPH.CENTER)
        table.cell(0, column).vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    for index, run in enumerate(runs):
        top = 1 + 2 * index
        for column in (0, 3, 4):
            table.cell(top, column).merge(table.cell(top + 1, column))
        table.cell(top, 1).merge(table.cell(top, 2))
        giver, receiver = _giver_and_receiver(dossier, index)
        fill_cell(table.cell(top, 0), f"1. Giao: {giver or BLANK}\n2. Nhận: {receiver or BLANK}", size=Pt(11))
        fill_cell(table.cell(top, 1), clock_text(run.finished_at), size=Pt(10.5), align=WD_ALIGN_PARAGRAPH.CENTER)
        for column, caption in ((1, "Người giao"), (2, "Người nhận")):
            cell = table.cell(top + 1, column)
            fill_cell(cell, caption, size=Pt(10), align=WD_ALIGN_PARAGRAPH.CENTER)
            hint = cell.add_paragraph()
            hint.alignment = WD_ALIGN_PARAGRAPH.CENTER
            add_text(hint, "(Ký)", italic=True, size=Pt(10))
        result = RESULT_WORDS.get(run.result.value if run.result else "", "")
        fill_cell(table.cell(top, 3), result, size=Pt(11), align=WD_ALIGN_PARAGRAPH.CENTER)
        fill_cell(table.cell(top, 4), "\n".join(([run.note] if run.note else []) + supplements.get(run.position, [])),
                  size=Pt(10))
        for column in (0, 3, 4):
            table.cell(top, column).vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        table.rows[top + 1].height = Cm(1.3)
        for paragraph in (p for cell in table.rows[top].cells for p in cell.paragraphs):
            paragraph.paragraph_format.keep_with_next = True  # a hand-over and its signatures stay on one page
    for row in table.rows:
        cant_split(row)
    repeat_as_header(table.rows[0])
    set_column_widths(table, [Cm(4.6), Cm(2.9), Cm(2.9), Cm(3.0), Cm(3.6)])
    return document_bytes(doc)
