"""Internal audit pages through the HTTP client: a year planned, coverage gaps closing as audits are added,
an auditor refused on their own unit (the message on the page), the exports and the private feed."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO

import pytest
from docx import Document as WordDocument
from openpyxl import load_workbook

from audits.clauses import CLAUSES
from audits.models import Audit
from qms.extensions import db
from tests.audit_samples import setup_audit_world
from tests.process_samples import unit


@pytest.fixture
def world(app, make_user):
    with app.app_context():
        people = setup_audit_world(make_user)
        return {"bcvt": unit("BCVT"), "lds": unit("LDS"), "vp": unit("VP"), "a_bcvt": people["a_bcvt"].id,
                "a_senior": people["a_senior"].id, "procedure": people["procedure"].id}


def _gaps(auth, year=2026):
    page = auth.client.get(f"/audits/coverage?year={year}").get_data(as_text=True)
    units = re.search(r'data-testid="unit-gaps">(\d+)', page).group(1)
    clauses = re.search(r'data-testid="clause-gaps">(\d+)', page).group(1)
    return int(units), int(clauses)


def _new_audit(auth, programme_id, units, clauses, title):
    return auth.post(f"/audits/new?programme_id={programme_id}", {
        "title": title, "planned_start": "2026-10-19", "planned_end": "2026-10-21",
        "unit_ids": units, "clause_codes": clauses}, page="/audits/new")


def test_an_auditor_plans_a_year_and_sees_the_gaps_close(app, auth, world):
    auth.login("huong.nt")
    response = auth.post("/audits/programmes", {"year": "2026", "title": ""}, page="/audits/")
    assert response.status_code == 302
    programme_id = int(response.headers["Location"].rsplit("/", 1)[1])
    units_before, clauses_before = _gaps(auth)
    assert units_before == 4 and clauses_before == len(CLAUSES)
    assert "QĐ 19/2014" in auth.client.get("/audits/coverage?year=2026").get_data(as_text=True)
    assert _new_audit(auth, programme_id, [world["bcvt"]], ["4.2"], "Đánh giá Phòng BC-VT").status_code == 302
    assert _gaps(auth) == (3, clauses_before - 6)  # 4.2 and 4.2.1 to 4.2.4 covered; clause 4 partly
    _new_audit(auth, programme_id, [world["lds"], world["vp"]], ["8.2.2"], "Đánh giá lãnh đạo và văn phòng")
    assert _gaps(auth) == (1, clauses_before - 9)  # 8.2.2 covered; 8.2 and 8 partly
    page = auth.client.get(f"/audits/programmes/{programme_id}").get_data(as_text=True)
    assert "ĐGNB-2026-01" in page and "ĐGNB-2026-02" in page
    workbook = load_workbook(BytesIO(auth.client.get(f"/audits/programmes/{programme_id}/programme.xlsx").data))
    cells = [c for row in workbook.active.iter_rows(values_only=True) for c in row if c]
    assert "CHƯƠNG TRÌNH ĐÁNH GIÁ NỘI BỘ NĂM 2026" in cells and "Đánh giá Phòng BC-VT" in cells


def test_an_auditor_cannot_be_assigned_to_their_own_unit(app, auth, world):
    with app.app_context():
        from audits import plan_services
        from qms.users.models import User

        secretary = db.session.scalar(db.select(User).where(User.username == "huong.nt"))
        audit = plan_services.create_audit({"title": "Đánh giá BC-VT", "planned_start": date(2026, 10, 19),
                                            "unit_ids": [world["bcvt"]]}, actor=secretary)
        db.session.commit()
        audit_id = audit.id
    auth.login("huong.nt")
    response = auth.post(f"/audits/{audit_id}/team", {"lead_id": world["a_senior"], "member_ids": [world["a_bcvt"]]},
                         page=f"/audits/{audit_id}", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Võ Thị Bích Ngọc" in page and "Phòng Bưu chính – Viễn thông" in page
    assert "không được đánh giá" in page  # in Vietnamese, the default language
    with app.app_context():
        assert db.session.get(Audit, audit_id).team == []
    auth.post(f"/audits/{audit_id}/team", {"lead_id": world["a_senior"]}, page=f"/audits/{audit_id}")
    docx = WordDocument(BytesIO(auth.client.get(f"/audits/{audit_id}/plan.docx").data))
    text = "\n".join(p.text for p in docx.paragraphs) + "".join(c.text for t in docx.tables for r in t.rows for c in r.cells)
    assert "KẾ HOẠCH ĐÁNH GIÁ NỘI BỘ" in text and "Phạm Hồng Sơn" in text and "Trưởng đoàn" in text


def test_the_director_is_told_when_the_year_has_no_audit(app, auth, world):
    auth.login("hung.lv")
    page = auth.client.get("/").get_data(as_text=True)
    assert "QĐ 19/2014" in page


def test_the_calendar_and_the_private_feed(app, auth, world, client):
    with app.app_context():
        from audits import plan_services
        from qms.users.models import User

        secretary = db.session.scalar(db.select(User).where(User.username == "huong.nt"))
        head = db.session.scalar(db.select(User).where(User.username == "quang.nv"))
        audit = plan_services.create_audit({"title": "Đánh giá tháng 11", "planned_start": date(2026, 11, 24),
                                            "planned_end": date(2026, 11, 25), "unit_ids": [world["lds"]]},
                                           actor=secretary)
        plan_services.set_auditees(audit, [head], actor=secretary)
        db.session.commit()
    auth.login("quang.nv")
    assert "ĐGNB-2026-01" in auth.client.get("/audits/calendar?month=2026-11").get_data(as_text=True)
    assert "ĐGNB-2026-01" not in auth.client.get("/audits/calendar?month=2026-12").get_data(as_text=True)
    auth.post("/audits/calendar/feed", page="/audits/calendar")
    page = auth.client.get("/audits/calendar").get_data(as_text=True)
    feed_url = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    path = feed_url.split("localhost", 1)[1]
    auth.logout()
    response = auth.client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "ĐGNB-2026-01 Đánh giá tháng 11" in response.get_data(as_text=True)
    assert auth.client.get(path.replace(".ics", "0.ics")).status_code == 404
