"""The checklist, findings and report pages of an audit (issue 6): through the HTTP POSTs, who may do what,
and the report .docx opened with python-docx."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document as read_docx

from audits.checklist_models import ChecklistQuestion, Finding
from qms.extensions import db
from qms.org.models import Agency
from tests.checklist_samples import MAY_JUNE, audit_world, running_audit
from tests.conftest import AuthActions


@pytest.fixture
def audit_id(app, make_user) -> int:
    with app.app_context():
        people = audit_world(make_user)
        db.session.add(Agency(name="Sở Thông tin và Truyền thông", parent_body="UBND tỉnh Gia Lai"))
        db.session.commit()
        return running_audit(people).id


def _as(app, username: str, lang: str = "en") -> AuthActions:
    actions = AuthActions(app.test_client())
    actions.client.set_cookie("qms_lang", lang)
    assert actions.login(username).status_code == 302
    return actions


def _build(lead: AuthActions, audit_id: int):
    page = f"/audits/{audit_id}/checklist"
    return lead.post(f"{page}/build", {"from": MAY_JUNE.start.strftime("%d/%m/%Y"),
                                       "to": MAY_JUNE.end.strftime("%d/%m/%Y")}, page=page, follow_redirects=True)


def _question(app, audit_id: int, step_code: str) -> int:
    with app.app_context():
        questions = db.session.query(ChecklistQuestion).filter_by(audit_id=audit_id).all()
        return next(q.id for q in questions if q.step is not None and q.step.code == step_code)


def test_the_lead_builds_a_checklist_showing_the_late_steps_and_their_dossiers(app, audit_id):
    lead = _as(app, "son.ph")
    page = _build(lead, audit_id).get_data(as_text=True)
    assert "Checklist built from the scope." in page
    assert page.count('data-testid="late-step"') == 3  # the procedure's figures, B3 and B5
    # the questions are a record written in the agency's language (Vietnamese), whatever the reader's
    steps = [page.index(f"Bước {code} – ") for code in ("B3", "B5", "B1")]
    assert steps == sorted(steps)  # the late steps first
    assert page.count('data-testid="late-step"', 0, steps[2]) == 3
    assert "Hồ sơ trễ hạn nên lấy mẫu: D5, D4." in page
    assert "0 of 12 questions answered" in page


def test_answers_refuse_unknown_dossier_codes_naming_them(app, audit_id):
    lead = _as(app, "son.ph")
    _build(lead, audit_id)
    b3 = _question(app, audit_id, "B3")
    page = f"/audits/{audit_id}/checklist"
    answer = f"{page}/questions/{b3}/answer"
    refused = lead.post(answer, {"result": "nonconformity", "notes": "Trễ", "sampled_codes": "D5, NOPE-1"}, page=page,
                        follow_redirects=True).get_data(as_text=True)
    assert "No dossier has the code NOPE-1" in refused
    saved = lead.post(answer, {"result": "nonconformity", "notes": "D5 trễ 6 ngày", "sampled_codes": "D5\nD4"},
                      page=page, follow_redirects=True).get_data(as_text=True)
    assert "Answer saved." in saved and "D5, D4" in saved
    outsider = _as(app, "tuan.da")
    assert outsider.post(answer, {"result": "conforming"}, page=page).status_code == 403
    assert outsider.client.get(page).status_code == 200  # everyone reads


def test_a_finding_from_a_question_is_prefilled_and_the_auditee_acknowledges_it(app, audit_id):
    lead = _as(app, "son.ph")
    _build(lead, audit_id)
    b3 = _question(app, audit_id, "B3")
    form = lead.client.get(f"/audits/{audit_id}/findings?question={b3}").get_data(as_text=True)
    assert re.search(r'<option value="7.5" selected>', form)
    assert "B3 – Thẩm định hồ sơ" in form
    findings_page = f"/audits/{audit_id}/findings"
    response = lead.post(findings_page, {"question_id": b3, "kind": "minor_nc", "clause_code": "7.5",
                                         "unit_id": re.search(r'<option value="(\d+)" selected>Phòng Bưu', form)[1],
                                         "statement": "D5 trễ hạn ở bước B3", "evidence": "Mẫu 05 của D5"},
                         page=findings_page, follow_redirects=True)
    assert "Finding recorded." in response.get_data(as_text=True)
    with app.app_context():
        finding = db.session.query(Finding).one()
        assert (finding.reference, finding.question_id) == ("NC-01", b3)
        finding_id = finding.id
    acknowledge = f"{findings_page}/{finding_id}/acknowledge"
    assert lead.post(acknowledge, {"comment": "x"}, page=findings_page).status_code == 403
    auditee = _as(app, "quang.nv")
    page = auditee.client.get(findings_page).get_data(as_text=True)
    assert 'data-testid="acknowledge"' in page
    done = auditee.post(acknowledge, {"comment": "Đồng ý"}, page=findings_page, follow_redirects=True)
    assert "Finding acknowledged." in done.get_data(as_text=True)


def test_the_report_page_lists_what_is_missing_and_the_docx_has_scope_team_findings_and_conclusion(app, audit_id):
    lead = _as(app, "son.ph")
    report = f"/audits/{audit_id}/report"
    page = lead.client.get(report).get_data(as_text=True)
    assert "The report&#39;s summary is not written." in page or "The report's summary is not written." in page
    member = _as(app, "lan.tt")
    assert member.post(report, {"summary": "x", "conclusion": "y"}, page=report).status_code == 403
    lead.post(report, {"summary": "Đánh giá quy trình cấp giấy phép bưu chính.", "conclusion": "HTQLCL phù hợp."},
              page=report)
    with app.app_context():
        from audits import findings_services
        from audits.models import Audit
        from qms.users.models import User

        audit = db.session.get(Audit, audit_id)
        lead_user = db.session.query(User).filter_by(username="son.ph").one()
        findings_services.record_finding(audit, {"kind": "observation", "clause_code": "7.5",
                                                 "unit_id": audit.unit_ids[0], "statement": "Chưa ghi giờ nhận"},
                                         actor=lead_user)
        db.session.commit()
    assert 'data-testid="report-ready"' in lead.client.get(report).get_data(as_text=True)  # no question: ready
    response = lead.client.get(f"{report}.docx")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    doc = read_docx(io.BytesIO(response.data))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)
    header = "\n".join(cell.text for table in doc.sections[0].header.tables for row in table.rows for cell in row.cells)
    assert "BÁO CÁO ĐÁNH GIÁ NỘI BỘ" in text and "SỞ THÔNG TIN VÀ TRUYỀN THÔNG" in header
    assert "Đánh giá quy trình cấp giấy phép bưu chính." in text and "HTQLCL phù hợp." in text
    assert "Phòng Bưu chính – Viễn thông" in cells and "1.004470" in cells and "7.5 Sản xuất và cung cấp dịch vụ" in cells
    assert "Phạm Hồng Sơn" in cells and "Trưởng đoàn đánh giá" in cells and "Nguyễn Văn Quang" in cells
    assert "LY-01" in cells and "Chưa ghi giờ nhận" in cells and "Điểm lưu ý" in cells
    assert "7.5 Sản xuất và cung cấp dịch vụ" in text  # the findings by clause
    assert "TRƯỞNG ĐOÀN ĐÁNH GIÁ" in cells


def test_templates_are_kept_by_the_audit_keepers(app, audit_id):
    secretary = _as(app, "huong.nt")
    created = secretary.post("/audits/checklist-templates", {"name": "Kiểm soát hồ sơ", "description": "4.2.4"},
                             page="/audits/checklist-templates", follow_redirects=True).get_data(as_text=True)
    assert "Template created" in created and "Kiểm soát hồ sơ" in created
    specialist = _as(app, "hoa.ltm")
    assert specialist.post("/audits/checklist-templates", {"name": "x"},
                           page="/audits/checklist-templates").status_code == 403
    assert specialist.client.get("/audits/checklist-templates").status_code == 200
