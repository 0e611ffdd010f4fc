"""Document control through the web pages, as the ISO secretary, a reviewer and the director use it."""

from io import BytesIO

import pytest
from sqlalchemy import select

from qms.audit import log as audit
from qms.documents.defaults import ensure_document_types
from qms.documents.models import Document, DocumentKind, DocumentType, Revision, RevisionState
from qms.extensions import db
from tests.conftest import DEMO_PASSWORD, AuthActions


@pytest.fixture
def team(app, make_user):
    ids = {
        "secretary": make_user("iso_secretary", username="huong.nt", full_name="Nguyễn Thị Hương"),
        "head": make_user("unit_head", username="lan.tt", full_name="Trần Thị Lan"),
        "director": make_user("director", username="hung.lv", full_name="Lê Văn Hùng"),
        "specialist": make_user("specialist", username="hoa.ltm", full_name="Lê Thị Mai Hoa"),
    }
    with app.app_context(), audit.acting_as(audit.Actor.system("test")):
        ensure_document_types()
        db.session.commit()
        procedure = db.session.scalar(select(DocumentType.id).where(DocumentType.kind == DocumentKind.PROCEDURE))
    return ids | {"procedure_type": procedure}


def _as(app, username):
    actions = AuthActions(app.test_client())
    assert actions.login(username).status_code == 302
    return actions


def _create_and_write(app, team, title="Quy trình kiểm soát tài liệu"):
    secretary = _as(app, "huong.nt")
    response = secretary.post("/documents/new", {"type_id": team["procedure_type"], "title": title,
                                                  "parent_id": "0", "owner_unit_id": "0",
                                                  "review_interval_months": "12"}, page="/documents/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    edit_url = response.headers["Location"]
    with app.app_context():
        document = db.session.scalar(select(Document).where(Document.title == title))
        document_id, revision_id = document.id, document.latest_revision.id
    response = secretary.post(edit_url, {
        "title": title, "change_summary": "Ban hành lần đầu", "change_location": "", "change_basis":
        "QĐ 19/2014/QĐ-TTg", "requested_by": "Văn phòng", "planned_effective_on": "",
        "section_key": ["purpose", "content"], "section_title": ["Mục đích", "Nội dung quy trình"],
        "section_body": ["<p>Thống nhất cách <strong>kiểm soát</strong> tài liệu nội bộ.</p>",
                         "<table><tr><th>Bước</th><th>Nội dung</th></tr><tr><td>B1</td><td>Soạn thảo</td></tr></table>"
                         "<img src=x onerror=alert(1)>"],
    }, page=edit_url)
    assert response.status_code == 302
    return secretary, document_id, revision_id


def _url(document_id, revision_id, action=""):
    return f"/documents/{document_id}/revisions/{revision_id}" + (f"/{action}" if action else "")


def test_the_whole_workflow_in_the_browser(app, team):
    secretary, document_id, revision_id = _create_and_write(app, team)
    page = secretary.client.get(_url(document_id, revision_id)).get_data(as_text=True)
    assert "kiểm soát" in page and "onerror" not in page
    assert secretary.post(_url(document_id, revision_id, "submit"), {"password": DEMO_PASSWORD},
                          page=_url(document_id, revision_id)).status_code == 302
    head = _as(app, "lan.tt")
    head.post(_url(document_id, revision_id, "review"), {"password": DEMO_PASSWORD, "comment": "Đồng ý"},
              page=_url(document_id, revision_id))
    director = _as(app, "hung.lv")
    director.post(_url(document_id, revision_id, "approve"), {"password": DEMO_PASSWORD},
                  page=_url(document_id, revision_id))
    with app.app_context():
        assert db.session.get(Revision, revision_id).state == RevisionState.EFFECTIVE
    listing = _as(app, "hoa.ltm").client.get("/documents/?q=quy trinh KIEM SOAT tai lieu").get_data(as_text=True)
    assert "QT-01" in listing
    by_text = _as(app, "hoa.ltm").client.get("/documents/?q=soan thao").get_data(as_text=True)
    assert "QT-01" in by_text  # the text of the sections is searched too


def test_the_drafter_cannot_approve_their_own_revision_over_http(app, team):
    # A director drafts; the approval of their own draft is refused whatever they post.
    director = _as(app, "hung.lv")
    response = director.post("/documents/new", {"type_id": team["procedure_type"], "title": "Chính sách riêng",
                                                "parent_id": "0", "owner_unit_id": "0"}, page="/documents/new")
    assert response.status_code in (302, 403)
    secretary, document_id, revision_id = _create_and_write(app, team)
    secretary.post(_url(document_id, revision_id, "submit"), {"password": DEMO_PASSWORD},
                   page=_url(document_id, revision_id))
    _as(app, "lan.tt").post(_url(document_id, revision_id, "review"), {"password": DEMO_PASSWORD},
                            page=_url(document_id, revision_id))
    secretary.post(_url(document_id, revision_id, "approve"), {"password": DEMO_PASSWORD},
                   page=_url(document_id, revision_id))
    with app.app_context():
        assert db.session.get(Revision, revision_id).state == RevisionState.REVIEWED


def test_a_direct_post_editing_an_approved_revision_is_refused_and_changes_nothing(app, team):
    secretary, document_id, revision_id = _create_and_write(app, team)
    secretary.post(_url(document_id, revision_id, "submit"), {"password": DEMO_PASSWORD},
                   page=_url(document_id, revision_id))
    _as(app, "lan.tt").post(_url(document_id, revision_id, "review"), {"password": DEMO_PASSWORD},
                            page=_url(document_id, revision_id))
    _as(app, "hung.lv").post(_url(document_id, revision_id, "approve"), {"password": DEMO_PASSWORD},
                             page=_url(document_id, revision_id))
    with app.app_context():
        before = db.session.get(Revision, revision_id)
        snapshot = (before.title, [s.body_html for s in before.sections], before.content_sha256)
    response = secretary.post(_url(document_id, revision_id, "edit"), {
        "title": "Đã sửa trái phép", "section_key": ["purpose"], "section_title": ["Mục đích"],
        "section_body": ["<p>Nội dung khác</p>"]}, page="/documents/")
    assert response.status_code == 403
    with app.app_context():
        after = db.session.get(Revision, revision_id)
        assert (after.title, [s.body_html for s in after.sections], after.content_sha256) == snapshot


def test_a_wrong_password_is_refused_and_logged(app, team):
    from qms.audit.models import AuditEntry

    secretary, document_id, revision_id = _create_and_write(app, team)
    secretary.post(_url(document_id, revision_id, "submit"), {"password": "khong-dung-1"},
                   page=_url(document_id, revision_id))
    with app.app_context():
        assert db.session.get(Revision, revision_id).state == RevisionState.DRAFT
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "signature.refused")) is not None


