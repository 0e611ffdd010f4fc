"""The yearly programme (submitted, returned, approved with a signature) and the audit's states through the services."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

import audits
from audits import plan_services, services
from audits.models import AuditStatus, AuditTransition, ProgrammeStatus, ProgrammeTransition
from audits.workflow import Action
from qms.audit import log as audit
from qms.errors import DomainError, Forbidden
from qms.extensions import db
from qms.notifications.models import Notification
from qms.signatures.models import Signature
from qms.users.services import create_delegation
from tests.audit_samples import PASSWORD, new_audit, setup_audit_world

NOW = datetime(2026, 1, 5, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def world(ctx, make_user):
    return setup_audit_world(make_user)


def _programme(world, year=2026):
    with audit.acting_as(audit.Actor.of_user(world["secretary"])):
        programme = services.create_programme(year, {}, actor=world["secretary"])
        db.session.commit()
    return programme


def test_a_programme_is_submitted_returned_and_approved_with_a_signature(world):
    programme = _programme(world)
    assert programme.title == "Internal audit programme 2026" or "2026" in programme.title
    secretary, director = world["secretary"], world["director"]
    with pytest.raises(DomainError):  # QĐ 19/2014: at least one audit
        services.submit_programme(programme, actor=secretary, now=NOW)
    new_audit(world, units=["BCVT"], programme=programme)
    db.session.refresh(programme)
    services.submit_programme(programme, actor=secretary, now=NOW)
    with pytest.raises(Forbidden):
        services.approve_programme(programme, actor=secretary, password=PASSWORD, now=NOW)
    services.return_programme(programme, actor=director, comment="Bổ sung đánh giá Văn phòng", now=NOW)
    assert programme.status == ProgrammeStatus.DRAFT
    services.submit_programme(programme, actor=secretary, now=NOW)
    with pytest.raises(DomainError):
        services.approve_programme(programme, actor=director, password="wrong", now=NOW)
    services.approve_programme(programme, actor=director, password=PASSWORD, now=NOW)
    db.session.commit()
    assert programme.status == ProgrammeStatus.APPROVED and programme.approver_capacity == ""
    signature = db.session.get(Signature, programme.signature_id)
    assert signature.subject_type == "audit_programmes" and signature.signer_id == director.id
    assert len(signature.content_sha256) == 64
    history = db.session.scalars(select(ProgrammeTransition.action).order_by(ProgrammeTransition.id)).all()
    assert history == ["submit", "return", "submit", "approve"]


def test_a_deputy_with_a_delegation_signs_for_the_director(world):
    programme = _programme(world)
    new_audit(world, units=["BCVT"], programme=programme)
    db.session.refresh(programme)
    services.submit_programme(programme, actor=world["secretary"], now=NOW)
    deputy = world["auditor_senior"]
    with pytest.raises(Forbidden):
        services.approve_programme(programme, actor=deputy, password=PASSWORD, now=NOW)
    from qms.permissions import SYSTEM_ACTOR

    create_delegation(world["director"], deputy, date(2026, 1, 1), date(2026, 1, 31), actor=SYSTEM_ACTOR)
    db.session.commit()
    db.session.refresh(deputy)
    services.approve_programme(programme, actor=deputy, password=PASSWORD, now=NOW)
    assert programme.approver_capacity == "KT. Giám đốc"


def test_audits_join_only_a_draft_programme_of_their_year(world):
    programme = _programme(world)
    with pytest.raises(DomainError):
        new_audit(world, units=["BCVT"], programme=programme, start=date(2027, 1, 5), end=date(2027, 1, 6))
    db.session.rollback()
    new_audit(world, units=["BCVT"], programme=programme)
    db.session.refresh(programme)
    services.submit_programme(programme, actor=world["secretary"], now=NOW)
    with pytest.raises(DomainError):
        new_audit(world, units=["LDS"], programme=programme)


def test_codes_follow_the_year(world):
    first = new_audit(world, units=["BCVT"])
    second = new_audit(world, units=["LDS"])
    assert (first.code, second.code) == ("ĐGNB-2026-01", "ĐGNB-2026-02")


def _walk(world, planned, actions):
    with audit.acting_as(audit.Actor.of_user(world["secretary"])):
        for action in actions:
            plan_services.move_audit(planned, action, actor=world["secretary"], now=NOW)
        db.session.commit()


def test_an_audit_walks_its_states_and_keeps_its_history(world):
    planned = new_audit(world, units=["BCVT"])
    with pytest.raises(DomainError):  # no lead yet
        plan_services.move_audit(planned, Action.NOTIFY, actor=world["secretary"], now=NOW)
    plan_services.set_team(planned, lead=world["a_senior"], members=[world["a_vp"]], actor=world["secretary"])
    plan_services.set_auditees(planned, [world["head"], world["specialist"]], actor=world["secretary"])
    planned.summary, planned.conclusion = "Tóm tắt", "Kết luận"  # the report written (no checklist questions)
    db.session.commit()
    _walk(world, planned, [Action.NOTIFY, Action.START, Action.REPORT, Action.CLOSE])
    assert planned.status == AuditStatus.CLOSED
    assert None not in (planned.notified_at, planned.started_at, planned.reported_at, planned.closed_at)
    history = db.session.execute(select(AuditTransition.from_state, AuditTransition.to_state)
                                 .order_by(AuditTransition.id)).all()
    assert history == [("planned", "notified"), ("notified", "in_progress"), ("in_progress", "reported"),
                       ("reported", "closed")]


def test_an_action_the_state_does_not_allow_is_refused_with_a_message(world):
    planned = new_audit(world, units=["BCVT"])
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        plan_services.move_audit(planned, Action.CLOSE, actor=world["secretary"], now=NOW)
    assert planned.code in caught.value.message and planned.status == AuditStatus.PLANNED
    programme = services.create_programme(2031, {"title": "Chương trình đánh giá nội bộ năm 2031"},
                                          actor=world["secretary"])
    with pytest.raises(DomainError):  # approving a draft: it was never submitted
        services.approve_programme(programme, actor=world["director"], password=PASSWORD)


def test_notifying_sends_the_plan_to_the_team_and_auditees_once(world):
    planned = new_audit(world, units=["BCVT"])
    plan_services.set_team(planned, lead=world["a_senior"], members=[world["a_vp"]], actor=world["secretary"])
    plan_services.set_auditees(planned, [world["head"], world["auditor_vp"]], actor=world["secretary"])
    db.session.commit()
    _walk(world, planned, [Action.NOTIFY])
    told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "audit.plan")).all()
    assert sorted(told) == sorted({world["auditor_senior"].id, world["auditor_vp"].id, world["head"].id})


def test_the_plan_is_frozen_once_the_audit_starts(world):
    planned = new_audit(world, units=["BCVT"])
    plan_services.set_team(planned, lead=world["a_senior"], actor=world["secretary"])
    db.session.commit()
    _walk(world, planned, [Action.NOTIFY, Action.START])
    with pytest.raises(DomainError):
        plan_services.set_scope(planned, unit_ids=[], actor=world["secretary"])
    with pytest.raises(DomainError):
        plan_services.add_session(planned, starts_at=NOW, ends_at=NOW + timedelta(hours=1), actor=world["secretary"])


def test_reporting_needs_the_report_and_closing_needs_closed_nonconformities(world, monkeypatch):
    planned = new_audit(world, units=["BCVT"])
    plan_services.set_team(planned, lead=world["a_senior"], actor=world["secretary"])
    db.session.commit()
    _walk(world, planned, [Action.NOTIFY, Action.START])
    with pytest.raises(DomainError):  # no summary, no conclusion
        plan_services.move_audit(planned, Action.REPORT, actor=world["secretary"], now=NOW)
    planned.summary, planned.conclusion = "Tóm tắt", "Kết luận"
    plan_services.move_audit(planned, Action.REPORT, actor=world["secretary"], now=NOW)
    monkeypatch.setattr(audits, "open_nonconformities", lambda audit_: 2)
    with pytest.raises(DomainError) as caught:
        plan_services.move_audit(planned, Action.CLOSE, actor=world["secretary"], now=NOW)
    assert "2" in caught.value.message
    assert planned.status == AuditStatus.REPORTED


def test_the_lead_auditor_moves_their_audit_but_others_may_not(world):
    planned = new_audit(world, units=["BCVT"])
    plan_services.set_team(planned, lead=world["a_senior"], actor=world["secretary"])
    db.session.commit()
    with pytest.raises(Forbidden):
        plan_services.move_audit(planned, Action.NOTIFY, actor=world["specialist"], now=NOW)
    plan_services.move_audit(planned, Action.NOTIFY, actor=world["auditor_senior"], now=NOW)
    assert db.session.scalar(select(func.count(AuditTransition.id))) == 1


def test_sessions_fall_within_the_planned_dates(world):
    planned = new_audit(world, units=["BCVT"])
    inside = datetime(2026, 10, 19, 1, 30, tzinfo=timezone.utc)  # 08:30 in Hà Nội
    plan_services.add_session(planned, starts_at=inside, ends_at=inside + timedelta(hours=2), topic="Phòng BC-VT",
                              actor=world["secretary"])
    with pytest.raises(DomainError):
        plan_services.add_session(planned, starts_at=inside + timedelta(days=5),
                                  ends_at=inside + timedelta(days=5, hours=1), actor=world["secretary"])
    with pytest.raises(DomainError):
        plan_services.add_session(planned, starts_at=inside, ends_at=inside, actor=world["secretary"])
    assert len(planned.sessions) == 1
