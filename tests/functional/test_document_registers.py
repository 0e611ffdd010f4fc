"""Code patterns, distribution lists and the acknowledgement register, through the pages."""

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from qms.documents.models import DocumentKind, DocumentType
from qms.extensions import db
from tests.conftest import DEMO_PASSWORD
from tests.functional.test_documents_http import _as, _create_and_write, _url, team  # noqa: F401 - fixture


def test_the_iso_secretary_sets_a_code_pattern(app, team):  # noqa: F811
    secretary = _as(app, "huong.nt")
    procedure = team["procedure_type"]
    bad = secretary.post("/documents/types", {"type_id": procedure, "code_pattern": "QT-{x}", "next_number": "5"},
                         page="/documents/types", follow_redirects=True)
    assert "QT-{x}" in bad.get_data(as_text=True)
    secretary.post("/documents/types", {"type_id": procedure, "code_pattern": "QT.ISO.{n:02}", "next_number": "7"},
                   page="/documents/types")
    assert "QT.ISO.07" in secretary.client.get("/documents/types").get_data(as_text=True)
    with app.app_context():
        form_type = db.session.scalar(select(DocumentType.id).where(DocumentType.kind == DocumentKind.FORM))
    refused = secretary.post("/documents/types", {"type_id": form_type, "code_pattern": "BM-{n:02}"},
                             page="/documents/types", follow_redirects=True)
    assert "{parent}" in refused.get_data(as_text=True)
    assert _as(app, "hoa.ltm").client.get("/documents/types").status_code == 403


def test_distribution_then_read_and_confirm_register(app, team):  # noqa: F811
    secretary, document_id, revision_id = _create_and_write(app, team)
    secretary.post(f"{_url(document_id, revision_id)}/distribution",
                   {"user_ids": [str(team["specialist"]), str(team["head"])]}, page=_url(document_id, revision_id))
    for actor, action in (("huong.nt", "submit"), ("lan.tt", "review"), ("hung.lv", "approve")):
        _as(app, actor).post(_url(document_id, revision_id, action), {"password": DEMO_PASSWORD},
                             page=_url(document_id, revision_id))
    specialist = _as(app, "hoa.ltm")
    home = specialist.client.get("/").get_data(as_text=True)
    assert "QT-01" in home  # "read and confirm" waits on the home page
    specialist.post(_url(document_id, revision_id, "acknowledge"), page=_url(document_id, revision_id))
    register = secretary.client.get(f"{_url(document_id, revision_id)}/acknowledgements").get_data(as_text=True)
    assert "Lê Thị Mai Hoa" in register and "Trần Thị Lan" in register
    workbook = load_workbook(BytesIO(secretary.client.get(
        f"{_url(document_id, revision_id)}/acknowledgements?format=xlsx").data))
    values = [c.value for row in workbook.active.iter_rows() for c in row]
    assert "Lê Thị Mai Hoa" in values and "Trần Thị Lan" in values
