"""An audit finding becomes a nonconformity in one click (issues 6 and 7), through HTTP: the button on the findings
page, the nonconformity raised once with the finding's facts, both links, and the refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from audits import findings_services as findings
from audits.checklist_models import Finding
from nonconformities.models import NcSource, Nonconformity, Severity
from qms.audit.models import AuditEntry
from qms.extensions import db
from tests.checklist_samples import as_user, audit_world, running_audit
from tests.conftest import AuthActions
from tests.process_samples import unit


@pytest.fixture
def world(app, make_user) -> dict:
    """A running audit of BCVT (lead son.ph, member lan.tt, auditee quang.nv) with a major nonconformity finding
    (NC-01) and an observation (LY-02)."""
    with app.app_context():
        people = audit_world(make_user)
        audit = running_audit(people)
        lead = people["auditor_senior"]
        base = {"clause_code": "7.5.1", "unit_id": unit("BCVT"), "procedure_id": people["procedure"].id}
        with as_user(lead):
            major = findings.record_finding(audit, {**base, "kind": "major_nc", "statement": "Hồ sơ D5 trễ hạn ở bước B3",
                                                    "evidence": "Hồ sơ D5: B3 dùng 20 ngày làm việc",
                                                    "requirement": "B3 – Thẩm định hồ sơ: 14 ngày làm việc"}, actor=lead)
            observation = findings.record_finding(audit, {**base, "kind": "observation",
                                                          "statement": "Chưa ghi giờ nhận hồ sơ"}, actor=lead)
            db.session.commit()
        return {"audit": audit.id, "code": audit.code, "major": major.id, "observation": observation.id}


def _as(app, username: str) -> AuthActions:
    actions = AuthActions(app.test_client())
    actions.client.set_cookie("qms_lang", "en")
    assert actions.login(username).status_code == 302
    return actions


def _ncs(app) -> list[Nonconformity]:
    with app.app_context():
        return db.session.scalars(select(Nonconformity)).all()


def test_the_lead_raises_it_in_one_click_once_and_both_pages_link(app, world):
    lead = _as(app, "son.ph")
    page_url = f"/audits/{world['audit']}/findings"
    page = lead.client.get(page_url).get_data(as_text=True)
    assert page.count('data-testid="raise-nc"') == 1  # the major nonconformity, not the observation
    assert f'/nonconformities/from-finding/{world["major"]}"' in page

    raised = lead.post(f"/nonconformities/from-finding/{world['major']}", page=page_url)
    [nc] = _ncs(app)
    assert raised.status_code == 302 and raised.headers["Location"].endswith(f"/nonconformities/{nc.id}")
    assert (nc.source, nc.severity, nc.clause, nc.audit_finding_id) == (NcSource.AUDIT_FINDING, Severity.MAJOR,
                                                                         "7.5.1", world["major"])
    assert nc.source_ref == f"{world['code']}/NC-01" and nc.title == "Hồ sơ D5 trễ hạn ở bước B3"
    assert "Hồ sơ D5: B3 dùng 20 ngày làm việc" in nc.description and "B3 – Thẩm định hồ sơ" in nc.description
    assert "Bằng chứng:" in nc.description  # a record, in the agency's language whoever clicks
    with app.app_context():
        assert nc.unit_id == unit("BCVT") and nc.procedure_id is not None
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "nonconformity.raised"))
        assert entry is not None and str(nc.id) == str(entry.object_id)

    detail = lead.client.get(f"/nonconformities/{nc.id}").get_data(as_text=True)
    assert 'data-testid="source-finding"' in detail and f"{page_url}#f{world['major']}" in detail
    assert f"/audits/{world['audit']}\"" in detail and "NC-01" in detail

    again = lead.post(f"/nonconformities/from-finding/{world['major']}", page=page_url, follow_redirects=True)
    assert f"The finding NC-01 already became {nc.code}." in again.get_data(as_text=True)
    assert len(_ncs(app)) == 1

    page = lead.client.get(page_url).get_data(as_text=True)
    assert 'data-testid="raise-nc"' not in page and 'data-testid="finding-nc"' in page
    assert f'href="/nonconformities/{nc.id}"' in page and nc.code in page and "New" in page
    assert page.count("Withdraw</button>") == 1  # the observation only: a finding with a nonconformity stays


def test_an_observation_is_refused_with_a_clear_message(app, world):
    lead = _as(app, "son.ph")
    page_url = f"/audits/{world['audit']}/findings"
    refused = lead.post(f"/nonconformities/from-finding/{world['observation']}", page=page_url, follow_redirects=True)
    assert ("LY-02 is “Observation”: only a major or minor nonconformity found by an audit becomes a "
            "nonconformity.") in refused.get_data(as_text=True)
    assert _ncs(app) == []


def test_the_team_member_the_secretary_and_an_internal_auditor_may_others_may_not(app, world):
    page_url = f"/audits/{world['audit']}/findings"
    for username in ("hoa.ltm", "quang.nv"):  # a specialist; the auditee (a unit head): no button, 403
        outsider = _as(app, username)
        assert 'data-testid="raise-nc"' not in outsider.client.get(page_url).get_data(as_text=True)
        assert outsider.post(f"/nonconformities/from-finding/{world['major']}", page=page_url).status_code == 403
    assert _ncs(app) == []
    assert _as(app, "lan.tt").client.get(page_url).get_data(as_text=True).count(
        'data-testid="raise-nc"') == 1  # the team member sees the button
    auditor = _as(app, "ngoc.vtb")  # an internal auditor outside the team
    assert auditor.post(f"/nonconformities/from-finding/{world['major']}", page=page_url).status_code == 302
    secretary = _as(app, "huong.nt")
    assert secretary.post(f"/nonconformities/from-finding/{world['major']}", page=page_url).status_code == 302
    assert len(_ncs(app)) == 1
    assert _as(app, "son.ph").post("/nonconformities/from-finding/999999", page=page_url).status_code == 404


def test_a_finding_that_became_a_nonconformity_is_not_withdrawn(app, world):
    lead = _as(app, "son.ph")
    page_url = f"/audits/{world['audit']}/findings"
    lead.post(f"/nonconformities/from-finding/{world['major']}", page=page_url)
    [nc] = _ncs(app)
    refused = lead.post(f"/audits/{world['audit']}/findings/{world['major']}/withdraw", page=page_url,
                        follow_redirects=True)
    assert f"NC-01 became the nonconformity {nc.code}: it stays on record." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Finding)) == 2
