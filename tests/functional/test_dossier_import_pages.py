"""The dossier import pages (issue 5): upload → map the columns once → progress → report; a refused file's
errors on the page and as .xlsx; the next file with the same columns goes straight through; who may import."""

from __future__ import annotations

import io
import re
import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from processes.dossiers import import_jobs
from processes.dossiers.import_models import ColumnMapping, DossierImport
from processes.dossiers.models import Dossier, StepRun
from qms.extensions import db
from tests.conftest import AuthActions
from tests.process_samples import approve, draft_first_version, setup_people

HEADER = "Mã hồ sơ,Mã TTHC,Ngày tiếp nhận,Mã bước,Thời điểm,Người xử lý"
TIMES = ["25/04/2024 15:40", "26/04/2024 08:30", "17/05/2024 16:00", "21/05/2024 10:15", "23/05/2024 16:20",
         "24/05/2024 09:10", "24/05/2024 15:00"]


def csv_file(code="000.00.17.H99-240425-0007", times=TIMES) -> bytes:
    rows = [f"{code},1.004470,25/04/2024 14:30,B{n},{at},Nguyễn Thị Thảo" for n, at in enumerate(times, start=1)]
    return ("\n".join([HEADER] + rows) + "\n").encode("utf-8-sig")


@pytest.fixture
def procedure(app, make_user):
    from datetime import datetime

    from qms.timeutil import agency_zone

    with app.app_context():
        team = setup_people(make_user)
        procedure, version = draft_first_version(team)
        approve(team, version, at=datetime(2024, 4, 1, 9, 0, tzinfo=agency_zone()))
        return procedure.id


def _as(app, username) -> AuthActions:
    actions = AuthActions(app.test_client())
    actions.client.set_cookie("qms_lang", "en")
    assert actions.login(username).status_code == 302
    return actions


def upload(actions: AuthActions, content: bytes, name: str):
    token = actions.csrf_token("/dossiers/imports/")
    return actions.client.post("/dossiers/imports/", data={"csrf_token": token, "file": (io.BytesIO(content), name)},
                               content_type="multipart/form-data")


