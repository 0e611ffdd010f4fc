"""Uploads are checked by content, size-limited while streamed, and stored once under their SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from flask_babel import force_locale
from sample_files import (docx_bytes, exe_bytes, macro_docx_bytes, pdf_bytes, plain_zip_bytes, png_bytes, upload,
                          xlsx_bytes)
from sqlalchemy import func, select

from qms import create_app
from qms.audit.models import AuditEntry
from qms.extensions import db
from qms.files.models import StoredFile
from qms.files.storage import (OFFICE_KINDS, UploadRefused, open_stored, sanitise_filename, store_upload,
                               stored_path)
from qms.users.models import User


@pytest.fixture
def actor(ctx, make_user):
    return db.session.get(User, make_user("iso_secretary", username="huong.nt"))


def _stored_blobs(app) -> list[Path]:
    root = Path(app.config["FILE_STORE"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _row_count() -> int:
    return db.session.scalar(select(func.count()).select_from(StoredFile))


@pytest.mark.parametrize("data, name, kind, mime", [
    (docx_bytes(), "Biên bản họp xem xét.docx", "docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (xlsx_bytes(), "Sổ theo dõi.xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (pdf_bytes(), "Quyết định.PDF", "pdf", "application/pdf"),
    (png_bytes(), "scan.png", "png", "image/png"),
])
def test_real_office_files_are_accepted_with_their_kind_read_from_the_content(ctx, actor, data, name, kind, mime):
    stored, filename = store_upload(upload(data, name), actor=actor, allowed_kinds=OFFICE_KINDS)
    db.session.commit()
    assert filename == name
    assert (stored.kind, stored.mime_type, stored.size) == (kind, mime, len(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.created_by_id == actor.id
    path = open_stored(stored)
    assert path == stored_path(stored.sha256)
    assert path.relative_to(ctx.config["FILE_STORE"]).parts == (stored.sha256[:2], stored.sha256[2:4], stored.sha256)
    assert path.read_bytes() == data


@pytest.mark.parametrize("data, name, rule, explained", [
    (exe_bytes(), "Biên bản.pdf", "unrecognised", "Windows program (MZ header)"),  # a renamed .exe
    (exe_bytes(), "setup.docx", "unrecognised", "Windows program (MZ header)"),
    ("Đây chỉ là văn bản thuần.\n".encode(), "ghi-chu.pdf", "unrecognised", "unrecognised type"),  # text as .pdf
    (plain_zip_bytes(), "bao-cao.docx", "unrecognised", "ZIP archive, not a Word or Excel"),  # zip, not OOXML
    (macro_docx_bytes(), "mau.docx", "unrecognised", "with macros"),
    (pdf_bytes(), "bao-cao.docx", "extension_mismatch", "PDF document"),  # a .docx that is really a PDF
    (docx_bytes(), "bang-tinh.xlsx", "extension_mismatch", "Word document"),
    (pdf_bytes(), "khong-co-duoi", "extension_mismatch", "PDF document"),
])
def test_impostors_are_refused_naming_the_file_and_the_rule_and_nothing_is_written(ctx, actor, data, name, rule,
                                                                                   explained):
    with force_locale("en"), pytest.raises(UploadRefused) as refused:
        store_upload(upload(data, name), actor=actor, allowed_kinds=OFFICE_KINDS)
    db.session.rollback()
    assert refused.value.rule == rule
    assert name in refused.value.message and explained in refused.value.message
    assert refused.value.field == "file"
    assert _row_count() == 0
    assert _stored_blobs(ctx) == []  # not even a temporary file is left


def test_the_refusal_is_in_vietnamese_by_default(ctx, actor):
    with pytest.raises(UploadRefused) as refused:
        store_upload(upload(exe_bytes(), "Biên bản.pdf"), actor=actor)
    assert refused.value.message.startswith("Tệp Biên bản.pdf")


def test_a_kind_not_allowed_here_is_refused(ctx, actor):
    with pytest.raises(UploadRefused) as refused:
        store_upload(upload(png_bytes(), "so-do.png"), actor=actor, allowed_kinds={"docx", "pdf"})
    assert refused.value.rule == "not_allowed"
    assert _row_count() == 0


def test_an_empty_file_and_no_file_are_refused(ctx, actor):
    with pytest.raises(UploadRefused) as refused:
        store_upload(upload(b"", "rong.pdf"), actor=actor)
    assert refused.value.rule == "empty"
    for missing in (upload(pdf_bytes(), ""), None):
        with pytest.raises(UploadRefused) as refused:
            store_upload(missing, actor=actor)
        assert refused.value.rule == "no_file"
    assert _stored_blobs(ctx) == []


def test_the_same_content_is_stored_once_under_each_name(ctx, actor):
    data = docx_bytes("Cùng một nội dung")
    first, first_name = store_upload(upload(data, "ban-goc.docx"), actor=actor)
    db.session.commit()
    second, second_name = store_upload(upload(data, "ban-sao.docx"), actor=actor)
    db.session.commit()
    assert first.id == second.id
    assert (first_name, second_name) == ("ban-goc.docx", "ban-sao.docx")
    assert _row_count() == 1
    assert len(_stored_blobs(ctx)) == 1
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "file.stored")).all()
    assert len(entries) == 1 and "ban-goc.docx" in entries[0].summary


def test_a_stored_file_lost_from_the_disk_is_repaired_by_the_next_upload(ctx, actor):
    data = pdf_bytes("mat tep")
    stored, _name = store_upload(upload(data, "a.pdf"), actor=actor)
    db.session.commit()
    stored_path(stored.sha256).unlink()
    with pytest.raises(FileNotFoundError):
        open_stored(stored)
    again, _name = store_upload(upload(data, "a.pdf"), actor=actor)
    assert again.id == stored.id
    assert open_stored(again).read_bytes() == data


@pytest.fixture
def small_app(app, database_url, tmp_path):
    """An application that accepts uploads of at most 0.01 MB (10 485 bytes); the ``app`` fixture empties
    the shared test database afterwards."""
    small = create_app("testing", DATABASE_URL=database_url, MAX_UPLOAD_MB=0.01, FILE_STORE=str(tmp_path / "small"))
    yield small
    with small.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_oversize_upload_is_refused_while_streamed_even_if_content_length_lied(small_app, make_user):
    big = pdf_bytes() + b"%" + b"0" * 20_000
    with small_app.app_context():
        actor = db.session.get(User, make_user("iso_secretary"))
        with pytest.raises(UploadRefused) as refused:
            store_upload(upload(big, "quet-ho-so.pdf", content_length=900), actor=actor)
        assert refused.value.rule == "too_large"
        assert "quet-ho-so.pdf" in refused.value.message and "0.01 MB" in refused.value.message
        db.session.rollback()
        assert _row_count() == 0
        assert _stored_blobs(small_app) == []
        # Just under the limit passes.
        stored, _name = store_upload(upload(pdf_bytes(), "nho.pdf"), actor=actor)
        assert stored.size < 10_485


@pytest.mark.parametrize("raw, clean", [
    ("C:\\Users\\lan\\Desktop\\Biên bản họp.docx", "Biên bản họp.docx"),
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("  ..hidden.pdf ", "hidden.pdf"),
    ("Báo cáo: quý <1>?.xlsx", "Báo cáo_ quý _1__.xlsx"),
    ("tab\tand\nnewline.pdf", "tab_and_newline.pdf"),
    ("Quye\u0302\u0301t đi\u0323nh.pdf", "Quyết định.pdf"),  # decomposed (NFD) Vietnamese becomes NFC
    ("a" * 300 + ".docx", "a" * 195 + ".docx"),
    (None, ""),
])
def test_filenames_are_sanitised_keeping_vietnamese_letters(raw, clean):
    assert sanitise_filename(raw) == clean


def test_two_requests_storing_the_same_bytes_at_once_share_one_row(app, make_user):
    """The second insert waits on the first one's unique key, fails, and reuses its row (PostgreSQL)."""
    import threading
    import time

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises writers itself")
    actor_id = make_user("iso_secretary")
    data = pdf_bytes("dong thoi")
    first_flushed, results, errors = threading.Event(), {}, []

    def first():
        with app.app_context():
            stored, _name = store_upload(upload(data, "a.pdf"), actor=db.session.get(User, actor_id))
            results["first"] = stored.id
            first_flushed.set()
            time.sleep(1.0)  # the second request is now blocked on the unique index
            db.session.commit()

    def second():
        try:
            with app.app_context():
                first_flushed.wait(10)
                stored, _name = store_upload(upload(data, "b.pdf"), actor=db.session.get(User, actor_id))
                results["second"] = stored.id
                db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert results["first"] == results["second"]
    with app.app_context():
        assert _row_count() == 1
