"""Quality records in the web UI: categories, filing with an upload, download rights, retention, disposal, exports."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sample_files import docx_bytes, exe_bytes, pdf_bytes, xlsx_bytes
from sqlalchemy import func, select

from qms import create_app
from qms.audit.models import AuditEntry
from qms.extensions import db
from qms.files.models import StoredFile
from qms.permissions import ROLE_PERMISSIONS, Permission, Role
from qms.records import services
from qms.records.models import QualityRecord, RecordCategory
from qms.timeutil import local_today
from qms.users.models import User


@pytest.fixture
def users(make_user):
    return {"huong.nt": make_user("iso_secretary", username="huong.nt", full_name="Nguyễn Thị Hương"),
            "hoa.ltm": make_user("specialist", username="hoa.ltm", full_name="Lê Thị Minh Hoa"),
            "quantri": make_user("admin", username="quantri")}


@pytest.fixture
def category_id(app, users):
    with app.app_context():
        category = services.save_category(None, {"code": "HS-QT02-01", "name": "Phiếu kiểm soát hồ sơ TTHC",
                                                 "retention_months": 24, "location": "Bộ phận Một cửa"},
                                          actor=db.session.get(User, users["huong.nt"]))
        db.session.commit()
        return category.id


def _file_form(auth, category_id, data: bytes | None, name: str, title="Phiếu kiểm soát số 15", **extra):
    form = {"category_id": str(category_id), "title": title, "reference": "15/PKS",
            "record_date": "15/01/2026", "unit_id": "0", "notes": "", **extra}
    if data is not None:
        form["file"] = (io.BytesIO(data), name)
    return auth.post("/records/new", form, page="/records/new", content_type="multipart/form-data")


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _blobs(app) -> list[Path]:
    return [p for p in Path(app.config["FILE_STORE"]).rglob("*") if p.is_file()]


def _record_id(app, title) -> int:
    with app.app_context():
        return db.session.scalar(select(QualityRecord.id).where(QualityRecord.title == title))


# Categories ----------------------------------------------------------------------------------------------


def test_the_iso_secretary_creates_and_edits_a_category(app, auth, users):
    auth.login("huong.nt")
    response = auth.post("/records/categories/new", {
        "code": "HS-QT03-02", "name": "Sổ theo dõi góp ý", "procedure_id": "0", "keeping_unit_id": "0",
        "location": "Văn phòng", "retention_months": "", "is_permanent": "y", "disposal_method": "",
        "is_active": "y"}, page="/records/categories/new")
    assert response.status_code == 302
    with app.app_context():
        category = db.session.scalar(select(RecordCategory).where(RecordCategory.code == "HS-QT03-02"))
        assert category.retention_months is None
        category_id = category.id
    page = auth.client.get("/records/categories").get_data(as_text=True)
    assert "HS-QT03-02" in page and "Sổ theo dõi góp ý" in page
    response = auth.post(f"/records/categories/{category_id}/edit", {
        "code": "HS-QT03-02", "name": "Sổ theo dõi góp ý", "procedure_id": "0", "keeping_unit_id": "0",
        "retention_months": "", "is_active": "y"}, page="/records/categories/new")
    assert response.status_code == 422  # neither a retention nor "permanent"
    assert "retention_months" in response.get_data(as_text=True)
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "record_categories"))
        assert list(actions) == ["record_category.created"]


def test_a_duplicate_category_code_is_shown_next_to_the_field(auth, users, category_id):
    auth.login("huong.nt")
    response = auth.post("/records/categories/new", {"code": "hs-qt02-01", "name": "Trùng", "procedure_id": "0",
                                                     "keeping_unit_id": "0", "retention_months": "12"},
                         page="/records/categories/new")
    assert response.status_code == 422
    assert "hs-qt02-01" in response.get_data(as_text=True)


def test_a_specialist_reads_the_categories_but_cannot_edit_them(auth, users, category_id):
    auth.login("hoa.ltm")
    page = auth.client.get("/records/categories").get_data(as_text=True)
    assert "HS-QT02-01" in page and "/records/categories/new" not in page
    assert auth.client.get("/records/categories/new").status_code == 403


# Filing and downloading -------------------------------------------------------------------------------


@pytest.mark.parametrize("data, name, mimetype", [
    (docx_bytes(), "Phiếu kiểm soát.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (xlsx_bytes(), "Sổ theo dõi.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (pdf_bytes(), "Phiếu kiểm soát.pdf", "application/pdf"),
])
def test_a_specialist_files_a_record_and_anyone_who_reads_records_downloads_it(app, auth, users, category_id,
                                                                              data, name, mimetype):
    auth.login("hoa.ltm")
    response = _file_form(auth, category_id, data, name)
    assert response.status_code == 302, response.get_data(as_text=True)
    record_id = _record_id(app, "Phiếu kiểm soát số 15")
    assert response.headers["Location"] == f"/records/{record_id}"
    page = auth.client.get(f"/records/{record_id}").get_data(as_text=True)
    assert name in page and "15/01/2028" in page  # kept 24 months
    auth.logout()

    auth.login("quantri")  # an administrator reads records too
    download = auth.client.get(f"/records/{record_id}/download")
    body = download.get_data()
    download.close()  # send_file streams from the stored file: close it as a WSGI server would
    assert download.status_code == 200
    assert body == data
    assert download.mimetype == mimetype
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition


def test_a_renamed_program_is_refused_with_the_reason_and_nothing_is_written(app, auth, users, category_id):
    auth.login("hoa.ltm")
    response = _file_form(auth, category_id, exe_bytes(), "Biên bản.pdf")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Biên bản.pdf" in text and "MZ" in text
    assert _count(app, QualityRecord) == 0 and _count(app, StoredFile) == 0
    assert _blobs(app) == []


def test_a_text_file_renamed_pdf_is_refused(app, auth, users, category_id):
    auth.login("hoa.ltm")
    response = _file_form(auth, category_id, "Chỉ là văn bản".encode(), "ghi-chu.pdf")
    assert response.status_code == 422 and "ghi-chu.pdf" in response.get_data(as_text=True)
    assert _count(app, QualityRecord) == 0


def test_the_same_file_filed_twice_is_stored_once(app, auth, users, category_id):
    auth.login("hoa.ltm")
    data = pdf_bytes("cung noi dung")
    assert _file_form(auth, category_id, data, "a.pdf", title="Bản 1").status_code == 302
    assert _file_form(auth, category_id, data, "b.pdf", title="Bản 2").status_code == 302
    assert _count(app, QualityRecord) == 2 and _count(app, StoredFile) == 1
    assert len(_blobs(app)) == 1


@pytest.fixture(params=["streamed", "content-length"])
def small_app(request, app, database_url, tmp_path):
    """Uploads of at most 0.01 MB, checked while streamed, or also by Flask from the Content-Length
    (MAX_CONTENT_LENGTH); the ``app`` fixture empties the shared test database afterwards."""
    limits = {"MAX_UPLOAD_MB": 0.01}
    if request.param == "content-length":
        limits["MAX_CONTENT_LENGTH"] = 10_485
    small = create_app("testing", DATABASE_URL=database_url, SERVER_NAME="localhost",
                       FILE_STORE=str(tmp_path / "small"), **limits)
    yield small
    with small.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_oversize_upload_is_refused(small_app, auth, make_user):
    make_user("specialist", username="hoa.ltm")
    with small_app.app_context():
        category = RecordCategory(code="HS-1", name="Hồ sơ chất lượng thử", retention_months=12)
        db.session.add(category)
        db.session.commit()
        category_id = category.id
    auth = type(auth)(small_app.test_client())  # the same sign-in helper, on the small application
    auth.login("hoa.ltm")
    big = pdf_bytes() + b"%" + b"0" * 20_000
    response = _file_form(auth, category_id, big, "quet.pdf")
    text = response.get_data(as_text=True)
    if "MAX_CONTENT_LENGTH" in small_app.config and small_app.config["MAX_CONTENT_LENGTH"] < 20_000:
        assert response.status_code == 413  # Flask refuses the body before any view runs
    else:  # the body got past Flask: the upload is refused while streamed, with the file's name
        assert response.status_code == 422 and "quet.pdf" in text and "0.01 MB" in text
    assert _count(small_app, QualityRecord) == 0 and _count(small_app, StoredFile) == 0
    assert _blobs(small_app) == []


def test_download_is_refused_without_the_right_to_read_records(app, auth, users, category_id, monkeypatch):
    auth.login("hoa.ltm")
    assert _file_form(auth, category_id, pdf_bytes(), "a.pdf").status_code == 302
    record_id = _record_id(app, "Phiếu kiểm soát số 15")
    auth.logout()
    assert auth.client.get(f"/records/{record_id}/download").headers["Location"].startswith("/login")
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.ADMIN, ROLE_PERMISSIONS[Role.ADMIN] - {Permission.RECORDS_VIEW})
    auth.login("quantri")
    assert auth.client.get(f"/records/{record_id}/download").status_code == 403
    assert auth.client.get(f"/records/{record_id}").status_code == 403
    assert auth.client.get("/records/").status_code == 403


def test_a_record_without_a_file_has_nothing_to_download(app, auth, users, category_id):
    auth.login("hoa.ltm")
    assert _file_form(auth, category_id, None, "").status_code == 302
    record_id = _record_id(app, "Phiếu kiểm soát số 15")
    assert auth.client.get(f"/records/{record_id}/download").status_code == 404


# Lists, retention and disposal ----------------------------------------------------------------------------


@pytest.fixture
def old_records(app, users, category_id):
    """Three records past their retention (24 months), one of them with a file, and one current record."""
    with app.app_context():
        actor = db.session.get(User, users["hoa.ltm"])
        category = db.session.get(RecordCategory, category_id)
        old_day = local_today() - timedelta(days=800)
        ids = [services.file_record({"category": category, "title": f"Phiếu kiểm soát cũ {n}",
                                     "record_date": old_day + timedelta(days=n)}, actor=actor).id for n in range(3)]
        services.file_record({"category": category, "title": "Phiếu kiểm soát mới", "record_date": local_today()},
                             actor=actor)
        db.session.commit()
        return ids


def test_the_list_searches_without_diacritics_and_hides_disposed_records(app, auth, users, old_records):
    auth.login("hoa.ltm")
    page = auth.client.get("/records/?q=phieu+kiem+soat+cu").get_data(as_text=True)
    assert page.count("Phiếu kiểm soát cũ") == 3 and "Phiếu kiểm soát mới" not in page
    with app.app_context():
        record = db.session.get(QualityRecord, old_records[0])
        services.dispose_record(record, actor=db.session.get(User, users["huong.nt"]), note="BB 01")
        db.session.commit()
    page = auth.client.get("/records/").get_data(as_text=True)
    assert "Phiếu kiểm soát cũ 0" not in page and "Phiếu kiểm soát cũ 1" in page
    page = auth.client.get("/records/?status=disposed").get_data(as_text=True)
    assert "Phiếu kiểm soát cũ 0" in page and "Phiếu kiểm soát cũ 1" not in page
    assert auth.client.get("/records/?year=abc&unit=x&page=99").status_code == 200
    # A disposed record's file is kept for the records keeper, not handed out to everyone.
    assert auth.client.get(f"/records/{old_records[0]}/download").status_code in (403, 404)


def test_the_retention_list_and_disposal_of_several_records(app, auth, users, old_records):
    auth.login("huong.nt")
    home = auth.client.get("/").get_data(as_text=True)
    assert "Phiếu kiểm soát cũ 0" in home
    page = auth.client.get("/records/retention-ended").get_data(as_text=True)
    assert all(f"Phiếu kiểm soát cũ {n}" in page for n in range(3)) and "Phiếu kiểm soát mới" not in page

    response = auth.post("/records/retention-ended/dispose", {"record_ids": [str(i) for i in old_records[:2]],
                                                              "note": ""}, page="/records/retention-ended")
    assert response.status_code == 422  # the minutes are required
    response = auth.post("/records/retention-ended/dispose",
                         {"record_ids": [str(i) for i in old_records[:2]],
                          "note": "Biên bản hủy số 02/BB-STTTT ngày 10/3/2026; hủy bằng máy hủy giấy"},
                         page="/records/retention-ended")
    assert response.status_code == 302
    with app.app_context():
        disposed = db.session.scalars(select(QualityRecord).where(QualityRecord.disposed_at.is_not(None))).all()
        assert sorted(r.id for r in disposed) == sorted(old_records[:2])
        assert all(r.disposed_by_id == users["huong.nt"] for r in disposed)
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "record.disposed")).all()
        assert sorted(int(e.object_id) for e in entries) == sorted(old_records[:2])
        assert all(e.actor_id == users["huong.nt"] for e in entries)
    page = auth.client.get(f"/records/{old_records[0]}").get_data(as_text=True)
    assert "Biên bản hủy số 02/BB-STTTT" in page and "Nguyễn Thị Hương" in page

    # The last one from its own page.
    response = auth.post(f"/records/{old_records[2]}/dispose", {"note": "Biên bản hủy số 03"},
                         page=f"/records/{old_records[2]}")
    assert response.status_code == 302
    again = auth.post(f"/records/{old_records[2]}/dispose", {"note": "lần nữa"}, page=f"/records/{old_records[2]}",
                      follow_redirects=True)
    assert again.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QualityRecord)) == 4  # nothing deleted
        assert db.session.get(QualityRecord, old_records[2]).disposal_note == "Biên bản hủy số 03"


def test_a_record_within_its_retention_cannot_be_disposed_of(app, auth, users, old_records):
    auth.login("huong.nt")
    current = _record_id(app, "Phiếu kiểm soát mới")
    assert "dispose-form" not in auth.client.get(f"/records/{current}").get_data(as_text=True)
    auth.post(f"/records/{current}/dispose", {"note": "BB"}, page=f"/records/{current}")
    with app.app_context():
        assert db.session.get(QualityRecord, current).disposed_at is None


# Exports --------------------------------------------------------------------------------------------------


def test_the_records_export_follows_the_filters_and_never_writes_formulas(app, auth, users, category_id):
    auth.login("hoa.ltm")
    assert _file_form(auth, category_id, None, "", title="=HYPERLINK(\"http://x\",\"bấm\")").status_code == 302
    assert _file_form(auth, category_id, None, "", title="Sổ tiếp nhận").status_code == 302
    response = auth.client.get("/records/export.xlsx?q=so+tiep")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "Sổ tiếp nhận" in values and not any(str(v).startswith("=HYPERLINK") for v in values)
    everything = load_workbook(io.BytesIO(auth.client.get("/records/export.xlsx").data)).active
    cells = [c for row in everything.iter_rows() for c in row if c.value == "=HYPERLINK(\"http://x\",\"bấm\")"]
    assert cells and cells[0].data_type == "s"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "records.exported")) == 2


def test_the_categories_export(app, auth, users, category_id):
    auth.login("hoa.ltm")
    response = auth.client.get("/records/categories/export.xlsx")
    assert response.status_code == 200
    assert re.search(r'filename="danh-muc-ho-so-chat-luong-\d{8}\.xlsx"', response.headers["Content-Disposition"])
    values = [c for row in load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True) for c in row]
    assert "HS-QT02-01" in values and "Bộ phận Một cửa" in values


def test_the_pages_render_in_english_too(app, auth, users, old_records):
    auth.client.set_cookie("qms_lang", "en")
    auth.login("huong.nt")
    for url in ("/records/", "/records/categories", "/records/retention-ended", "/records/new",
                "/records/categories/new", f"/records/{old_records[0]}", "/"):
        response = auth.client.get(url)
        assert response.status_code == 200, url
    assert "Quality records" in auth.client.get("/records/").get_data(as_text=True)