def test_obsolete_revisions_are_marked_and_hidden_from_those_not_allowed(app, team):
    secretary, document_id, first_id = _create_and_write(app, team)
    for actor, action in (("huong.nt", "submit"), ("lan.tt", "review"), ("hung.lv", "approve")):
        _as(app, actor).post(_url(document_id, first_id, action), {"password": DEMO_PASSWORD},
                             page=_url(document_id, first_id))
    secretary.post(f"/documents/{document_id}/revisions/open", {"change_kind": "amendment",
                                                                 "change_summary": "Sửa bước 3"},
                   page=f"/documents/{document_id}")
    with app.app_context():
        second_id = db.session.scalar(select(Revision.id).where(Revision.document_id == document_id,
                                                                Revision.revision_no == 1))
    for actor, action in (("huong.nt", "submit"), ("lan.tt", "review"), ("hung.lv", "approve")):
        _as(app, actor).post(_url(document_id, second_id, action), {"password": DEMO_PASSWORD},
                             page=_url(document_id, second_id))
    page = _as(app, "lan.tt").client.get(_url(document_id, first_id)).get_data(as_text=True)
    assert "LỖI THỜI" in page or "OBSOLETE" in page
    assert _as(app, "hoa.ltm").client.get(_url(document_id, first_id)).status_code == 404
    compare = secretary.client.get(f"/documents/{document_id}/compare").get_data(as_text=True)
    assert "01.00" in compare and "01.01" in compare


def test_master_list_export_and_word_download(app, team):
    from docx import Document as WordDocument
    from openpyxl import load_workbook

    secretary, document_id, revision_id = _create_and_write(app, team)
    for actor, action in (("huong.nt", "submit"), ("lan.tt", "review"), ("hung.lv", "approve")):
        _as(app, actor).post(_url(document_id, revision_id, action), {"password": DEMO_PASSWORD},
                             page=_url(document_id, revision_id))
    workbook = load_workbook(BytesIO(secretary.client.get("/documents/export.xlsx").data))
    cells = [c.value for row in workbook.active.iter_rows() for c in row]
    assert "QT-01" in cells
    response = secretary.client.get(f"{_url(document_id, revision_id)}.docx")
    assert response.status_code == 200
    text = "\n".join(p.text for p in WordDocument(BytesIO(response.data)).paragraphs)
    assert "Thống nhất cách kiểm soát tài liệu nội bộ." in text
