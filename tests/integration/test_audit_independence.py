"""Auditor independence (ISO 9001:2008 clause 8.2.2) and the lead-auditor rule, through the plan services.

Every case of the issue: own unit through the account's unit and through the auditor record, a procedure
drafted, reviewed or approved (a TTHC through its QT revisions, a QMS procedure through its own), the lead
too, and a scope that grows after the team is set.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from audits import plan_services, services
from audits.models import AuditTeamMember
from qms.audit import log as audit
from qms.documents.models import Document
from qms.errors import DomainError
from qms.extensions import db
from tests.audit_samples import new_audit, register, setup_audit_world


@pytest.fixture
def world(ctx, make_user):
    return setup_audit_world(make_user)


def _team(people, audit_, lead, members=()):
    with audit.acting_as(audit.Actor.of_user(people["secretary"])):
        plan_services.set_team(audit_, lead=lead, members=list(members), actor=people["secretary"])
        db.session.commit()


def _refused(people, audit_, lead, members=()) -> str:
    with pytest.raises(DomainError) as caught:
        _team(people, audit_, lead, members)
    db.session.rollback()
    return caught.value.message


def test_an_independent_team_is_accepted(world):
    planned = new_audit(world, units=["BCVT"], procedures=[world["procedure"]])
    _team(world, planned, world["a_senior"], [world["a_vp"]])
    roles = {m.auditor.user.username: m.role.value for m in planned.team}
    assert roles == {"son.ph": "lead", "lan.tt": "member"}
    assert planned.lead_auditor_id == world["a_senior"].id


def test_nobody_audits_their_own_unit_through_their_account(world):
    planned = new_audit(world, units=["BCVT"])
    message = _refused(world, planned, world["a_senior"], [world["a_bcvt"]])
    assert "Võ Thị Bích Ngọc" in message and "Phòng Bưu chính – Viễn thông" in message
    assert "belong to this unit" in message or "thành viên" in message
    assert db.session.scalars(select(AuditTeamMember)).all() == []


def test_nobody_audits_a_unit_registered_on_their_auditor_record(world):
    planned = new_audit(world, units=["BPMC"])
    message = _refused(world, planned, world["a_senior"], [world["a_vp"]])
    assert "Trần Thị Lan" in message and "Bộ phận Tiếp nhận và Trả kết quả" in message


def test_the_lead_is_checked_too(world):
    planned = new_audit(world, units=["VP"])
    message = _refused(world, planned, world["a_senior"])
    assert "Phạm Hồng Sơn" in message and "Văn phòng Sở" in message


@pytest.mark.parametrize("who, verb", [("specialist", "drafted"), ("head", "reviewed"), ("director", "approved")])
def test_nobody_audits_a_tthc_whose_procedure_they_signed(world, who, verb):
    signer = register(world, world[who])
    planned = new_audit(world, procedures=[world["procedure"]])
    message = _refused(world, planned, world["a_senior"], [signer])
    assert world[who].full_name in message and "1.004470" in message
    assert verb in message or {"drafted": "soạn thảo", "reviewed": "xem xét", "approved": "phê duyệt"}[verb] in message
    assert "01.00" in message  # the revision they signed


def test_nobody_audits_a_qms_procedure_they_drafted(world):
    document = db.session.get(Document, world["procedure"].document_id)
    drafter = register(world, world["specialist"], prior_audits=3)  # experienced enough to lead
    planned = new_audit(world, documents=[document])
    message = _refused(world, planned, drafter)  # as the lead
    assert "Lê Thị Mai Hoa" in message and document.code in message


def test_a_cancelled_draft_does_not_count(world):
    """Only revisions that were not cancelled tie a person to a procedure."""
    from qms.documents import services as documents
    from qms.documents.models import ChangeKind

    outsider = register(world, world["officer"], prior_audits=3)
    document = db.session.get(Document, world["procedure"].document_id)
    # the officer drafts an amendment and cancels it: they are not an author of the procedure
    with audit.acting_as(audit.Actor.of_user(world["secretary"])):
        revision = documents.open_revision(document, ChangeKind.AMENDMENT, actor=world["secretary"])
        documents.cancel_revision(revision, actor=world["secretary"], comment="Không cần")
        db.session.commit()
    planned = new_audit(world, documents=[document])
    _team(world, planned, outsider)
    assert planned.lead_auditor_id == outsider.id


def test_adding_a_unit_after_the_team_is_set_is_refused(world):
    planned = new_audit(world, units=["LDS"])
    _team(world, planned, world["a_senior"], [world["a_bcvt"]])
    with pytest.raises(DomainError) as caught:
        plan_services.set_scope(planned, unit_ids=planned.unit_ids + [_unit("BCVT")], clause_codes=["8.2.2"],
                                actor=world["secretary"])
    db.session.rollback()
    assert "Võ Thị Bích Ngọc" in caught.value.message and "Phòng Bưu chính – Viễn thông" in caught.value.message
    assert [row.unit.code for row in planned.unit_rows] == ["LDS"]


def test_adding_a_procedure_after_the_team_is_set_is_refused(world):
    head = register(world, world["head"])
    planned = new_audit(world, units=["LDS"])
    _team(world, planned, world["a_senior"], [head])
    with pytest.raises(DomainError) as caught:
        plan_services.set_scope(planned, unit_ids=planned.unit_ids, procedure_ids=[world["procedure"].id],
                                actor=world["secretary"])
    db.session.rollback()
    assert "Nguyễn Văn Quang" in caught.value.message and "1.004470" in caught.value.message
    assert planned.process_rows == []


def test_a_lead_needs_enough_audits(world):
    planned = new_audit(world, units=["LDS"])
    message = _refused(world, planned, world["a_vp"])  # one earlier audit, two required
    assert "Trần Thị Lan" in message and "2" in message
    _team(world, planned, world["a_senior"], [world["a_vp"]])  # a member needs no record
    assert services.audits_done([world["a_vp"].id]) == {world["a_vp"].id: 1}


def test_reported_audits_count_for_the_lead_rule(world, monkeypatch):
    from audits.workflow import Action

    planned = new_audit(world, units=["LDS"])
    _team(world, planned, world["a_senior"], [world["a_vp"]])
    planned.summary, planned.conclusion = "Tóm tắt", "Kết luận"  # the report written (no checklist questions)
    with audit.acting_as(audit.Actor.of_user(world["secretary"])):
        for action in (Action.NOTIFY, Action.START, Action.REPORT):
            plan_services.move_audit(planned, action, actor=world["secretary"])
        db.session.commit()
    assert services.audits_done([world["a_vp"].id]) == {world["a_vp"].id: 2}
    second = new_audit(world, units=["LDS"], title="Đánh giá lần hai")
    _team(world, second, world["a_vp"])
    assert second.lead_auditor.user.username == "lan.tt"


def test_only_active_registered_auditors_are_assigned(world):
    planned = new_audit(world, units=["LDS"])
    with audit.acting_as(audit.Actor.of_user(world["secretary"])):
        services.set_auditor_active(world["a_vp"], False, actor=world["secretary"])
        db.session.commit()
    message = _refused(world, planned, world["a_senior"], [world["a_vp"]])
    assert "Trần Thị Lan" in message


def _unit(code):
    from tests.process_samples import unit

    return unit(code)
