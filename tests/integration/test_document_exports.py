"""Word and Excel exports of controlled documents: the paper forms an ISO auditor checks (4.2.3).

The .docx must reopen and show, on every page, the header block with real PAGE/NUMPAGES fields;
on page 1 the responsibility block and the revision tracking table; then the sections, HTML tables
included. Obsolete revisions carry the obsolete mark. The workbooks hold no formula cells.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from io import BytesIO

import pytest
from docx import Document as open_docx
from docx.shared import Cm
from openpyxl import load_workbook

from qms.docx import CopyMark, html_to_docx, new_document
from qms.documents.exports import (acknowledgement_register_xlsx, master_list_xlsx, revision_docx,
                                   tracking_rows)
from qms.documents.models import (Acknowledgement, ChangeKind, Document, DocumentKind, DocumentStatus,
                                  DocumentType, Revision, RevisionFile, RevisionSection, RevisionState,
                                  SectionKey)
from qms.extensions import db
from qms.files.models import StoredFile
from qms.org.models import Agency, Position, Unit
from qms.signatures.models import Signature, SignatureMeaning
from qms.users.models import User

TITLE = "Quy trình cấp giấy phép bưu chính (phạm vi nội tỉnh)"
PURPOSE = "Quy định trình tự, thủ tục cấp giấy phép bưu chính trên địa bàn tỉnh Gia Lai."
CONTENT_HTML = """
<p>Thời hạn giải quyết: <strong>20 ngày làm việc</strong> kể từ ngày nhận đủ hồ sơ hợp lệ.</p>
<h3>5.1 Thành phần hồ sơ</h3>
<ol><li>Đơn đề nghị cấp giấy phép bưu chính;</li><li>Bản sao <em>giấy chứng nhận</em> đăng ký doanh nghiệp.</li></ol>
<ul><li>Nộp trực tiếp<ul><li>tại Trung tâm Phục vụ hành chính công</li></ul></li><li>Nộp qua bưu chính</li></ul>
<table>
  <thead><tr><th>Bước</th><th>Nội dung công việc</th><th>Trách nhiệm</th><th>Thời gian</th></tr></thead>
  <tbody>
    <tr><td>B1</td><td>Tiếp nhận, kiểm tra hồ sơ; lập Giấy tiếp nhận</td>
        <td rowspan="2">Công chức BP TN&amp;TKQ</td><td>0,5 ngày</td></tr>
    <tr><td>B2</td><td>Chuyển hồ sơ cho<br>Phòng Bưu chính – Viễn thông</td><td>0,5 ngày</td></tr>
    <tr><td colspan="3"><strong>Tổng thời gian</strong></td><td>20 ngày làm việc</td></tr>
  </tbody>
