"""The register of external documents over HTTP: search, forms, relations, flags, export, home panel."""

from __future__ import annotations

from datetime import date, datetime, timezone
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from qms.audit import log as audit
from qms.documents.defaults import ensure_document_types
from qms.documents.models import (
    ChangeKind,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentType,
    Revision,
    RevisionState,
)
from qms.external_docs import services
from qms.external_docs.models import ExternalDocument, ExternalKind, ExternalStatus, RevisionCitation, UpdateFlag
from qms.extensions import db
from qms.users.models import User

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def register(app, make_user):
    """The ISO secretary, a director and a specialist; NĐ 61/2018 cited by QT-01 in force, NĐ 118/2025."""
    ids = {"secretary": make_user("iso_secretary", username="huong.nt"),
           "director": make_user("director", username="hung.lv"),
           "head": make_user("unit_head", username="lan.tt"),
           "specialist": make_user("specialist", username="hoa.ltm")}
    with app.app_context(), audit.acting_as(audit.Actor.system("test")):
        secretary = db.session.get(User, ids["secretary"])
        nd61 = services.create_external_document(
            {"number": "61/2018/NĐ-CP", "kind": "decree", "issuer": "Chính phủ",
             "title": "Nghị định 61/2018/NĐ-CP về thực hiện cơ chế một cửa, một cửa liên thông trong giải quyết "
                      "thủ tục hành chính", "issued_on": date(2018, 4, 23), "effective_on": date(2018, 6, 21)},
            actor=secretary)
        nd118 = services.create_external_document(
            {"number": "118/2025/NĐ-CP", "kind": "decree", "issuer": "Chính phủ",
             "title": "Về thực hiện thủ tục hành chính theo cơ chế một cửa, một cửa liên thông tại Bộ phận Một cửa "
                      "và Cổng Dịch vụ công quốc gia", "issued_on": date(2025, 6, 9),
             "effective_on": date(2025, 7, 1)}, actor=secretary)
        ensure_document_types()
        doc_type = db.session.scalar(select(DocumentType).where(DocumentType.kind == DocumentKind.PROCEDURE))
        document = Document(code="QT-01", title="Quy trình cấp giấy phép bưu chính", type_id=doc_type.id,
                            status=DocumentStatus.EFFECTIVE)
        db.session.add(document)
        db.session.flush()
        revision = Revision(document_id=document.id, issue_no=1, revision_no=0, change_kind=ChangeKind.FIRST_ISSUE,
                            title=document.title, state=RevisionState.EFFECTIVE, drafted_by_id=ids["specialist"],
                            reviewed_by_id=ids["head"], reviewed_at=NOW, approved_by_id=ids["director"],
                            approved_at=NOW, content_sha256="0" * 64, issued_on=NOW.date(), effective_at=NOW)
        db.session.add(revision)
        db.session.flush()
        db.session.add(RevisionCitation(revision_id=revision.id, external_document_id=nd61.id, note="Điều 16"))
        db.session.commit()
        ids.update(nd61=nd61.id, nd118=nd118.id, document=document.id)
    return ids


def test_the_register_searches_without_diacritics(client, auth, register):
    auth.login("hoa.ltm")
    page = client.get("/external-documents/?q=nghi+dinh+61").get_data(as_text=True)
    assert "61/2018/NĐ-CP" in page and "118/2025/NĐ-CP" not in page
    page = client.get("/external-documents/?q=cong+dich+vu+cong").get_data(as_text=True)
    assert "118/2025/NĐ-CP" in page and "61/2018/NĐ-CP" not in page
    page = client.get("/external-documents/?kind=circular").get_data(as_text=True)
    assert "61/2018/NĐ-CP" not in page
    assert "/external-documents/new" not in page  # a specialist reads, never keeps the register


