"""The nonconformity pages through HTTP: raise, the whole workflow by form posts to a verified closure,
closing too early and self-verification refused, the figures, the home panel and both exports."""

from io import BytesIO

import pytest
from docx import Document as WordDocument
from openpyxl import load_workbook
from sqlalchemy import select

from nonconformities.models import NcStatus, Nonconformity
from qms.extensions import db
from tests.nc_samples import bcvt, setup_people


@pytest.fixture
def people(app, make_user):
    with app.app_context():
        people = setup_people(make_user)
        return {name: (user.id, user.username) for name, user in people.items()}


def _nc(app):
    with app.app_context():
        nc = db.session.scalar(select(Nonconformity))
        return nc.id, nc.status


def _as(auth, people, who):
    if "csrf_token" in auth.client.get("/").get_data(as_text=True):
        auth.logout()
    assert auth.login(people[who][1]).status_code == 302
    auth.client.set_cookie("qms_lang", "en")


def test_the_workflow_in_pages_to_a_verified_closure(app, auth, people):
    _as(auth, people, "owner")
    with app.app_context():
        unit_id = bcvt().id
    page = auth.client.get("/nonconformities/new")
    assert page.status_code == 200 and "Raise a nonconformity" in page.get_data(as_text=True)
    response = auth.post("/nonconformities/new", {"title": "Phiếu kiểm soát thiếu chữ ký", "description": "B4",
                                                  "source": "complaint", "severity": "major", "unit_id": unit_id})
    assert response.status_code == 302
    nc_id, status = _nc(app)
    base = f"/nonconformities/{nc_id}"
    _as(auth, people, "head")
    auth.post(f"{base}/move/start_analysis")
    auth.post(f"{base}/correction", {"correction": "Bổ sung chữ ký"})
    auth.post(f"{base}/analysis", {"why_q1": "Tại sao thiếu?", "why_a1": "Lãnh đạo vắng",
                                   "root_cause": "Không có quy định ký thay"})
    auth.post(f"{base}/causes", {"category": "method", "text": "Không có người ký thay", "is_root": "1"})
    auth.post(f"{base}/move/finish_analysis")
    auth.post(f"{base}/actions", {"kind": "corrective", "description": "Ban hành quy định ký thay",
                                  "done_criteria": "Quy định được ký", "owner_id": people["owner"][0],
                                  "working_days": "5"})
    auth.post(f"{base}/approve")
    assert _nc(app)[1] == NcStatus.APPROVED
    _as(auth, people, "owner")
    with app.app_context():
        action_id = db.session.get(Nonconformity, nc_id).actions[0].id
    auth.post(f"/nonconformities/actions/{action_id}/progress", {"text": "Đã trình dự thảo"})
    _as(auth, people, "secretary")
    page = auth.post(f"{base}/move/close", follow_redirects=True).get_data(as_text=True)
    assert "cannot close" in page and _nc(app)[1] == NcStatus.IN_PROGRESS  # too early: refused
    _as(auth, people, "owner")
    auth.post(f"/nonconformities/actions/{action_id}/complete")
    auth.post(f"{base}/move/request_check")
    assert _nc(app)[1] == NcStatus.EFFECTIVENESS_CHECK
    home = auth.client.get("/").get_data(as_text=True)
    assert "My corrective actions" not in home  # the action is done: nothing open left
    _as(auth, people, "auditor")
    response = auth.post(f"{base}/check", {"is_effective": "yes", "comment": "20 hồ sơ đều đủ chữ ký"})
    assert response.status_code == 302
    auth.post(f"{base}/move/close")
    assert _nc(app)[1] == NcStatus.CLOSED
    detail = auth.client.get(base).get_data(as_text=True)
    assert "Closed" in detail and "20 hồ sơ đều đủ chữ ký" in detail and "Không có người ký thay" in detail
    figures = auth.client.get("/nonconformities/figures").get_data(as_text=True)
    assert "100 %" in figures
    docx = auth.client.get(f"{base}/form.docx")
    text = "\n".join(p.text for p in WordDocument(BytesIO(docx.data)).paragraphs)
    assert "PHIẾU YÊU CẦU HÀNH ĐỘNG KHẮC PHỤC" in text and "Không có quy định ký thay" in text
    xlsx = auth.client.get("/nonconformities/register.xlsx?source=complaint")
    ws = load_workbook(BytesIO(xlsx.data)).active
    values = [c.value for row in ws.iter_rows() for c in row if c.value]
    assert "Ban hành quy định ký thay" in "\n".join(map(str, values)) and "Nguồn: Phản ánh, kiến nghị" in values


def test_self_verification_is_refused_in_the_page(app, auth, people):
    from nonconformities.models import NcStatus as S
    from tests.nc_samples import walk_to
    with app.app_context():
        from qms.users.models import User, UserRole
        owner = db.session.get(User, people["owner"][0])
        owner.role_rows.append(UserRole(role="internal_auditor"))
        db.session.commit()
        nc = walk_to({n: db.session.get(User, i) for n, (i, _u) in people.items()}, S.EFFECTIVENESS_CHECK)
        nc_id = nc.id
    _as(auth, people, "owner")
    page = auth.post(f"/nonconformities/{nc_id}/check", {"is_effective": "yes", "comment": "Tự kiểm tra"},
                     follow_redirects=True).get_data(as_text=True)
    assert "must be checked by someone else" in page
    assert _nc(app)[1] == S.EFFECTIVENESS_CHECK


def test_the_list_filters_and_the_home_panel(app, auth, people):
    from tests.nc_samples import raise_one, walk_to
    with app.app_context():
        from qms.users.models import User
        objects = {n: db.session.get(User, i) for n, (i, _u) in people.items()}
        walk_to(objects, NcStatus.APPROVED)
        raise_one(objects, title="Phản ánh về thái độ tiếp dân", source="complaint")
    _as(auth, people, "owner")
    listing = auth.client.get("/nonconformities/?source=complaint").get_data(as_text=True)
    assert "Phản ánh về thái độ" in listing and "Phiếu kiểm soát thiếu chữ ký" not in listing
    home = auth.client.get("/").get_data(as_text=True)
    assert "My corrective actions" in home and "Bắt buộc ký điện tử" in home
