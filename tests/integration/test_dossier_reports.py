"""The one-stop forms and reports (issue 5 "Output"): Mẫu 01, 02, 04, 05 as Word, Mẫu 06 and the monthly
report as spreadsheets, the monthly numbers checked by hand on DOMAIN.md 9.4 and a few more dossiers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import event

from processes.dossiers import forms_docx, reports
from processes.dossiers import services as dossiers
from processes.dossiers.models import Outcome, Timeliness
from processes.dossiers.report_exports import monthly_report_xlsx, register_xlsx
from qms.extensions import db
from qms.org.models import Agency
from qms.timeutil import agency_zone
from tests.process_samples import approve, draft_first_version, setup_people, steps_20_days

NOW = datetime(2024, 7, 1, 9, 0, tzinfo=agency_zone())


def local(*parts):
    return datetime(*parts, tzinfo=agency_zone())


def build_sample(people) -> dict:
    """Two TTHC in two fields and six dossiers from April to June 2024 (DOMAIN.md 9.4 plus three).

    postal (Bưu chính, 20 wd): D4 received 10/04 and withdrawn 15/04; D1 received 25/04, every step
    early (9.5), result ready 24/05; D6 received 02/05, result ready on its due day; D3 received 06/05,
    apology 31/05 with a new date 07/06, returned late 06/06; D5 received 20/05, refused 28/05.
    bulletin (Xuất bản, 15 wd): D2 received 03/05, supplement 07/05 → 10/05, still in progress.
    """
    officer = people["officer"]
    postal, version = draft_first_version(people)
    approve(people, version, at=local(2024, 4, 1, 9, 0))
    rows = steps_20_days()
    rows[2]["amount"] = "9"
    bulletin, version = draft_first_version(people, steps=rows, code="1.003800", name="Cấp giấy phép xuất bản bản tin",
                                            field="Xuất bản", legal_limit="15")
    approve(people, version, at=local(2024, 4, 1, 9, 0))
    db.session.add(Agency(name="Sở Thông tin và Truyền thông tỉnh Gia Lai", parent_body="Ủy ban nhân dân tỉnh Gia Lai",
                          short_name="Sở TT&TT", phone="0269 3823 377"))

    def receive(code, at, procedure=postal, **values):
        data = {"code": code, "procedure_id": procedure.id, "applicant_name": values.pop("name", "Nguyễn Văn An"),
                "applicant_address": "12 Hùng Vương, Pleiku", "applicant_phone": "0905 123 456",
                "channel": "in_person", "received_at": at, **values}
        return dossiers.receive_dossier(data, actor=officer, now=NOW)

    def finish(dossier, *times):
        for at in times:
            dossiers.finish_step(dossier, actor=officer, at=at, now=NOW)

    d4 = receive("000.00.17.H99-240410-0001", local(2024, 4, 10, 9, 0))
    dossiers.end_dossier(d4, Outcome.WITHDRAWN, actor=officer, reason="Công dân xin rút", at=local(2024, 4, 15, 10, 0),
                         now=NOW)
    d1 = receive("000.00.17.H99-240425-0007", local(2024, 4, 25, 14, 30), name="Công ty TNHH Chuyển phát Nhanh An Phú")
    finish(d1, local(2024, 4, 25, 15, 40), local(2024, 4, 26, 8, 30), local(2024, 5, 17, 16, 0),
           local(2024, 5, 21, 10, 15), local(2024, 5, 23, 16, 20), local(2024, 5, 24, 9, 10))
    dossiers.return_result(d1, actor=officer, at=local(2024, 5, 24, 15, 0), now=NOW)
    d6 = receive("000.00.17.H99-240502-0001", local(2024, 5, 2, 14, 0))
    finish(d6, local(2024, 5, 2, 15, 0), local(2024, 5, 3, 9, 0), local(2024, 5, 8, 9, 0), local(2024, 5, 9, 9, 0),
           local(2024, 5, 10, 9, 0), d6.due_at - timedelta(minutes=30))
    d2 = receive("000.00.17.H99-240503-0002", local(2024, 5, 3, 9, 5), procedure=bulletin,
                 name="Hội Văn học Nghệ thuật")
    dossiers.request_supplement(d2, actor=officer, reason="1. Mẫu trình bày bản tin\n- Danh sách ban biên tập",
                                at=local(2024, 5, 7, 10, 0), now=NOW)
    dossiers.complete_supplement(d2, actor=officer, at=local(2024, 5, 10, 8, 30), now=NOW)
    d3 = receive("000.00.17.H99-240506-0011", local(2024, 5, 6, 9, 0))
    dossiers.apologise(d3, actor=officer, reason="Chờ ý kiến phối hợp của Công an tỉnh", at=local(2024, 5, 31, 9, 0),
                       new_due_at=local(2024, 6, 7, 16, 30), signed_by="Lê Văn Hùng", now=NOW)
    dossiers.return_result(d3, actor=officer, at=local(2024, 6, 6, 10, 0), now=NOW)
    d5 = receive("000.00.17.H99-240520-0003", local(2024, 5, 20, 9, 0))
    dossiers.refuse(d5, actor=officer, reason="Không đủ điều kiện", at=local(2024, 5, 28, 9, 0), now=NOW)
    db.session.commit()
    return {"postal": postal.id, "bulletin": bulletin.id, "s2": d2.supplements[0].id,
            **{f"d{i}": d.id for i, d in enumerate((None, d1, d2, d3, d4, d5, d6)) if d}}


@pytest.fixture
def people(ctx, make_user):
    return setup_people(make_user)


@pytest.fixture
def sample(people):
    return build_sample(people)


def _dossier(sample, key):
    from processes.dossiers.models import Dossier

    return db.session.get(Dossier, sample[key])


def _texts(content: bytes) -> tuple[str, list]:
    doc = Document(BytesIO(content))
    body = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)
    return body + "\n" + cells, doc


def test_the_sample_is_what_domain_9_4_says(sample):
    d1, d2, d3 = (_dossier(sample, k) for k in ("d1", "d2", "d3"))
    assert d1.timeliness == Timeliness.EARLY and d3.timeliness == Timeliness.LATE
    assert _dossier(sample, "d6").timeliness == Timeliness.ON_TIME
    assert d2.due_at.astimezone(agency_zone()).date() == date(2024, 5, 31)


def test_mau_01_receipt_on_a5(sample):
    d1 = _dossier(sample, "d1")
    text, doc = _texts(forms_docx.receipt_docx(d1, agency=Agency.query.first(), book=reports.register_number(d1)))
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (14.8, 21.0)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "Gia Lai, ngày 25 tháng 04 năm 2024", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
                     "Mã hồ sơ: 000.00.17.H99-240425-0007",
                     "Tiếp nhận hồ sơ của: Công ty TNHH Chuyển phát Nhanh An Phú",
                     "Nội dung yêu cầu giải quyết: Cấp giấy phép bưu chính (phạm vi nội tỉnh)",
                     "3. Thời gian giải quyết hồ sơ theo quy định là: 20 ngày làm việc",
                     "4. Thời gian nhận hồ sơ: 14 giờ 30 phút, ngày 25/04/2024",
                     "5. Thời gian trả kết quả giải quyết hồ sơ: 14 giờ 30 phút, ngày 27/05/2024",
                     "Quyển số: 2024", "Số thứ tự: 02", "NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ",
                     "Nguyễn Thị Thảo", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG TỈNH GIA LAI"):
        assert expected in text, expected


def test_mau_02_supplement_lists_what_to_complete(sample):
    d2 = _dossier(sample, "d2")
    text, doc = _texts(forms_docx.supplement_docx(d2, d2.supplements[0], agency=Agency.query.first()))
    assert round(doc.sections[0].page_width.cm, 1) == 14.8
    for expected in ("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "Hội Văn học Nghệ thuật", "ngày 07 tháng 05 năm 2024",
                     "1. Mẫu trình bày bản tin", "2. Danh sách ban biên tập", "tính lại từ đầu", "NGƯỜI HƯỚNG DẪN",
                     "Ông/Bà liên hệ với Nguyễn Thị Thảo"):
        assert expected in text, expected


def test_mau_04_apology_once_with_the_new_date(sample):
    d3 = _dossier(sample, "d3")
    apology = reports.apology_of(d3)
    text, _doc = _texts(forms_docx.apology_docx(d3, apology, agency=Agency.query.first()))
    assert text.count("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ") == 1
    for expected in ("Kính gửi: Nguyễn Văn An", "Ngày 06/05/2024", "Mã/Số biên nhận hồ sơ: 000.00.17.H99-240506-0011",
                     "Ngày hẹn trả kết quả: 09 giờ 00 phút, ngày 03/06/2024",
                     "Lý do: Chờ ý kiến phối hợp của Công an tỉnh",
                     "Thời gian hẹn trả kết quả lại: 16 giờ 30 phút, ngày 07/06/2024", "GIÁM ĐỐC", "Lê Văn Hùng",
                     "Gia Lai, ngày 31 tháng 05 năm 2024", "ỦY BAN NHÂN DÂN TỈNH GIA LAI"):
        assert expected in text, expected
    assert reports.apology_of(_dossier(sample, "d1")) is None


def test_mau_05_one_row_per_step_with_the_exact_columns(sample):
    d1 = _dossier(sample, "d1")
    _text, doc = _texts(forms_docx.control_sheet_docx(d1, agency=Agency.query.first()))
    assert round(doc.sections[0].page_height.cm, 1) == 29.7
    table = doc.tables[-1]
    header = list(dict.fromkeys(cell.text for cell in table.rows[0].cells))
    assert header == ["TÊN CƠ QUAN", "THỜI GIAN GIAO, NHẬN HỒ SƠ",
                      "KẾT QUẢ GIẢI QUYẾT HỒ SƠ (Trước hạn/đúng hạn/quá hạn)", "GHI CHÚ"]
    steps = [table.rows[r] for r in range(1, len(table.rows), 2)]
    assert len(steps) == 7 == len(d1.steps)
    first = [cell.text for cell in steps[0].cells]
    assert first[0] == "1. Giao: Bộ phận Tiếp nhận và Trả kết quả\n2. Nhận: Phòng Bưu chính – Viễn thông – Trưởng phòng"
    assert first[1] == "15 giờ 40 phút, ngày 25/04/2024"
    assert [row.cells[3].text for row in steps] == ["Trước hạn"] * 7
    assert steps[-1].cells[0].text.endswith("2. Nhận: Tổ chức, cá nhân")
    signing = [cell.text for cell in table.rows[2].cells]
    assert signing[1:3] == ["Người giao\n(Ký)", "Người nhận\n(Ký)"]


def test_mau_05_notes_a_supplement_request(sample):
    text, _doc = _texts(forms_docx.control_sheet_docx(_dossier(sample, "d2"), agency=None))
    assert "Yêu cầu bổ sung (Mẫu 02) 07/05/2024; nhận đủ 10/05/2024" in text
    assert "sau bổ sung: 08 giờ 30 phút, ngày 31/05/2024" in text


def test_mau_06_register_numbered_with_the_form_headers(sample):
    rows = reports.register_rows(date(2024, 5, 1), date(2024, 6, 1))
    assert [r.code[-11:] for r in rows] == ["240502-0001", "240503-0002", "240506-0011", "240520-0003"]
    ws = load_workbook(BytesIO(register_xlsx(rows, start=date(2024, 5, 1), end=date(2024, 5, 31)))).active
    header = next(r for r in range(1, 12) if ws.cell(r, 1).value == "TT")
    captions = [ws.cell(header, c).value for c in range(1, 15)]
    assert captions == ["TT", "Mã hồ sơ", "Tên TTHC", "Số lượng hồ sơ (bộ)", "Tên cá nhân, tổ chức",
                        "Địa chỉ, số điện thoại", "Cơ quan chủ trì giải quyết", "Ngày, tháng, năm", None, None,
                        None, None, "Ký nhận", "Ghi chú"]
    assert [ws.cell(header + 1, c).value for c in range(8, 13)] == [
        "Nhận hồ sơ", "Hẹn trả kết quả", "Chuyển hồ sơ đến cơ quan giải quyết", "Nhận kết quả từ cơ quan giải quyết",
        "Trả kết quả cho cá nhân, tổ chức"]
    assert f"H{header}:L{header}" in {str(m) for m in ws.merged_cells.ranges}
    assert ws.page_setup.orientation == "landscape"
    first = header + 3
    assert [ws.cell(first + i, 1).value for i in range(4)] == ["01", "02", "03", "04"]
    assert ws.cell(first, 8).value == datetime(2024, 5, 2, 14, 0)
    assert ws.cell(first + 1, 14).value == "Bổ sung hồ sơ 1 lần"
    assert ws.cell(first + 2, 12).value == datetime(2024, 6, 6, 10, 0)
    assert "Hẹn lại (Mẫu 04): 07/06/2024" in ws.cell(first + 2, 14).value
    assert ws.cell(first + 3, 14).value == "Từ chối giải quyết"


def _numbers(row):
    return (row.carried, row.received, row.total, row.resolved, row.early, row.on_time, row.late,
            row.in_progress_on_time, row.in_progress_late, row.withdrawn, row.refused)


def test_the_monthly_report_by_hand(sample):
    april, may, june = (reports.monthly_report(2024, m) for m in (4, 5, 6))
    #                        carried recv total resolved early on late  prog-ok prog-late withdrawn refused
    assert _numbers(april.total) == (0, 2, 2, 0, 0, 0, 0, 1, 0, 1, 0)
    assert _numbers(may.total) == (1, 4, 5, 2, 1, 1, 0, 1, 1, 0, 1)
    assert _numbers(june.total) == (2, 0, 2, 1, 0, 0, 1, 0, 1, 0, 0)
    assert [g.name for g in may.groups] == ["Bưu chính", "Xuất bản"]
    postal, bulletin = may.groups
    assert _numbers(postal.subtotal) == (1, 3, 4, 2, 1, 1, 0, 1, 0, 0, 1)
    assert _numbers(bulletin.rows[0]) == (0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0)
    assert postal.rows[0].code == "1.004470" and postal.rows[0].share(postal.rows[0].early) == 0.5
    for report in (april, may, june):  # every dossier to handle ends up in exactly one column
        t = report.total
        assert t.total == t.resolved + t.refused + t.withdrawn + t.in_progress


def test_the_monthly_report_is_one_aggregate_query(sample):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        reports.monthly_report(2024, 5)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1 and "GROUP BY" in statements[0] and "CASE" in statements[0]


def test_the_monthly_report_spreadsheet(sample):
    ws = load_workbook(BytesIO(monthly_report_xlsx(reports.monthly_report(2024, 5), agency=None))).active
    header = next(r for r in range(1, 12) if ws.cell(r, 1).value == "STT")
    assert ws.cell(header, 4).value == "Số hồ sơ nhận giải quyết"
    assert ws.cell(header, 7).value == "Số hồ sơ đã giải quyết"
    assert ws.cell(header, 14).value == "Số hồ sơ đang giải quyết"
    assert [ws.cell(header + 1, c).value for c in (8, 10, 12)] == ["Trước hạn", "Đúng hạn", "Quá hạn"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {f"D{header}:F{header}", f"G{header}:M{header}", f"N{header}:P{header}"} <= merged
    rows = {ws.cell(r, 2).value: r for r in range(header + 4, ws.max_row + 1)}
    field_row, total_row = rows["Lĩnh vực Bưu chính"], rows["TỔNG CỘNG"]
    assert [ws.cell(total_row, c).value for c in range(4, 8)] == [5, 1, 4, 2]
    assert ws.cell(field_row, 9).value == 0.5 and ws.cell(field_row, 9).number_format == "0.0%"
    assert ws.cell(total_row, 16).value == 1 and ws.cell(total_row, 18).value == 1