def test_the_secretary_registers_a_text_and_a_duplicate_number_is_refused(client, auth, register, app):
    auth.login("huong.nt")
    data = {"number": "01/2018/TT-VPCP", "kind": "circular", "issuer": "Văn phòng Chính phủ",
            "title": "Hướng dẫn thi hành một số quy định của Nghị định số 61/2018/NĐ-CP", "issued_on": "23/11/2018",
            "effective_on": "06/01/2019", "status": "in_force", "url": "", "notes": ""}
    response = auth.post("/external-documents/new", data, page="/external-documents/new")
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalar(select(ExternalDocument).where(ExternalDocument.number == "01/2018/TT-VPCP"))
        assert created.effective_on == date(2019, 1, 6) and created.kind == ExternalKind.CIRCULAR
    response = auth.post("/external-documents/new", {**data, "number": " 01/2018/tt-vpcp "},
                         page="/external-documents/new")
    assert response.status_code == 422
    assert "01/2018/TT-VPCP" in response.get_data(as_text=True)
    edit_url = f"/external-documents/{register['nd118']}/edit"
    response = auth.post(edit_url, {**data, "number": "61/2018/nđ-cp"}, page=edit_url)
    assert response.status_code == 422 and "61/2018/NĐ-CP" in response.get_data(as_text=True)


def test_recording_a_replacement_flags_the_citing_document(client, auth, register, app):
    auth.login("huong.nt")
    detail = f"/external-documents/{register['nd118']}"
    page = client.get(detail).get_data(as_text=True)
    assert f"{detail}/relations" in page
    response = auth.post(f"{detail}/relations", {"kind": "replaces", "target_id": register["nd61"],
                                                  "effective_on": ""}, page=detail)
    assert response.status_code == 302
    with app.app_context():
        flag = db.session.scalar(select(UpdateFlag))
        assert flag.document_id == register["document"] and flag.due_on == date(2025, 10, 1)
        assert db.session.get(ExternalDocument, register["nd61"]).status == ExternalStatus.EXPIRED
    page = client.get(detail).get_data(as_text=True)
    assert "QT-01" in page and "01/10/2025" in page
    older = client.get(f"/external-documents/{register['nd61']}").get_data(as_text=True)
    assert "118/2025/NĐ-CP" in older and "QT-01" in older and "Điều 16" in older
    flags = client.get("/external-documents/flags").get_data(as_text=True)
    assert "QT-01" in flags and 'class="overdue"' in flags and f"/documents/{register['document']}" in flags
    home = client.get("/").get_data(as_text=True)
    assert "panel-danger" in home and "QT-01" in home


def test_a_relation_without_a_target_is_refused_with_a_message(client, auth, register):
    auth.login("huong.nt")
    detail = f"/external-documents/{register['nd118']}"
    response = auth.post(f"{detail}/relations", {"kind": "replaces", "target_id": 0}, page=detail)
    assert response.status_code == 302
    assert client.get(detail).status_code == 200


def test_the_director_sees_the_panel_and_a_specialist_does_not(client, auth, register, app):
    with app.app_context():
        secretary = db.session.get(User, register["secretary"])
        services.record_relation(db.session.get(ExternalDocument, register["nd118"]),
                                 db.session.get(ExternalDocument, register["nd61"]), "replaces", actor=secretary)
        db.session.commit()
    auth.login("hung.lv")
    home = client.get("/").get_data(as_text=True)
    assert "QT-01" in home and "panel-danger" in home
    auth.logout()
    auth.login("hoa.ltm")
    assert "QT-01" not in client.get("/").get_data(as_text=True)


def test_the_export_is_a_workbook_without_formulas(client, auth, register, app):
    with app.app_context():
        secretary = db.session.get(User, register["secretary"])
        services.create_external_document({"number": "99/2026/QĐ-UBND", "kind": "decision", "issuer": "UBND tỉnh",
                                           "title": "=HYPERLINK(\"http://evil\",\"x\")"}, actor=secretary)
        services.record_relation(db.session.get(ExternalDocument, register["nd118"]),
                                 db.session.get(ExternalDocument, register["nd61"]), "replaces", actor=secretary)
        db.session.commit()
    auth.login("hoa.ltm")
    response = client.get("/external-documents/export.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    sheet = load_workbook(BytesIO(response.data)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "=HYPERLINK(\"http://evil\",\"x\")" in values
    assert any(isinstance(v, str) and "118/2025/NĐ-CP" in v and "01/07/2025" in v for v in values)
    assert date(2018, 6, 21) in [v.date() if isinstance(v, datetime) else v for v in values]
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"formula in {cell.coordinate}: {cell.value}"
    filtered = load_workbook(BytesIO(client.get("/external-documents/export.xlsx?q=nghi+dinh+61").data)).active
    numbers = [cell.value for row in filtered.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert "61/2018/NĐ-CP" in numbers and "99/2026/QĐ-UBND" not in numbers
