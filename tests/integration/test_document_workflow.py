"""Controlled documents: codes, numbering, signed workflow, segregation of duties, immutability (issue 3)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qms.audit import log as audit
from qms.audit.models import AuditEntry
from qms.documents import services
from qms.documents.defaults import ensure_document_types
from qms.documents.guards import SignedContentError
from qms.documents.models import (
    ChangeKind,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentType,
    Revision,
    RevisionEvent,
    RevisionState,
)
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.signatures.models import Signature
from qms.timeutil import local_today
from qms.users.models import Delegation, User
from tests.conftest import DEMO_PASSWORD

PW = DEMO_PASSWORD


@pytest.fixture
def people(ctx, make_user):
    ids = {
        "secretary": make_user("iso_secretary", username="huong.nt", full_name="Nguyễn Thị Hương"),
        "head": make_user("unit_head", username="lan.tt", full_name="Trần Thị Lan"),
        "director": make_user("director", username="hung.lv", full_name="Lê Văn Hùng"),
        "deputy": make_user("unit_head", username="minh.pd", full_name="Phạm Đức Minh"),
        "specialist": make_user("specialist", username="hoa.ltm", full_name="Lê Thị Mai Hoa"),
    }
    ensure_document_types()
    db.session.commit()
    return {name: db.session.get(User, ident) for name, ident in ids.items()}


def _type(kind):
    return db.session.scalar(select(DocumentType).where(DocumentType.kind == kind))


def _new_procedure(people, title="Quy trình kiểm soát tài liệu", drafter="secretary"):
    with audit.acting_as(audit.Actor.of_user(people[drafter])):
        document = services.create_document({"type_id": _type(DocumentKind.PROCEDURE).id, "title": title},
                                            actor=people[drafter])
        revision = document.latest_revision
        services.update_draft(revision, {}, [
            {"key": "purpose", "title": "Mục đích", "body_html": "<p>Thống nhất cách kiểm soát tài liệu.</p>"},
            {"key": "content", "title": "Nội dung quy trình",
             "body_html": "<table><tr><td>B1</td><td>Soạn thảo</td></tr></table><script>alert(1)</script>"},
        ], actor=people[drafter])
        db.session.commit()
    return document, revision


def _through_approval(people, revision, effective_on=None, drafter="secretary", approver="director"):
    services.submit_revision(revision, actor=people[drafter], password=PW)
    services.review_revision(revision, actor=people["head"], password=PW, comment="Đồng ý")
    services.approve_revision(revision, actor=people[approver], password=PW, effective_on=effective_on)
    db.session.commit()


def test_codes_follow_the_type_pattern_and_are_never_reused(people):
    first, _ = _new_procedure(people)
    second, _ = _new_procedure(people, "Quy trình kiểm soát hồ sơ")
    assert (first.code, second.code) == ("QT-01", "QT-02")
    form = services.create_document({"type_id": _type(DocumentKind.FORM).id, "title": "Phiếu đề nghị sửa đổi",
                                     "parent_id": first.id}, actor=people["secretary"])
    assert form.code == "BM-01/QT-01"
    with pytest.raises(DomainError):
        services.create_document({"type_id": _type(DocumentKind.FORM).id, "title": "Không có quy trình"},
                                 actor=people["secretary"])
    with pytest.raises(Conflict) as taken:
        services.create_document({"type_id": _type(DocumentKind.PROCEDURE).id, "title": "Trùng", "code": "qt-01"},
                                 actor=people["secretary"])
    assert "qt-01" in taken.value.message


def test_the_full_signed_workflow_to_effect(people):
    document, revision = _new_procedure(people)
    assert "<script>" not in revision.sections[1].body_html and "<table>" in revision.sections[1].body_html
    _through_approval(people, revision)
    assert revision.state == RevisionState.EFFECTIVE
    assert document.status == DocumentStatus.EFFECTIVE
    signatures = db.session.scalars(select(Signature).where(Signature.subject_id == revision.id)).all()
    assert [s.meaning.value for s in signatures] == ["drafted", "reviewed", "approved"]
    assert len({s.content_sha256 for s in signatures}) == 1 == len({revision.content_sha256})
    assert signatures[2].signer_position == "" and signatures[2].signer_name == "Lê Văn Hùng"
    events = db.session.scalars(select(RevisionEvent.action).where(RevisionEvent.revision_id == revision.id)
                                .order_by(RevisionEvent.id)).all()
    assert events == ["create", "submit", "review", "approve", "make_effective"]
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"revision.submit", "revision.review", "revision.approve", "revision.make_effective"} <= actions
    assert document.next_review_on == local_today().replace(year=local_today().year + 1) or document.next_review_on


def test_a_wrong_password_records_no_signature_and_no_transition(people):
    _, revision = _new_procedure(people)
    with pytest.raises(DomainError):
        services.submit_revision(revision, actor=people["secretary"], password="sai-mat-khau")
    db.session.rollback()
    assert db.session.get(Revision, revision.id).state == RevisionState.DRAFT
    assert db.session.scalar(select(Signature.id)) is None


def test_the_drafter_can_neither_review_nor_approve_their_own_revision(people):
    _, revision = _new_procedure(people, drafter="head")
    services.submit_revision(revision, actor=people["head"], password=PW)
    with pytest.raises(Forbidden, match="drafter|soạn thảo"):
        services.review_revision(revision, actor=people["head"], password=PW)
    services.review_revision(revision, actor=people["secretary"], password=PW)
    with pytest.raises(Forbidden):
        services.approve_revision(revision, actor=people["head"], password=PW)
    db.session.rollback()


def test_the_database_refuses_self_approval_even_behind_the_services(people):
    _, revision = _new_procedure(people)
    revision.approved_by_id = revision.drafted_by_id
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_only_a_director_or_a_deputy_with_a_delegation_approves(people):
    _, revision = _new_procedure(people)
    services.submit_revision(revision, actor=people["secretary"], password=PW)
    services.review_revision(revision, actor=people["head"], password=PW)
    with pytest.raises(Forbidden):
        services.approve_revision(revision, actor=people["deputy"], password=PW)
    today = local_today()
    db.session.add(Delegation(director_id=people["director"].id, deputy_id=people["deputy"].id,
                              starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1)))
    db.session.flush()
    db.session.expire(people["deputy"], ["delegations_received"])
    services.approve_revision(revision, actor=people["deputy"], password=PW)
    db.session.commit()
    assert revision.approver_capacity == "KT. Giám đốc"
    assert revision.state == RevisionState.EFFECTIVE


def test_after_approval_the_content_cannot_change_by_any_path(people):
    _, revision = _new_procedure(people)
    _through_approval(people, revision)
    with pytest.raises(Conflict):
        services.update_draft(revision, {"title": "Sửa lén"}, None, actor=people["secretary"])
    db.session.rollback()
    revision = db.session.get(Revision, revision.id)
    revision.sections[0].body_html = "<p>Sửa trực tiếp</p>"
    with pytest.raises(SignedContentError):
        db.session.flush()
    db.session.rollback()
    revision = db.session.get(Revision, revision.id)
    revision.change_summary = "khác"
    with pytest.raises(SignedContentError):
        db.session.flush()
    db.session.rollback()
    revision = db.session.get(Revision, revision.id)
    revision.sections.pop()
    with pytest.raises(SignedContentError):
        db.session.flush()
    db.session.rollback()
    assert services.revision_hash(db.session.get(Revision, revision.id)) == revision.content_sha256


def test_amendment_and_reissue_numbering_and_supersession(people):
    document, first = _new_procedure(people)
    _through_approval(people, first)
    amendment = services.open_revision(document, ChangeKind.AMENDMENT, actor=people["secretary"],
                                       values={"change_summary": "Bước 3: 15 → 14 ngày", "change_location": "Mục 5"})
    assert (amendment.issue_no, amendment.revision_no) == (1, 1)
    assert [s.body_html for s in amendment.sections] == [s.body_html for s in first.sections]
    with pytest.raises(Conflict):
        services.open_revision(document, ChangeKind.AMENDMENT, actor=people["secretary"])
    _through_approval(people, amendment)
    db.session.refresh(first)
    assert (first.state, amendment.state) == (RevisionState.SUPERSEDED, RevisionState.EFFECTIVE)
    reissue = services.open_revision(document, ChangeKind.REISSUE, actor=people["secretary"])
    assert (reissue.issue_no, reissue.revision_no) == (2, 0)
    effective = db.session.scalars(select(Revision).where(Revision.document_id == document.id,
                                                          Revision.state == RevisionState.EFFECTIVE)).all()
    assert effective == [amendment]


def test_the_database_allows_one_effective_revision_per_document(people):
    document, first = _new_procedure(people)
    _through_approval(people, first)
    second = services.open_revision(document, ChangeKind.AMENDMENT, actor=people["secretary"])
    db.session.commit()
    signed = {key: getattr(first, key) for key in ("effective_at", "approved_at", "approved_by_id",
                                                   "reviewed_by_id", "reviewed_at", "issued_on", "content_sha256")}
    with db.session.no_autoflush:
        for key, value in signed.items():
            setattr(second, key, value)
        second.state = RevisionState.EFFECTIVE
    with pytest.raises(IntegrityError, match="one_effective|UNIQUE constraint failed: revisions.document_id"):
        db.session.flush()
    db.session.rollback()


def test_a_future_effective_date_waits_for_its_day(people):
    _, revision = _new_procedure(people)
    tomorrow = local_today() + timedelta(days=1)
    _through_approval(people, revision, effective_on=tomorrow)
    assert revision.state == RevisionState.APPROVED
    with pytest.raises(Conflict):
        services.make_effective(revision, actor=people["secretary"])
    db.session.rollback()
    assert services.due_for_effect(local_today()) == []
    assert services.due_for_effect(tomorrow) == [db.session.get(Revision, revision.id)]


def test_return_with_comments_and_cancel_frees_the_number(people):
    document, first = _new_procedure(people)
    _through_approval(people, first)
    draft = services.open_revision(document, ChangeKind.AMENDMENT, actor=people["specialist"])
    services.update_draft(draft, {}, [{"title": "Mục đích", "body_html": "<p>Mới</p>"}], actor=people["specialist"])
    services.submit_revision(draft, actor=people["specialist"], password=PW)
    with pytest.raises(DomainError):
        services.return_revision(draft, actor=people["head"], comment=" ")
    services.return_revision(draft, actor=people["head"], comment="Bổ sung căn cứ pháp lý")
    assert draft.state == RevisionState.DRAFT
    services.cancel_revision(draft, actor=people["specialist"], comment="Không cần sửa nữa")
    db.session.commit()
    again = services.open_revision(document, ChangeKind.AMENDMENT, actor=people["secretary"])
    assert (again.issue_no, again.revision_no) == (1, 1)


def test_withdrawal_makes_the_revision_obsolete_and_keeps_the_code(people):
    document, revision = _new_procedure(people)
    _through_approval(people, revision)
    with pytest.raises(Forbidden):
        services.withdraw_document(document, actor=people["specialist"], reason="x")
    services.withdraw_document(document, actor=people["secretary"], reason="Thủ tục đã bị bãi bỏ")
    db.session.commit()
    assert document.status == DocumentStatus.WITHDRAWN and revision.state == RevisionState.WITHDRAWN
    with pytest.raises(Conflict):
        services.create_document({"type_id": _type(DocumentKind.PROCEDURE).id, "title": "Mới", "code": "QT-01"},
                                 actor=people["secretary"])
    assert services.propose_code(_type(DocumentKind.PROCEDURE)) == "QT-02"


def test_effect_hands_read_and_confirm_tasks_to_the_distribution(people):
    from qms.documents import distribution
    from qms.documents.models import Acknowledgement

    _, revision = _new_procedure(people)
    distribution.set_distribution(revision, unit_ids=[], user_ids=[people["specialist"].id, people["head"].id],
                                  actor=people["secretary"])
    _through_approval(people, revision)
    tasks = db.session.scalars(select(Acknowledgement).where(Acknowledgement.revision_id == revision.id)).all()
    assert sorted(t.user.username for t in tasks) == ["hoa.ltm", "lan.tt"]
    distribution.acknowledge(revision, actor=people["specialist"])
    with pytest.raises(Conflict):
        distribution.acknowledge(revision, actor=people["specialist"])
    with pytest.raises(Forbidden):
        distribution.acknowledge(revision, actor=people["director"])
    db.session.rollback()


def test_a_pattern_without_a_number_proposes_no_taken_code(people):
    """Regression: a pattern such as "{abbr}" (CSCL) once looped forever once its code was taken."""
    policy = _type(DocumentKind.POLICY)
    assert services.propose_code(policy) == "CSCL"
    services.create_document({"type_id": policy.id, "title": "Chính sách chất lượng"}, actor=people["secretary"])
    assert services.propose_code(policy) is None
    with pytest.raises(DomainError):
        services.create_document({"type_id": policy.id, "title": "Chính sách khác"}, actor=people["secretary"])
    db.session.rollback()
