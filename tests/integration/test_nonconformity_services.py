"""Nonconformities through the services (clauses 8.5.2, 8.5.3): the whole workflow, closing too early,
self-verification, editing a closed record, duplicates, and the database refusing an early closure."""

import pytest
from flask_babel import force_locale
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from nonconformities import services, services_actions, services_analysis
from nonconformities.guards import ClosedRecordError
from nonconformities.models import ActionStatus, EvidenceKind, NcStatus, Nonconformity, NonconformityTransition
from qms.audit.models import AuditEntry
from qms.calendar.services import add_working_days
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.users.models import UserRole
from tests.nc_samples import T0, raise_one, setup_people, walk_to


@pytest.fixture
def people(ctx, make_user):
    with force_locale("en"):  # the tests match the English messages
        yield setup_people(make_user)


def test_the_full_workflow_reaches_a_verified_closure_with_history_and_audit(people):
    nc = walk_to(people, NcStatus.CLOSED)
    assert nc.code == "NC-2026-001" and nc.is_closed and nc.closed_check_id == nc.checks[-1].id
    assert nc.actions[0].due_on == add_working_days(T0.date(), 10)
    moves = [(t.from_status, t.to_status) for t in nc.transitions]
    assert moves == [(None, "new"), ("new", "analysis"), ("analysis", "action_plan"), ("action_plan", "approved"),
                     ("approved", "in_progress"), ("in_progress", "effectiveness_check"),
                     ("effectiveness_check", "closed")]
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "nonconformities")))
    assert {"nonconformity.raised", "nonconformity.approve_plan", "nonconformity.close"} <= actions


@pytest.mark.parametrize("status", [NcStatus.NEW, NcStatus.ANALYSIS, NcStatus.ACTION_PLAN, NcStatus.APPROVED,
                                    NcStatus.IN_PROGRESS, NcStatus.EFFECTIVENESS_CHECK])
def test_closing_too_early_is_refused_by_the_service(people, status):
    nc = walk_to(people, status)
    with pytest.raises(Conflict):
        services.close_nonconformity(nc, actor=people["secretary"])
    db.session.rollback()
    assert db.session.get(Nonconformity, nc.id).status == status


def _sql_close(nc_id, check_id=None, effective=None):
    db.session.execute(text(
        "UPDATE nonconformities SET status = 'closed', is_closed = :t, closed_at = updated_at, "
        "closed_by_id = raised_by_id, closed_check_id = :c, closed_check_is_effective = :e WHERE id = :i"),
        {"t": True, "c": check_id, "e": effective, "i": nc_id})
    db.session.flush()


def test_the_database_refuses_a_closure_without_a_check(people):
    nc = walk_to(people, NcStatus.EFFECTIVENESS_CHECK)
    with pytest.raises(IntegrityError):
        _sql_close(nc.id)
    db.session.rollback()


def test_the_database_refuses_a_closure_with_an_open_action_or_a_not_effective_check(people):
    nc = walk_to(people, NcStatus.IN_PROGRESS)
    # a check recorded while the action is still open: force the effective one in by SQL
    db.session.execute(text("INSERT INTO effectiveness_checks (nc_id, checked_by_id, checked_at, is_effective, "
                            "comment, evidence, filename) VALUES (:n, :u, :at, :e, 'x', '', '')"),
                       {"n": nc.id, "u": people["auditor"].id, "at": T0.replace(tzinfo=None), "e": True})
    check_id = db.session.scalar(text("SELECT max(id) FROM effectiveness_checks"))
    db.session.commit()
    with pytest.raises(IntegrityError):  # the action is open
        _sql_close(nc.id, check_id, True)
    db.session.rollback()
    with pytest.raises(IntegrityError):  # the check is not the effective one it claims to be
        _sql_close(nc.id, check_id, False)
    db.session.rollback()
    db.session.execute(text("UPDATE corrective_actions SET status = 'done', nc_open_guard = NULL, "
                            "completed_at = created_at WHERE nc_id = :n"), {"n": nc.id})
    _sql_close(nc.id, check_id, True)  # everything done and an effective check: the database agrees
    db.session.rollback()


def test_the_database_refuses_reopening_an_action_of_a_closed_nonconformity(people):
    nc = walk_to(people, NcStatus.CLOSED)
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE corrective_actions SET status = 'open', nc_open_guard = :f, "
                                "completed_at = NULL WHERE nc_id = :n"), {"f": False, "n": nc.id})
        db.session.flush()
    db.session.rollback()


def test_an_action_owner_cannot_verify_effectiveness(people):
    nc = walk_to(people, NcStatus.EFFECTIVENESS_CHECK)
    owner = people["owner"]
    owner.role_rows.append(UserRole(role="internal_auditor"))  # an auditor who owns an action: still refused
    db.session.commit()
    with pytest.raises(Forbidden, match="own an action"):
        services.record_check(nc, actor=owner, is_effective=True, comment="Tự kiểm tra")
    check = services.record_check(nc, actor=people["secretary"], is_effective=True, comment="Đã kiểm tra 20 hồ sơ")
    assert check.is_effective


def test_not_effective_goes_back_to_analysis_and_needs_a_new_plan(people):
    nc = walk_to(people, NcStatus.EFFECTIVENESS_CHECK)
    services.record_check(nc, actor=people["auditor"], is_effective=False, comment="Vẫn còn 3 phiếu thiếu chữ ký")
    db.session.commit()
    assert nc.status == NcStatus.ANALYSIS and nc.transitions[-1].comment.startswith("Vẫn còn")
    services.finish_analysis(nc, actor=people["head"])
    with pytest.raises(DomainError, match="no open action"):
        services.approve_plan(nc, actor=people["head"])
    db.session.rollback()


