"""An audit closes only when every nonconformity raised from its findings is closed (issue 6 with issue 7): the
counter the nonconformities register with audits, driven through the real services and workflows."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from audits import findings_services as findings
from audits import plan_services
from audits.models import AuditStatus
from audits.workflow import Action
from nonconformities import services, services_findings
from nonconformities.models import NcStatus, Nonconformity
from qms.errors import Conflict, DomainError
from qms.extensions import db
from tests.checklist_samples import STARTED, as_user, audit_world, running_audit
from tests.nc_samples import walk_to
from tests.process_samples import unit


@pytest.fixture
def people(ctx, make_user):
    return audit_world(make_user)


def _finding(audit, lead, kind="minor_nc", statement="Phiếu kiểm soát thiếu chữ ký ở bước B4"):
    with as_user(lead):
        finding = findings.record_finding(audit, {"kind": kind, "clause_code": "4.2.4", "unit_id": unit("BCVT"),
                                                  "statement": statement, "evidence": "Hồ sơ D4"}, actor=lead)
        db.session.commit()
    return finding


def _report(audit, lead):
    audit.summary, audit.conclusion = "Tóm tắt", "Kết luận"
    with as_user(lead):
        plan_services.move_audit(audit, Action.REPORT, actor=lead, now=STARTED)
        db.session.commit()


def test_the_audit_closes_once_its_nonconformities_are_closed_or_ended(people):
    audit, lead = running_audit(people), people["auditor_senior"]
    first, second = _finding(audit, lead), _finding(audit, lead, kind="major_nc", statement="Không có sổ theo dõi")
    _finding(audit, lead, kind="observation", statement="Chưa ghi giờ nhận")  # never a nonconformity: not counted
    with as_user(lead):
        nc, raised = services_findings.raise_from_finding(first, actor=lead)
        other, _ = services_findings.raise_from_finding(second, actor=lead)
        db.session.commit()
    assert raised and services_findings.open_count_of_audit(audit) == 2
    _report(audit, lead)
    with pytest.raises(DomainError) as refused, as_user(lead), force_locale("en"):
        plan_services.move_audit(audit, Action.CLOSE, actor=lead, now=STARTED)
    assert refused.value.message == f"{audit.code} still has 2 open nonconformities: close them first."
    db.session.rollback()

    nc_people = {"secretary": people["secretary"], "head": people["head"], "owner": people["specialist"],
                 "auditor": people["auditor_bcvt"]}
    walk_to(nc_people, NcStatus.EFFECTIVENESS_CHECK, nc=db.session.get(Nonconformity, nc.id))
    with as_user(people["secretary"]):
        services.reject_nonconformity(db.session.get(Nonconformity, other.id), actor=people["secretary"],
                                      reason="Trùng với phát hiện của kỳ trước")
        db.session.commit()
    assert services_findings.open_count_of_audit(audit) == 1  # still waiting for its effectiveness check
    with pytest.raises(DomainError, match="still has 1 open nonconformities"), as_user(lead), force_locale("en"):
        plan_services.move_audit(audit, Action.CLOSE, actor=lead, now=STARTED)
    db.session.rollback()

    nc, verifier = db.session.get(Nonconformity, nc.id), people["auditor_bcvt"]
    with as_user(verifier):
        services.record_check(nc, actor=verifier, is_effective=True, comment="30 phiếu đều đủ chữ ký")
        services.close_nonconformity(nc, actor=verifier)
        db.session.commit()
    assert services_findings.open_count_of_audit(audit) == 0
    with as_user(lead):
        plan_services.move_audit(audit, Action.CLOSE, actor=lead, now=STARTED)
        db.session.commit()
    assert audit.status == AuditStatus.CLOSED


def test_one_finding_one_nonconformity_even_past_the_service(people):
    audit, lead = running_audit(people), people["auditor_senior"]
    finding = _finding(audit, lead)
    with as_user(lead):
        nc, raised = services_findings.raise_from_finding(finding, actor=lead)
        again, raised_again = services_findings.raise_from_finding(finding, actor=lead)
        db.session.commit()
    assert raised and not raised_again and again.id == nc.id
    with as_user(lead), pytest.raises(IntegrityError):  # the database keeps one nonconformity per finding
        services.raise_nonconformity(source="audit_finding", title="Lần hai", description="", severity="minor",
                                     unit=finding.unit, audit_finding_id=finding.id, actor=lead)
    db.session.rollback()
    with as_user(lead), pytest.raises(Conflict):  # withdrawn? it stays on record
        findings.withdraw_finding(audit, finding, actor=lead)
