"""Files attached to a draft and citations of external documents: part of the signed content."""

from io import BytesIO

from sqlalchemy import select

from qms.audit import log as audit
from qms.documents.models import Revision
from qms.extensions import db
from qms.external_docs.models import ExternalDocument, ExternalKind, UpdateFlag
from tests.conftest import DEMO_PASSWORD
from tests.functional.test_documents_http import _as, _create_and_write, _url, team  # noqa: F401 - fixture
from tests.sample_files import docx_bytes, exe_bytes


def _external(app):
    with app.app_context(), audit.acting_as(audit.Actor.system("test")):
        decree = ExternalDocument(number="61/2018/NĐ-CP", kind=ExternalKind.DECREE, issuer="Chính phủ",
                                  title="Về thực hiện cơ chế một cửa, một cửa liên thông")
        db.session.add(decree)
        db.session.commit()
        return decree.id


def test_attach_cite_sign_then_nothing_changes(app, team):  # noqa: F811
    decree_id = _external(app)
    secretary, document_id, revision_id = _create_and_write(app, team)
    base = _url(document_id, revision_id)
    refused = secretary.post(f"{base}/files", {"file": (BytesIO(exe_bytes()), "quy-trinh.docx")},
                             page=f"{base}/edit", content_type="multipart/form-data", follow_redirects=True)
    assert "quy-trinh.docx" in refused.get_data(as_text=True)
    secretary.post(f"{base}/files", {"file": (BytesIO(docx_bytes("Lưu đồ quy trình")), "Lưu đồ QT-01.docx")},
                   page=f"{base}/edit", content_type="multipart/form-data")
    secretary.post(f"{base}/citations", {"external_document_id": decree_id, "note": "Điều 16"}, page=f"{base}/edit")
    with app.app_context():
        revision = db.session.get(Revision, revision_id)
        assert [f.filename for f in revision.files] == ["Lưu đồ QT-01.docx"]
        file_id = revision.files[0].id
    with secretary.client.get(f"{base}/files/{file_id}") as download:
        assert download.status_code == 200 and download.data[:2] == b"PK"
    for actor, action in (("huong.nt", "submit"), ("lan.tt", "review"), ("hung.lv", "approve")):
        _as(app, actor).post(_url(document_id, revision_id, action), {"password": DEMO_PASSWORD}, page=base)
    with app.app_context():
        revision = db.session.get(Revision, revision_id)
        from qms.documents.services import revision_content

        content = revision_content(revision)
        assert content["files"][0][0] == "Lưu đồ QT-01.docx" and content["citations"] == [["61/2018/NĐ-CP", "Điều 16"]]
        signed = revision.content_sha256
    secretary.post(f"{base}/files/{file_id}/remove", page=base)
    secretary.post(f"{base}/citations/{decree_id}/remove", page=base)
    with app.app_context():
        revision = db.session.get(Revision, revision_id)
        from qms.documents.services import revision_hash

        assert len(revision.files) == 1 and revision_hash(revision) == signed


def test_a_cited_text_replaced_flags_the_document_for_three_months(app, team):  # noqa: F811
    decree_id = _external(app)
    secretary, document_id, revision_id = _create_and_write(app, team)
    base = _url(document_id, revision_id)
    secretary.post(f"{base}/citations", {"external_document_id": decree_id}, page=f"{base}/edit")
    for actor, action in (("huong.nt", "submit"), ("lan.tt", "review"), ("hung.lv", "approve")):
        _as(app, actor).post(_url(document_id, revision_id, action), {"password": DEMO_PASSWORD}, page=base)
    with app.app_context(), audit.acting_as(audit.Actor.system("test")):
        from datetime import date

        from qms.external_docs.seeding import REGISTER_KEEPER
        from qms.external_docs.services import record_relation

        newer = ExternalDocument(number="118/2025/NĐ-CP", kind=ExternalKind.DECREE, issuer="Chính phủ",
                                 title="Về thực hiện thủ tục hành chính theo cơ chế một cửa", effective_on=date(2025, 7, 1))
        db.session.add(newer)
        db.session.flush()
        record_relation(newer, db.session.get(ExternalDocument, decree_id), "replaces", actor=REGISTER_KEEPER)
        db.session.commit()
        flag = db.session.scalar(select(UpdateFlag))
        assert flag.document_id == document_id and flag.due_on == date(2025, 10, 1)
