"""The .xlsx import and export of the catalogue and process maps through the web: the ISO secretary uploads,
checks and imports; every reader downloads the export and the template; others may not import."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from processes import services
from processes.models import ProcessVersion
from processes.xlsx_layout import HEADER_ROW, STEPS
from qms.audit import log as audit
from qms.documents.defaults import ensure_document_types
from qms.extensions import db
from qms.org.models import Unit, UnitKind
from qms.users.models import User
from tests.conftest import AuthActions

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
READERS = ("admin", "iso_secretary", "director", "unit_head", "specialist", "one_stop_officer", "internal_auditor",
           "external_auditor")


@pytest.fixture
def people(app, make_user):
    ids = {role: make_user(role, username=role.replace("_", "."), full_name=f"Người {role}",
                           expires_on=(T0 + timedelta(days=3650)).date() if role == "external_auditor" else None)
           for role in READERS}
    with app.app_context(), audit.acting_as(audit.Actor.system("test")):
        ensure_document_types()
        for code, name, kind in (("BPMC", "Bộ phận Tiếp nhận và Trả kết quả", UnitKind.ONE_STOP),
                                 ("BCVT", "Phòng Bưu chính – Viễn thông", UnitKind.SPECIALIST)):
            db.session.add(Unit(code=code, name=name, short_name=code, kind=kind))
        db.session.flush()
        secretary = db.session.get(User, ids["iso_secretary"])
        procedure = services.create_procedure({"code": "1.004470", "name": "Cấp giấy phép bưu chính",
                                               "field": "Bưu chính", "legal_limit": "1",
                                               "legal_limit_unit": "working_days"}, actor=secretary)
        version = services.start_version(procedure, actor=secretary, now=T0)
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == "BPMC"))
        services.replace_steps(version, [{"code": "B1", "name": "Tiếp nhận", "unit_id": unit_id, "amount": "0,5"},
                                         {"code": "B2", "name": "Trả kết quả", "unit_id": unit_id, "amount": "0,5"}],
                               actor=secretary)
        db.session.commit()
    return ids


def signed_in(app, role):
    auth = AuthActions(app.test_client())
    auth.login(role.replace("_", "."))
    return auth


def download(auth, url):
    with auth.client.get(url) as response:
        return response.status_code, response.mimetype, response.data


def upload(auth, data, *, dry_run=False, name="quy-trinh.xlsx", page="/procedures/import"):
    form = {"file": (BytesIO(data), name)}
    if dry_run:
        form["dry_run"] = "y"
    with auth.post("/procedures/import", form, page=page, content_type="multipart/form-data") as r:
        return r.status_code, r.get_data(as_text=True)


def changed_time(data):
    wb = load_workbook(BytesIO(data))
    wb[STEPS.name][f"{STEPS.letter('amount')}{HEADER_ROW + 2}"] = 1
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def versions(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ProcessVersion))


@pytest.mark.parametrize("role", READERS)
def test_every_reader_downloads_the_export_and_the_template(app, people, role):
    auth = signed_in(app, role)
    for url in ("/procedures/export.xlsx", "/procedures/template.xlsx"):
        status, mimetype, data = download(auth, url)
        assert (status, mimetype) == (200, XLSX)
        assert load_workbook(BytesIO(data)).sheetnames == ["Hướng dẫn", "Thủ tục", "Quy trình", "Nhánh"]


def test_the_draft_map_is_exported_only_to_those_who_may_read_drafts(app, people):
    rows = {}
    for role in ("iso_secretary", "one_stop_officer"):
        _status, _mimetype, data = download(signed_in(app, role), "/procedures/export.xlsx")
        rows[role] = load_workbook(BytesIO(data))[STEPS.name].max_row - HEADER_ROW
    assert rows["iso_secretary"] == 2 and rows["one_stop_officer"] <= 1  # an empty bordered row at most


def test_the_secretary_checks_then_imports_and_a_reimport_changes_nothing(app, people):
    secretary = signed_in(app, "iso_secretary")
    with secretary.client.get("/procedures/import") as page:
        assert page.status_code == 200 and 'type="file"' in page.get_data(as_text=True)
    _status, _mimetype, exported = download(secretary, "/procedures/export.xlsx")
    status, html = upload(secretary, exported)
    assert status == 200 and 'data-testid="import-done"' in html
    changed = changed_time(exported)
    status, html = upload(secretary, changed, dry_run=True)
    assert status == 200 and "1.004470" in html and versions(app) == 1
    status, html = upload(secretary, changed)
    assert status == 200 and "1.004470" in html
    with app.app_context():
        version = db.session.scalars(select(ProcessVersion)).one()  # the first draft, rewritten
        assert [s.allotted_minutes for s in version.steps] == [240, 480]
        assert f"/procedures/{version.procedure_id}/versions/{version.id}" in html


def test_bad_files_are_refused_with_the_table_of_errors(app, people):
    secretary = signed_in(app, "iso_secretary")
    _status, _mimetype, exported = download(secretary, "/procedures/export.xlsx")
    wb = load_workbook(BytesIO(exported))
    wb[STEPS.name][f"{STEPS.letter('unit')}{HEADER_ROW + 1}"] = "XYZ"
    buffer = BytesIO()
    wb.save(buffer)
    status, html = upload(secretary, buffer.getvalue())
    assert status == 422 and 'data-testid="import-errors"' in html and "XYZ" in html and "Quy trình" in html
    status, html = upload(secretary, b"not a workbook", name="danh-muc.xlsx")
    assert status == 422 and "danh-muc.xlsx" in html
    assert versions(app) == 1


@pytest.mark.parametrize("role", ("specialist", "external_auditor", "admin", "director"))
def test_only_the_secretary_imports(app, people, role):
    auth = signed_in(app, role)
    with auth.client.get("/procedures/import") as page:
        assert page.status_code == 403
    _status, _mimetype, exported = download(auth, "/procedures/export.xlsx")
    status, _html = upload(auth, changed_time(exported), page="/")  # no import page for them: a token from home
    assert status == 403
    assert versions(app) == 1


def test_the_import_pages_need_a_sign_in(client):
    for url in ("/procedures/import", "/procedures/export.xlsx", "/procedures/template.xlsx"):
        with client.get(url) as response:
            assert response.status_code in (302, 401)