</table>
<p>Ghi chú: <blink>văn bản lạ vẫn giữ</blink>.</p>
"""
UTC = timezone.utc




@pytest.fixture
def sample(ctx, make_user):
    """QT-BC-01 with a superseded first issue and an effective amendment, signed by three people."""
    # Accounts first: make_user commits in its own session, which must not wait on this one's writes.
    user_ids = [make_user("specialist", username=username, full_name=name) for username, name in
                (("soanthao", "Nguyễn Thị Hồng Nhung"), ("xemxet", "Trần Văn Đức"), ("pheduyet", "Lê Quang Vinh"))]
    agency = Agency(name="Sở Thông tin và Truyền thông", parent_body="UBND tỉnh Gia Lai")
    unit = Unit(code="BCVT", name="Phòng Bưu chính – Viễn thông")
    positions = {code: Position(code=code, name=name) for code, name in
                 (("CV", "Chuyên viên"), ("TP", "Trưởng phòng"), ("PGD", "Phó Giám đốc"))}
    kind = DocumentType(kind=DocumentKind.PROCEDURE, name="Quy trình", abbreviation="QT", code_pattern="QT-{n:02}")
    db.session.add_all([agency, unit, kind, *positions.values()])
    db.session.flush()
    drafter, reviewer, approver = (db.session.get(User, user_id) for user_id in user_ids)
    for user, code in ((drafter, "CV"), (reviewer, "TP"), (approver, "PGD")):
        user.position = positions[code]
    document = Document(code="QT-BC-01", title=TITLE, type=kind, owner_unit=unit, status=DocumentStatus.EFFECTIVE,
                        next_review_on=date(2017, 3, 10))
    db.session.add(document)
    db.session.flush()

    stored = StoredFile(sha256="b" * 64, size=10, kind="xlsx", mime_type="application/octet-stream")
    db.session.add(stored)
    db.session.flush()

    def sections():
        return [
            RevisionSection(key=SectionKey.PURPOSE, position=1, title="Mục đích", body_html=f"<p>{PURPOSE}</p>"),
            RevisionSection(key=SectionKey.SCOPE, position=2, title="Phạm vi",
                            body_html="<p>Áp dụng đối với tổ chức, doanh nghiệp đề nghị cấp giấy phép.</p>"),
            RevisionSection(key=SectionKey.CONTENT, position=5, title="Nội dung", body_html=CONTENT_HTML),
            RevisionSection(key=SectionKey.CUSTOM, position=8, title="PHỤ LỤC A", body_html="<p>Lưu đồ.</p>"),
        ]

    def revision(issue, number, state, change_kind, issued, effective, ended=None, **values):
        # Content goes in with the revision itself: once signed, the guard refuses any later change.
        return Revision(document_id=document.id, issue_no=issue, revision_no=number, state=state,
                        change_kind=change_kind, title=TITLE, drafted_by=drafter, reviewed_by=reviewer,
                        reviewed_at=effective, approved_by=approver, approved_at=effective,
                        content_sha256="a" * 64, issued_on=issued, effective_at=effective, ended_at=ended,
                        approver_capacity="KT. Giám đốc", sections=sections(), **values)

    first = revision(1, 0, RevisionState.SUPERSEDED, ChangeKind.FIRST_ISSUE, date(2015, 6, 15),
                     datetime(2015, 6, 15, 1, tzinfo=UTC), ended=datetime(2016, 3, 10, 1, tzinfo=UTC),
                     requested_by="Phòng BC-VT")
    current = revision(1, 1, RevisionState.EFFECTIVE, ChangeKind.AMENDMENT, date(2016, 3, 10),
                       datetime(2016, 3, 10, 1, tzinfo=UTC), change_location="Mục 5, Bước 3",
                       change_summary="Thời gian thẩm định 15 → 14 ngày; bổ sung bước Văn thư phát hành",
                       change_basis="TT 01/2018/TT-VPCP", requested_by="Trưởng phòng BC-VT",
                       files=[RevisionFile(file_id=stored.id, filename="BM-01 Phiếu kiểm soát.xlsx", position=1)])
    db.session.add_all([first, current])
    db.session.flush()
    signed = datetime(2016, 3, 9, 2, 30, tzinfo=UTC)  # 09:30 in Hà Nội time
    signatures = [
        Signature(subject_type="revisions", subject_id=current.id, meaning=meaning, signer_id=user.id,
                  signer_name=user.full_name, signer_position=position, capacity=capacity, signed_at=signed,
                  content_sha256="a" * 64)
        for meaning, user, position, capacity in (
            (SignatureMeaning.DRAFTED, drafter, "Chuyên viên", ""),
            (SignatureMeaning.REVIEWED, reviewer, "Trưởng phòng Bưu chính – Viễn thông", ""),
            (SignatureMeaning.APPROVED, approver, "Phó Giám đốc", "KT. Giám đốc"))
    ]
    db.session.add_all(signatures)
    db.session.flush()
    return {"agency": agency, "document": document, "first": first, "current": current,
            "signatures": signatures, "users": (drafter, reviewer, approver)}


def _docx(sample, revision, **kwargs):
    data = revision_docx(revision, agency=sample["agency"], signatures=kwargs.pop("signatures", sample["signatures"]),
                         history=[sample["first"], sample["current"]], **kwargs)
    return data, open_docx(BytesIO(data))


def _header_text(doc) -> str:
    header = doc.sections[0].header
    parts = [cell.text for table in header.tables for cell in table.rows[0].cells]
    return "\n".join(parts + [p.text for p in header.paragraphs])


def test_header_block_on_every_page_with_page_fields(sample, tmp_path):
    data, doc = _docx(sample, sample["current"])
    (tmp_path / "QT-BC-01.docx").write_bytes(data)  # kept for a look (pytest --basetemp)
    section = doc.sections[0]
    measured = (section.page_width, section.page_height, section.top_margin, section.bottom_margin,
                section.left_margin, section.right_margin)
    expected = (Cm(21.0), Cm(29.7), Cm(2), Cm(2), Cm(3), Cm(2))
    assert all(abs(m - e) < Cm(0.01) for m, e in zip(measured, expected))  # Word stores twentieths of a point
    header = section.header
    assert not header.is_linked_to_previous and len(header.tables) == 1
    left, centre, right = header.tables[0].rows[0].cells
    assert left.text == "UBND TỈNH GIA LAI\nSỞ THÔNG TIN VÀ TRUYỀN THÔNG"
    assert centre.text == "QUY TRÌNH\nQUY TRÌNH CẤP GIẤY PHÉP BƯU CHÍNH (PHẠM VI NỘI TỈNH)"
    assert all(run.bold for run in centre.paragraphs[1].runs)
    assert "Mã hiệu: QT-BC-01" in right.text and "Lần ban hành: 01" in right.text
    assert "Lần sửa đổi: 01" in right.text and "Ngày ban hành: 10/03/2016" in right.text
    xml = header._element.xml
    assert "PAGE \\* MERGEFORMAT" in xml and "NUMPAGES \\* MERGEFORMAT" in xml
    assert xml.count('w:fldCharType="begin"') == 2 and xml.count('w:fldCharType="end"') == 2
    assert right.paragraphs[-1].text.startswith("Trang: ")
    styles = doc.styles.element.xml
    assert 'w:eastAsia="Times New Roman"' in styles and "Times New Roman" == doc.styles["Normal"].font.name
    assert doc.styles["Normal"].font.size.pt == 13


def test_responsibility_block_and_revision_tracking(sample):
    _data, doc = _docx(sample, sample["current"])
    block = doc.tables[0]
    assert [c.text for c in block.rows[0].cells] == ["Trách nhiệm", "Soạn thảo", "Xem xét", "Phê duyệt"]
    assert [c.text for c in block.rows[1].cells] == ["Họ tên", "Nguyễn Thị Hồng Nhung", "Trần Văn Đức",
                                                     "Lê Quang Vinh"]
    assert all(c.text == "Đã ký điện tử\n09/03/2016 09:30" for c in block.rows[2].cells[1:])
    assert [c.text for c in block.rows[3].cells] == ["Chức vụ", "Chuyên viên", "Trưởng phòng Bưu chính – Viễn thông",
                                                     "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"]
    assert any(p.text == "THEO DÕI TÌNH TRẠNG SỬA ĐỔI" for p in doc.paragraphs)
    tracking = doc.tables[1]
    assert [c.text for c in tracking.rows[0].cells] == ["STT", "Ngày sửa đổi", "Vị trí (trang/mục)",
                                                        "Nội dung sửa đổi", "Căn cứ / lý do",
                                                        "Lần ban hành / sửa đổi", "Người đề nghị"]
    assert [c.text for c in tracking.rows[1].cells] == ["1", "15/06/2015", "", "Ban hành lần đầu", "", "01 / 00",
                                                        "Phòng BC-VT"]
    assert [c.text for c in tracking.rows[2].cells] == [
        "2", "10/03/2016", "Mục 5, Bước 3", "Thời gian thẩm định 15 → 14 ngày; bổ sung bước Văn thư phát hành",
        "TT 01/2018/TT-VPCP", "01 / 01", "Trưởng phòng BC-VT"]
    assert len(tracking.rows) == 3


def test_unsigned_roles_fall_back_on_the_revision_users(sample):
    _data, doc = _docx(sample, sample["current"], signatures=[])
    block = doc.tables[0]
    assert block.rows[1].cells[1].text == "Nguyễn Thị Hồng Nhung"
    assert [c.text for c in block.rows[2].cells[1:]] == ["Chưa ký"] * 3
    assert block.rows[3].cells[3].text == "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"


def test_sections_and_html_content(sample):
    _data, doc = _docx(sample, sample["current"])
    texts = [p.text for p in doc.paragraphs]
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["1. MỤC ĐÍCH", "2. PHẠM VI", "5. NỘI DUNG", "PHỤ LỤC A", "TÀI LIỆU ĐÍNH KÈM"]
    assert PURPOSE in texts  # Vietnamese diacritics intact (NFC, as stored)
    paragraph = next(p for p in doc.paragraphs if p.text.startswith("Thời hạn giải quyết"))
    assert [r.text for r in paragraph.runs if r.bold] == ["20 ngày làm việc"]
    assert any(p.text == "5.1 Thành phần hồ sơ" and p.style.name == "Heading 2" for p in doc.paragraphs)
    assert "1.\tĐơn đề nghị cấp giấy phép bưu chính;" in texts
    assert "2.\tBản sao giấy chứng nhận đăng ký doanh nghiệp." in texts
    assert "•\tNộp trực tiếp" in texts and "–\ttại Trung tâm Phục vụ hành chính công" in texts
    assert "Ghi chú: văn bản lạ vẫn giữ." in texts
    assert "1. BM-01 Phiếu kiểm soát.xlsx" in texts
    steps = doc.tables[2]
    assert [c.text for c in steps.rows[0].cells] == ["Bước", "Nội dung công việc", "Trách nhiệm", "Thời gian"]
    assert steps.rows[1].cells[2].text == "Công chức BP TN&TKQ"
    assert steps.rows[2].cells[2]._tc is steps.rows[1].cells[2]._tc  # rowspan merged
    assert steps.rows[2].cells[1].text == "Chuyển hồ sơ cho\nPhòng Bưu chính – Viễn thông"
    total = steps.rows[3].cells
    assert total[0]._tc is total[2]._tc and total[0].text == "Tổng thời gian"  # colspan merged
    assert total[3].text == "20 ngày làm việc"
    assert "BẢN KIỂM SOÁT" in texts[:2]


def test_obsolete_revision_is_marked_on_every_page(sample, tmp_path):
    data, doc = _docx(sample, sample["first"], copy_mark=CopyMark.CONTROLLED)
    (tmp_path / "QT-BC-01-obsolete.docx").write_bytes(data)
    mark = "TÀI LIỆU LỖI THỜI – HẾT HIỆU LỰC"
    first = doc.paragraphs[0]
    assert first.text == mark and all(r.bold for r in first.runs)
    assert str(first.runs[0].font.color.rgb) == "C00000"
    assert mark in _header_text(doc)
    assert "BẢN KIỂM SOÁT" not in "\n".join(p.text for p in doc.paragraphs) + _header_text(doc)
    assert len(doc.tables[1].rows) == 2  # nothing was in force before the first issue


def test_draft_is_never_printed_as_a_controlled_copy(sample):
    draft = sample["current"]
    draft.state = RevisionState.DRAFT  # not flushed: exports read objects, they never query
    _data, doc = _docx(sample, draft)
    assert doc.paragraphs[0].text == "DỰ THẢO – CHƯA CÓ HIỆU LỰC"
    assert "DỰ THẢO – CHƯA CÓ HIỆU LỰC" in _header_text(doc)
    rows = tracking_rows(draft, [sample["first"], draft])
    assert [row[0] for row in rows] == ["1", "2"]


def test_uncontrolled_copy_has_no_mark(sample):
    _data, doc = _docx(sample, sample["current"], copy_mark=CopyMark.NONE)
    body = doc.element.body
    assert body[0].tag.endswith("}tbl")  # the responsibility block comes first
    assert "BẢN KIỂM SOÁT" not in "\n".join(p.text for p in doc.paragraphs) + _header_text(doc)


def test_html_conversion_is_robust(ctx):
    doc = new_document()
    html_to_docx(doc, "<p>Một<p>Hai <b>đậm <i>nghiêng</b> thường</i><script>alert(1)</script>"
                      " <custom>lạ</custom></p></div><ol start='3'><li>ba<li>bốn</ol><table><tr><td>ô"
                      "<td colspan='x'>ô2</tr><tr><td rowspan='9'>dưới</td></tr></table>&amp;&lt;")
    texts = [p.text for p in doc.paragraphs]
    assert texts[:2] == ["Một", "Hai đậm nghiêng thường lạ"]
    assert "3.\tba" in texts and "4.\tbốn" in texts and "&<" in texts
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["ô", "ô2"]
    assert table.rows[1].cells[0].text == "dưới"
    html_to_docx(doc, "<p>  trailing <em>space </em></p>")
    assert doc.paragraphs[-1].text == "trailing space"
    html_to_docx(doc, "")
    html_to_docx(doc, "<table></table><ul></ul>")


def _all_cells(ws):
    return [cell for row in ws.iter_rows() for cell in row]


def _header_row(ws, first):
    for row in ws.iter_rows():
        if row[0].value == first:
            return row[0].row, [c.value for c in row if c.value is not None]
    raise AssertionError("no header row")


def test_master_list_xlsx(sample, tmp_path):
    document = sample["document"]
    other = Document(code="-QT-02", title="=HYPERLINK(\"http://x\")", type=document.type, status=DocumentStatus.DRAFT)
    data = master_list_xlsx([document, (other, None)], agency=sample["agency"], today=date(2016, 4, 1))
    (tmp_path / "danh-muc.xlsx").write_bytes(data)
    ws = load_workbook(BytesIO(data)).active
    assert ws["A1"].value == "UBND TỈNH GIA LAI" and ws["A2"].value == "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"
    assert ws["A3"].value == "DANH MỤC TÀI LIỆU NỘI BỘ"
    row, headers = _header_row(ws, "STT")
    assert headers == ["STT", "Mã hiệu", "Tên tài liệu", "Loại", "Đơn vị chủ trì", "Lần ban hành", "Lần sửa đổi",
                       "Ngày ban hành", "Ngày hiệu lực", "Trạng thái", "Xem xét định kỳ tiếp theo"]
    values = [c.value for c in ws[row + 1]]
    assert values[:7] == [1, "QT-BC-01", TITLE, "Quy trình", "Phòng Bưu chính – Viễn thông", "01", "01"]
    assert values[7].date() == date(2016, 3, 10) and values[8].date() == date(2016, 3, 10)
    assert values[9] == "Đang hiệu lực" and values[10].date() == date(2017, 3, 10)
    assert ws.cell(row=row + 1, column=8).number_format == "dd/mm/yyyy"
    second = [c.value for c in ws[row + 2]]
    assert second[1:3] == ["-QT-02", "=HYPERLINK(\"http://x\")"] and second[9] == "Chưa có hiệu lực"
    assert not [c.coordinate for c in _all_cells(ws) if c.data_type == "f"]


def _acknowledgement(revision, user, due, confirmed=None):
    return Acknowledgement(revision_id=revision.id, user_id=user.id, user=user, revision=revision,
                           assigned_at=datetime(2016, 3, 10, 2, tzinfo=UTC), due_on=due, confirmed_at=confirmed)


def test_acknowledgement_register_xlsx(sample, tmp_path):
    revision = sample["current"]
    drafter, reviewer, approver = sample["users"]
    reviewer.full_name = "=cmd|' /C calc'!A0"
    acks = [_acknowledgement(revision, drafter, date(2016, 3, 17), datetime(2016, 3, 11, 3, tzinfo=UTC)),
            _acknowledgement(revision, reviewer, date(2016, 3, 17)),
            _acknowledgement(revision, approver, date(2016, 3, 25))]
    data = acknowledgement_register_xlsx(revision, acks, date(2016, 3, 20), agency=sample["agency"])
    (tmp_path / "so-theo-doi.xlsx").write_bytes(data)
    ws = load_workbook(BytesIO(data)).active
    assert ws["A3"].value == "SỔ THEO DÕI PHÂN PHỐI VÀ XÁC NHẬN TÀI LIỆU"
    row, headers = _header_row(ws, "STT")
    assert headers == ["STT", "Họ tên", "Đơn vị", "Ngày giao", "Hạn xác nhận", "Ngày xác nhận", "Tình trạng"]
    statuses = [ws.cell(row=row + n, column=7).value for n in (1, 2, 3)]
    assert statuses == ["đã xác nhận", "quá hạn", "chưa xác nhận"]
    assert ws.cell(row=row + 2, column=2).value == "=cmd|' /C calc'!A0"
    assert ws.cell(row=row + 1, column=6).value == datetime(2016, 3, 11, 10, 0)  # local time
    assert not [c.coordinate for c in _all_cells(ws) if c.data_type == "f"]
    assert any("Đã xác nhận 1/3" in str(c.value) for c in _all_cells(ws))


def test_acknowledgement_register_of_an_obsolete_revision_is_marked(sample):
    data = acknowledgement_register_xlsx(sample["first"], [], date(2016, 3, 20), agency=sample["agency"])
    ws = load_workbook(BytesIO(data)).active
    assert ws["A3"].value == "SỔ THEO DÕI PHÂN PHỐI VÀ XÁC NHẬN TÀI LIỆU – TÀI LIỆU LỖI THỜI – HẾT HIỆU LỰC"
    assert ws["A3"].font.color.rgb == "FFC00000"
