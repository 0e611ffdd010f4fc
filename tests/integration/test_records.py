"""Quality records services: categories, filing with retention, search, disposal, and their audit trail."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from flask_babel import force_locale
from sample_files import docx_bytes, exe_bytes, pdf_bytes, upload
from sqlalchemy import func, select

from qms.audit.models import AuditEntry
from qms.errors import Conflict, Forbidden
from qms.extensions import db
from qms.files.models import StoredFile
from qms.files.storage import UploadRefused, open_stored
from qms.org.models import Unit
from qms.records import services
from qms.records.models import QualityRecord
from qms.records.panels import retention_panel
from qms.records.services import RecordFilters
from qms.users.models import User

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=timezone.utc)  # 10/03/2026 10:00 in Gia Lai


@pytest.fixture
def people(ctx, make_user):
    ids = {name: make_user(role, username=name) for name, role in (
        ("huong.nt", "iso_secretary"), ("hoa.ltm", "specialist"), ("quantri", "admin"))}
    ids["kiemtoan"] = make_user("external_auditor", username="kiemtoan", expires_on=date(2099, 1, 1))
    return {name: db.session.get(User, user_id) for name, user_id in ids.items()}


@pytest.fixture
def category(people):
    return services.save_category(None, {"code": "HS-QT01-01", "name": "Biên bản họp xem xét của lãnh đạo",
                                         "retention_months": 60, "location": "Tủ hồ sơ Văn phòng",
                                         "disposal_method": "Hủy bằng máy hủy giấy"}, actor=people["huong.nt"])


def _actions(object_type: str) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == object_type)
                                   .order_by(AuditEntry.seq)))


def _file(people, category, title="Biên bản họp", record_date=date(2020, 1, 15), upload_=None, **values):
    return services.file_record({"category": category, "title": title, "record_date": record_date, **values},
                                upload_, actor=people["hoa.ltm"], now=NOW)


# Categories -----------------------------------------------------------------------------------------------


def test_the_iso_secretary_keeps_the_categories_and_every_change_is_audited(people, category):
    db.session.commit()
    services.save_category(category, {"code": "HS-QT01-01", "name": category.name, "retention_months": None},
                           actor=people["huong.nt"])
    db.session.commit()
    assert category.retention_months is None
    assert _actions("record_categories") == ["record_category.created", "record_category.updated"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "record_category.updated")).one()
    assert json.loads(entry.changes) == {"before": {"retention_months": 60}, "after": {"retention_months": None}}


def test_category_codes_are_unique_whatever_their_case(people, category):
    with pytest.raises(Conflict) as clash:
        services.save_category(None, {"code": "hs-qt01-01", "name": "Trùng mã"}, actor=people["huong.nt"])
    assert clash.value.field == "code"


@pytest.mark.parametrize("who", ["hoa.ltm", "kiemtoan", "quantri"])
def test_only_the_records_keeper_edits_categories(people, who):
    with pytest.raises(Forbidden):
        services.save_category(None, {"code": "X", "name": "X", "retention_months": 12}, actor=people[who])


def test_retention_is_shown_in_years_when_it_is_whole_years(ctx):
    with force_locale("en"):
        assert [services.retention_text(m) for m in (None, 60, 18)] == ["Permanent", "5 years", "18 months"]
    assert services.retention_text(60) == "5 năm"


# Filing --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("record_date, months, until", [
    (date(2020, 1, 15), 60, date(2025, 1, 15)),
    (date(2025, 8, 31), 6, date(2026, 2, 28)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2023, 12, 31), 2, date(2024, 2, 29)),
    (date(2020, 1, 15), None, None),
])
def test_retain_until_is_the_record_date_plus_the_retention(record_date, months, until):
    assert services.compute_retain_until(record_date, months) == until


def test_filing_a_record_with_a_real_docx(people, category):
    data = docx_bytes()
    record = _file(people, category, upload_=upload(data, "Biên bản họp 15-01-2020.docx"),
                   reference="01/BB-STTTT", notes="Bản chính lưu tại Văn phòng")
    db.session.commit()
    assert record.retain_until == date(2025, 1, 15)
    assert record.filename == "Biên bản họp 15-01-2020.docx"
    assert record.file.kind == "docx" and open_stored(record.file).read_bytes() == data
    assert record.created_by_id == people["hoa.ltm"].id
    assert _actions("quality_records") == ["record.filed"]
    assert _actions("stored_files") == ["file.stored"]


def test_a_paper_record_has_no_file(people, category):
    record = _file(people, category)
    assert record.file is None and record.filename == ""


def test_a_renamed_program_is_refused_and_no_record_is_written(ctx, people, category):
    db.session.commit()
    with pytest.raises(UploadRefused):
        _file(people, category, upload_=upload(exe_bytes(), "Biên bản.pdf"))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(QualityRecord)) == 0
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert not [p for p in Path(ctx.config["FILE_STORE"]).rglob("*") if p.is_file()]


def test_filing_is_refused_for_an_unused_category_a_future_date_or_a_reader(people, category):
    with pytest.raises(Conflict) as future:
        _file(people, category, record_date=date(2026, 3, 11))
    assert future.value.field == "record_date"
    with pytest.raises(Forbidden):
        services.file_record({"category": category, "title": "x", "record_date": date(2020, 1, 1)},
                             actor=people["kiemtoan"], now=NOW)
    category.is_active = False
    with pytest.raises(Conflict):
        _file(people, category)


# Retention and disposal -------------------------------------------------------------------------------------


def test_records_whose_retention_ended_are_listed_then_disposed_of_and_kept(people, category):
    old = _file(people, category, "Biên bản cũ", date(2020, 1, 15), upload(pdf_bytes(), "cu.pdf"))
    recent = _file(people, category, "Biên bản mới", date(2025, 6, 1))
    permanent_category = services.save_category(None, {"code": "HS-VV", "name": "Quyết định ban hành",
                                                       "retention_months": None}, actor=people["huong.nt"])
    permanent = _file(people, permanent_category, "Quyết định 12/QĐ", date(2010, 5, 5))
    db.session.commit()
    today = date(2026, 3, 10)
    assert db.session.scalars(services.retention_ended_query(today)).unique().all() == [old]

    with pytest.raises(Conflict):  # still within its retention
        services.dispose_record(recent, actor=people["huong.nt"], note="BB 01", now=NOW)
    with pytest.raises(Conflict):  # kept permanently
        services.dispose_record(permanent, actor=people["huong.nt"], note="BB 01", now=NOW)
    with pytest.raises(Forbidden):
        services.dispose_record(old, actor=people["hoa.ltm"], note="BB 01", now=NOW)
    with pytest.raises(Conflict) as no_note:
        services.dispose_record(old, actor=people["huong.nt"], note="  ", now=NOW)
    assert no_note.value.field == "note"

    services.dispose_record(old, actor=people["huong.nt"], note="Biên bản hủy số 01/BB-STTTT ngày 10/3/2026",
                            now=NOW)
    db.session.commit()
    db.session.expire_all()
    old = db.session.get(QualityRecord, old.id)
    assert old.disposed_at == NOW and old.disposed_by_id == people["huong.nt"].id
    assert old.disposal_note.startswith("Biên bản hủy số 01")
    assert open_stored(old.file).is_file()  # neither the row nor the file is deleted
    assert db.session.scalars(services.retention_ended_query(today)).unique().all() == []
    with pytest.raises(Conflict):
        services.dispose_record(old, actor=people["huong.nt"], note="again", now=NOW)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "record.disposed")).one()
    assert entry.actor_name.startswith("huong.nt") or entry.object_id == str(old.id)
    assert json.loads(entry.changes)["after"]["disposal_note"].startswith("Biên bản hủy số 01")


def test_disposing_of_several_records_is_all_or_none(people, category):
    first = _file(people, category, "A", date(2019, 1, 1))
    second = _file(people, category, "B", date(2025, 12, 1))
    with pytest.raises(Conflict):
        services.dispose_records([first, second], actor=people["huong.nt"], note="BB 02", now=NOW)
    assert first.disposed_at is None
    with pytest.raises(Conflict):
        services.dispose_records([], actor=people["huong.nt"], note="BB 02", now=NOW)


def test_the_home_panel_lists_records_to_dispose_of_for_the_records_keeper_only(ctx, people, category):
    for n in range(10):
        _file(people, category, f"Biên bản {n}", date(2019, 1, n + 1))
    db.session.commit()
    with ctx.test_request_context():
        panel = retention_panel(people["huong.nt"], NOW)
        assert len(panel.items) == 9 and panel.tone == "warning"
        assert panel.items[0][1] == "/records/" + str(
            db.session.scalar(select(QualityRecord.id).where(QualityRecord.title == "Biên bản 0")))
        assert panel.items[-1][1] == "/records/retention-ended"
        assert retention_panel(people["hoa.ltm"], NOW) is None


# Search -------------------------------------------------------------------------------------------------


def test_search_ignores_diacritics_and_combines_with_the_filters(people):
    category = services.save_category(None, {"code": "HS-QT04-01", "name": "Hồ sơ đánh giá nội bộ",
                                             "retention_months": 36}, actor=people["huong.nt"])
    unit = Unit(code="VP", name="Văn phòng Sở")
    db.session.add(unit)
    db.session.flush()
    other = services.save_category(None, {"code": "HS-QT05-02", "name": "Phiếu khảo sát sự hài lòng",
                                          "retention_months": 24}, actor=people["huong.nt"])
    meeting = _file(people, category, "Biên bản họp xem xét lãnh đạo năm 2024", date(2024, 12, 20), unit_id=unit.id)
    _file(people, category, "Biên bản kiểm tra nội bộ", date(2025, 3, 2))
    survey = _file(people, other, "Tổng hợp phiếu khảo sát quý I", date(2025, 4, 1), reference="KS-01")
    disposed = _file(people, category, "Biên bản họp năm 2018", date(2018, 1, 2))
    services.dispose_record(disposed, actor=people["huong.nt"], note="BB", now=NOW)
    db.session.flush()

    def titles(**filters):
        return [r.title for r in services.search_records(RecordFilters(**filters), page=1).items]

    assert titles(q="bien ban hop") == [meeting.title]
    assert titles(q="BIÊN BẢN") == ["Biên bản kiểm tra nội bộ", meeting.title]
    assert titles(q="ks-01") == [survey.title]
    assert titles(q="hai long") == [survey.title]  # the category's name is searched too
    assert titles(category_id=other.id) == [survey.title]
    assert titles(unit_id=unit.id) == [meeting.title]
    assert titles(year=2025) == [survey.title, "Biên bản kiểm tra nội bộ"]
    assert titles(status="disposed") == [disposed.title]
    assert titles(q="bien ban hop", status="all") == [meeting.title, disposed.title]
    assert [r.title for r in services.records_for_export(RecordFilters(q="bien ban"))] == \
        ["Biên bản kiểm tra nội bộ", meeting.title]


def test_search_pages_over_many_matches(people, category):
    for n in range(30):
        _file(people, category, f"Sổ theo dõi số {n:02d}", date(2024, 1, 1 + n))
    page = services.search_records(RecordFilters(q="so theo doi"), page=2, per_page=25)
    assert page.total == 30 and page.pages == 2
    assert [r.title for r in page.items] == [f"Sổ theo dõi số {n:02d}" for n in range(4, -1, -1)]


def test_filters_are_read_safely_from_the_query_string():
    filters = RecordFilters.from_args({"category": "3", "unit": "abc", "year": "20245", "q": " bien ", "status": "x"})
    assert filters == RecordFilters(category_id=3, unit_id=None, year=None, q="bien", status="current")
