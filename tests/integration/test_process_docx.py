"""The Word procedure of a revision carrying a process map: the map as an image and the step table
Bước | Nội dung công việc | Trách nhiệm | Thời gian | Biểu mẫu / Kết quả in section 5 (issue 4)."""

import io

import pytest
from docx import Document as WordDocument

from qms.documents.exports import revision_docx
from qms.org.services import current_agency
from qms.signatures.services import signatures_of
from tests.process_samples import approve, draft_first_version, setup_people


@pytest.fixture
def people(ctx, make_user):
    return setup_people(make_user)


def _word(version):
    revision = version.revision
    content = revision_docx(revision, agency=current_agency(), signatures=signatures_of(revision),
                            history=[revision])
    return WordDocument(io.BytesIO(content))


def test_section_five_carries_the_map_and_the_step_table(people):
    procedure, version = draft_first_version(people)
    approve(people, version)
    word = _word(version)
    images = [r for r in word.part.related_parts.values() if r.content_type == "image/png"]
    assert len(images) == 1 and images[0].blob.startswith(b"\x89PNG")
    texts = [p.text for p in word.paragraphs]
    assert texts.index("5. NỘI DUNG") < texts.index("Sơ đồ quy trình") < texts.index("Các bước thực hiện")
    steps = next(t for t in word.tables if t.rows[0].cells[0].text == "Bước")
    assert [c.text for c in steps.rows[0].cells] == ["Bước", "Nội dung công việc", "Trách nhiệm", "Thời gian",
                                                      "Biểu mẫu / Kết quả"]
    rows = [[c.text for c in row.cells] for row in steps.rows[1:]]
    assert rows[0][:2] == ["B1", "Tiếp nhận, kiểm tra hồ sơ"]
    assert rows[2][3] == "14 ngày" and rows[5][3] == "4 giờ"
    assert rows[-1][3] == "20 ngày làm việc"
    branches = next(t for t in word.tables if t.rows[0].cells[0].text == "Trường hợp")
    assert [row.cells[0].text for row in branches.rows[1:]] == ["Yêu cầu bổ sung hồ sơ", "Từ chối giải quyết",
                                                                 "Lấy ý kiến cơ quan khác"]


def test_a_revision_without_a_map_has_no_map_section(people):
    from qms.documents import services as documents
    from qms.documents.models import DocumentKind, DocumentType
    from qms.extensions import db
    from sqlalchemy import select

    doc_type = db.session.scalar(select(DocumentType).where(DocumentType.kind == DocumentKind.PROCEDURE))
    document = documents.create_document({"type_id": doc_type.id, "title": "Quy trình kiểm soát tài liệu"},
                                         actor=people["secretary"])
    content = revision_docx(document.latest_revision, agency=None, signatures=[], history=[])
    texts = [p.text for p in WordDocument(io.BytesIO(content)).paragraphs]
    assert "Sơ đồ quy trình" not in texts