def wait_until_over(actions: AuthActions, import_id: int) -> dict:
    import_jobs.wait_for(import_id, timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        data = actions.client.get(f"/dossiers/imports/{import_id}/progress").get_json()
        if data["over"]:
            return data
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


def _import_id(response) -> int:
    return int(re.search(r"/dossiers/imports/(\d+)", response.headers["Location"]).group(1))


def test_upload_map_follow_the_progress_and_read_the_report(app, procedure):
    officer = _as(app, "thao.nt")
    response = upload(officer, csv_file(), "mot-cua.csv")
    assert response.status_code == 302 and response.headers["Location"].endswith("/mapping")
    import_id = _import_id(response)
    page = officer.client.get(f"/dossiers/imports/{import_id}/mapping").get_data(as_text=True)
    assert "Map the columns of mot-cua.csv" in page and 'data-testid="sample"' in page
    assert re.search(r'<option value="Thời điểm" selected>', page)  # suggested from the header
    form = {"csrf_token": officer.csrf_token(f"/dossiers/imports/{import_id}/mapping"), "layout": "events",
            "name": "Hệ thống một cửa", "date_format": "", "save": "1", "field-code": "Mã hồ sơ",
            "field-procedure_code": "Mã TTHC", "field-activity": "Mã bước", "field-time": "Thời điểm",
            "field-handler": "Người xử lý", "field-received_at": "Ngày tiếp nhận"}
    response = officer.client.post(f"/dossiers/imports/{import_id}/mapping", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/dossiers/imports/{import_id}")
    running = officer.client.get(f"/dossiers/imports/{import_id}")
    assert running.status_code == 200
    assert wait_until_over(officer, import_id)["status"] == "done"
    page = officer.client.get(f"/dossiers/imports/{import_id}").get_data(as_text=True)
    assert 'data-testid="import-done"' in page and "1 dossiers added" in page and "7 steps recorded" in page
    assert "dossier_import.js" not in page  # no polling once it is over
    with app.app_context():
        assert db.session.scalar(select(func.count(StepRun.id))) == 7
        mapping = db.session.scalar(select(ColumnMapping))
        assert mapping.name == "Hệ thống một cửa" and mapping.created_by.username == "thao.nt"
        assert db.session.get(DossierImport, import_id).created_by.username == "thao.nt"
    # the same columns again: no mapping page, and nothing new
    again = upload(officer, csv_file(), "mot-cua-lan-2.csv")
    assert again.status_code == 302 and not again.headers["Location"].endswith("/mapping")
    assert wait_until_over(officer, _import_id(again))["status"] == "done"
    page = officer.client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Nothing new" in page and 'data-testid="same-file"' in page
    listing = officer.client.get("/dossiers/imports/").get_data(as_text=True)
    assert "mot-cua.csv" in listing and "Hệ thống một cửa" in listing


def test_a_refused_file_lists_its_errors_and_they_download_as_xlsx(app, procedure):
    officer = _as(app, "thao.nt")
    first = upload(officer, csv_file(), "dung.csv")
    form = {"csrf_token": officer.csrf_token(first.headers["Location"]), "layout": "events", "name": "một cửa",
            "save": "1", "field-code": "Mã hồ sơ", "field-procedure_code": "Mã TTHC", "field-activity": "Mã bước",
            "field-time": "Thời điểm", "field-received_at": "Ngày tiếp nhận"}
    officer.client.post(first.headers["Location"], data=form)
    wait_until_over(officer, _import_id(first))
    with app.app_context():
        before = (db.session.scalar(select(func.count(Dossier.id))), db.session.scalar(select(func.count(StepRun.id))))
    bad = csv_file(code="000.00.17.H99-240425-0009", times=TIMES[:2] + ["32/05/2024 10:00", "26/04/2024 08:00"])
    response = upload(officer, bad, "sai.csv")
    import_id = _import_id(response)
    assert wait_until_over(officer, import_id)["status"] == "refused"
    page = officer.client.get(f"/dossiers/imports/{import_id}").get_data(as_text=True)
    assert 'data-testid="import-refused"' in page and "sai.csv!R4" in page and "32/05/2024 10:00" in page
    download = officer.client.get(f"/dossiers/imports/{import_id}/errors.xlsx")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(download.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] and row[0].startswith("Vị trí"))
    assert rows[header] == ("Vị trí (sheet!dòng)", "Cột", "Giá trị", "Quy tắc")
    wrong = {(row[0], row[1], row[2]) for row in rows[header + 1:]}
    assert ("sai.csv!R4", "Thời điểm", "32/05/2024 10:00") in wrong
    assert ("sai.csv!R5", "Thời điểm", "26/04/2024 08:00") in wrong  # before the previous event: out of order
    with app.app_context():
        after = (db.session.scalar(select(func.count(Dossier.id))), db.session.scalar(select(func.count(StepRun.id))))
    assert after == before


def test_a_renamed_workbook_is_refused_on_the_form(app, procedure):
    officer = _as(app, "thao.nt")
    response = upload(officer, b"PK\x03\x04" + b"\0" * 100, "ho-so.csv")
    assert response.status_code == 422
    assert "ho-so.csv is refused" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(DossierImport.id))) == 0


@pytest.mark.parametrize("username, allowed", [("thao.nt", True), ("huong.nt", True), ("hoa.ltm", False),
                                               ("hung.lv", False), ("quang.nv", False)])
def test_only_the_one_stop_officer_and_the_iso_secretary_import(app, procedure, username, allowed):
    user = _as(app, username)
    assert user.client.get("/dossiers/imports/").status_code == (200 if allowed else 403)
    nav = user.client.get("/").get_data(as_text=True)
    assert ('href="/dossiers/imports/"' in nav) == allowed


def test_the_pages_need_a_sign_in(app, procedure):
    client = app.test_client()
    for url in ("/dossiers/imports/", "/dossiers/imports/1", "/dossiers/imports/1/progress",
                "/dossiers/imports/1/mapping", "/dossiers/imports/1/errors.xlsx"):
        assert client.get(url).status_code in (302, 401), url