def test_editing_a_closed_record_is_refused_by_the_services_and_the_guard(people):
    nc = walk_to(people, NcStatus.CLOSED)
    with pytest.raises(Conflict):
        services.update_details(nc, actor=people["secretary"], title="Khác", description="", severity="major",
                                clause="")
    with pytest.raises(Conflict):
        services.add_evidence(nc, actor=people["secretary"], kind="note", text="Ghi chú muộn")
    with pytest.raises(Conflict):
        services_analysis.set_root_cause(nc, actor=people["secretary"], text="Khác")
    db.session.rollback()
    nc = db.session.get(Nonconformity, nc.id)
    nc.title = "Sửa trực tiếp"
    with pytest.raises(ClosedRecordError):
        db.session.flush()
    db.session.rollback()
    nc = db.session.get(Nonconformity, nc.id)
    nc.actions[0].progress[0].text = "Sửa lịch sử"
    with pytest.raises(ClosedRecordError):
        db.session.flush()
    db.session.rollback()
    nc = db.session.get(Nonconformity, nc.id)
    db.session.add(NonconformityTransition(nc_id=nc.id, action="x", to_status="new"))
    with pytest.raises(ClosedRecordError):
        db.session.flush()
    db.session.rollback()


def test_plan_approval_belongs_to_the_unit_head_of_that_unit_or_the_secretary(people):
    nc = walk_to(people, NcStatus.ACTION_PLAN)
    for who in ("other_head", "owner", "auditor"):
        with pytest.raises(Forbidden):
            services.approve_plan(nc, actor=people[who])
    services.return_plan(nc, actor=people["secretary"], comment="Thiếu hành động phòng ngừa")
    assert nc.status == NcStatus.ANALYSIS


def test_request_check_refused_while_an_action_is_open(people):
    nc = walk_to(people, NcStatus.IN_PROGRESS)
    with pytest.raises(Conflict, match="still open"):
        services.request_check(nc, actor=people["owner"])


def test_only_the_owner_or_the_secretary_records_progress(people):
    nc = walk_to(people, NcStatus.APPROVED)
    with pytest.raises(Forbidden):
        services_actions.record_progress(nc.actions[0], actor=people["head"], text="Không phải việc của tôi")
    services_actions.record_progress(nc.actions[0], actor=people["secretary"], text="Đã nhắc")
    assert nc.status == NcStatus.IN_PROGRESS


def test_a_duplicate_merges_its_evidence_into_the_original(people):
    original = raise_one(people, title="Trễ hạn ở bước thẩm định")
    copy = raise_one(people, title="Trễ hạn bước B3 (trùng)")
    services.add_evidence(copy, actor=people["owner"], kind="note", text="Hồ sơ 0004 trễ 2 ngày")
    db.session.commit()
    with pytest.raises(DomainError):
        services.mark_duplicate(copy, original, actor=people["secretary"], reason="")
    db.session.rollback()
    services.mark_duplicate(copy, original, actor=people["secretary"], reason="Cùng nguyên nhân")
    db.session.commit()
    assert copy.status == NcStatus.DUPLICATE and copy.duplicate_of_id == original.id
    texts = [e.text for e in original.evidence]
    assert any("Hồ sơ 0004" in t and copy.code in t for t in texts)
    assert any(copy.code in t and e.kind == EvidenceKind.NOTE for t, e in zip(texts, original.evidence))
    assert len(copy.evidence) == 1  # the duplicate keeps its own record unchanged
    with pytest.raises(Forbidden):
        services.mark_duplicate(original, copy, actor=people["owner"], reason="x")


def test_reject_needs_a_reason_and_cancels_the_open_actions(people):
    nc = walk_to(people, NcStatus.APPROVED)
    with pytest.raises(DomainError):
        services.reject_nonconformity(nc, actor=people["secretary"], reason=" ")
    db.session.rollback()
    nc = db.session.get(Nonconformity, nc.id)
    services.reject_nonconformity(nc, actor=people["secretary"], reason="Không phải điểm không phù hợp")
    db.session.commit()
    assert nc.status == NcStatus.REJECTED and nc.actions[0].status == ActionStatus.CANCELLED


def test_the_audits_module_raises_from_a_finding(people):
    nc = services.raise_nonconformity(source="audit_finding", title="Thiếu chữ ký ở bước B4", description="",
                                      severity="major", unit=db.session.get(Nonconformity, 1) or _unit(),
                                      source_ref="ĐGNB-2026/F-03", actor=people["auditor"])
    # the finding itself (audit_finding_id, a key to audit_findings) is linked by tests/functional/test_nc_from_findings
    assert nc.audit_finding_id is None and nc.evidence[0].kind == EvidenceKind.FINDING
    assert nc.evidence[0].text == "ĐGNB-2026/F-03"
    second = raise_one(people)
    assert second.code == "NC-2026-002"
    with pytest.raises(Forbidden):
        raise_one(people, who="external")


def _unit():
    from tests.nc_samples import bcvt
    return bcvt()


def test_a_corrective_action_opens_a_change_request(people):
    from tests.integration.test_change_requests_and_reviews import _in_force
    people_for_docs = dict(people, head=people["head"])
    document = _in_force(people_for_docs)
    nc = walk_to(people, NcStatus.APPROVED)
    request = services_actions.request_document_change(nc.actions[0], document, actor=people["owner"],
                                                       proposed_change="Thêm ô ký điện tử bắt buộc")
    db.session.commit()
    assert nc.actions[0].change_request_id == request.id and request.source == f"nonconformity:{nc.id}"
    assert nc.code in request.reason
