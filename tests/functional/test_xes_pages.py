"""The XES import page and the event-log export through the web (issue 5): one-stop officers and the ISO
secretary import, every reader exports as XES or CSV."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from processes.dossiers.models import Dossier
from qms.extensions import db
from tests.conftest import AuthActions
from tests.process_samples import setup_people

DATA = Path(__file__).resolve().parents[1] / "data" / "event_logs"  # copies of ../shared/data


@pytest.fixture
def people(app, make_user):
    with app.app_context():
        setup_people(make_user)


def _as(app, username: str) -> AuthActions:
    actions = AuthActions(app.test_client())
    actions.client.set_cookie("qms_lang", "en")
    assert actions.login(username).status_code == 302
    return actions


def _upload(actions, content: bytes, name: str, procedure: str = ""):
    token = actions.csrf_token("/dossiers/xes-import")
    return actions.client.post("/dossiers/xes-import", data={"csrf_token": token, "procedure": procedure,
                                                             "file": (io.BytesIO(content), name)},
                               content_type="multipart/form-data")


def test_an_officer_imports_a_log_and_a_reader_exports_it(app, people):
    officer = _as(app, "thao.nt")
    page = officer.client.get("/dossiers/xes-import")
    assert page.status_code == 200 and "observed process" in page.get_data(as_text=True)
    response = _upload(officer, (DATA / "running-example.xes").read_bytes(), "running-example.xes")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="xes-imported"' in text and "6 dossiers added" in text
    with app.app_context():
        assert db.session.scalar(select(func.count(Dossier.id))) == 6
    again = _upload(officer, (DATA / "running-example.xes").read_bytes(), "running-example.xes")
    assert "Nothing new" in again.get_data(as_text=True)
    reader = _as(app, "hoa.ltm")
    form = reader.client.get("/dossiers/export")
    assert form.status_code == 200 and "Observed process: running-example.xes" in form.get_data(as_text=True)
    xes = reader.client.get("/dossiers/export?format=xes&procedure=observed:running-example.xes")
    body = xes.get_data(as_text=True)
    assert xes.status_code == 200 and xes.mimetype == "application/xml" and body.count("<trace>") == 6
    assert 'filename="dossiers-' in xes.headers["Content-Disposition"]
    csv = reader.client.get("/dossiers/export?format=csv&received_from=2011-01-06&received_to=2011-01-06")
    lines = csv.get_data(as_text=True).splitlines()
    assert csv.status_code == 200 and lines[0].startswith("case_id,activity,timestamp") and len(lines) > 1
    assert reader.client.get("/dossiers/export?format=pdf").status_code == 422


def test_a_malformed_log_shows_its_errors(app, people):
    officer = _as(app, "thao.nt")
    response = _upload(officer, b"<log><trace>", "broken.xes")
    assert response.status_code == 422 and "not well-formed XML" in response.get_data(as_text=True)


def test_who_may_import(app, people):
    specialist = _as(app, "hoa.ltm")
    assert specialist.client.get("/dossiers/xes-import").status_code == 403
    secretary = _as(app, "huong.nt")
    assert secretary.client.get("/dossiers/xes-import").status_code == 200
