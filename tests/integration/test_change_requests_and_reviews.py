"""Change requests and periodic reviews of documents in force (clause 4.2.3 b), through the services."""

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from qms.audit import log as audit
from qms.audit.models import AuditEntry
from qms.documents import change_requests, reviews, services
from qms.documents.defaults import ensure_document_types
from qms.documents.models import (
    ChangeKind,
    ChangeRequest,
    ChangeRequestStatus,
    DocumentKind,
    DocumentType,
    PeriodicReview,
    ReviewOutcome,
    Revision,
    RevisionState,
)
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.notifications.models import Notification
from qms.signatures.models import Signature, SignatureMeaning
from qms.timeutil import add_months, local_today, to_local
from qms.users.models import User
from tests.conftest import DEMO_PASSWORD

PW = DEMO_PASSWORD


@pytest.fixture
def people(ctx, make_user):
    ids = {
        "secretary": make_user("iso_secretary", username="huong.nt", full_name="Nguyễn Thị Hương"),
        "head": make_user("unit_head", username="lan.tt", full_name="Trần Thị Lan"),
        "director": make_user("director", username="hung.lv", full_name="Lê Văn Hùng"),
        "specialist": make_user("specialist", username="hoa.ltm", full_name="Lê Thị Mai Hoa"),
        "officer": make_user("one_stop_officer", username="nam.vt", full_name="Vũ Thành Nam"),
        "auditor": make_user("external_auditor", username="doan.kt", full_name="Đoàn Kiểm Tra",
                             expires_on=date.today() + timedelta(days=30)),
    }
    ensure_document_types()
    db.session.commit()
    return {name: db.session.get(User, ident) for name, ident in ids.items()}


def _in_force(people, title="Quy trình tiếp nhận và trả kết quả"):
    """A procedure with one revision in force, drafted by the secretary."""
    doc_type = db.session.scalar(select(DocumentType).where(DocumentType.kind == DocumentKind.PROCEDURE))
    with audit.acting_as(audit.Actor.of_user(people["secretary"])):
        document = services.create_document({"type_id": doc_type.id, "title": title}, actor=people["secretary"])
        revision = document.latest_revision
        services.update_draft(revision, {}, [{"key": "content", "title": "Nội dung", "body_html": "<p>B1</p>"}],
                              actor=people["secretary"])
        services.submit_revision(revision, actor=people["secretary"], password=PW)
        services.review_revision(revision, actor=people["head"], password=PW)
        services.approve_revision(revision, actor=people["director"], password=PW)
        db.session.commit()
    db.session.expire_all()
    return document


def _file(people, document, who="officer", reason="Bước 3 không còn đúng thực tế"):
    request = change_requests.file_change_request(document, actor=people[who], reason=reason,
                                                  proposed_change="Gộp bước 3 vào bước 2")
    db.session.commit()
    return request


# Change requests -----------------------------------------------------------------------------------


def test_any_staff_member_files_a_request_against_a_document_in_force(people):
    document = _in_force(people)
    request = _file(people, document)
    assert request.status == ChangeRequestStatus.OPEN and request.requested_by_id == people["officer"].id
    assert [r.id for r in change_requests.open_change_requests()] == [request.id]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "change_requests"))
    assert entry.action == "change_request.filed" and "Bước 3" in entry.summary
    with pytest.raises(DomainError) as no_reason:
        change_requests.file_change_request(document, actor=people["officer"], reason="   ")
    assert no_reason.value.field == "reason"
    with pytest.raises(Forbidden):  # a read-only account asks for nothing
        change_requests.file_change_request(document, actor=people["auditor"], reason="Sửa")


def test_no_request_against_a_document_not_in_force(people):
    doc_type = db.session.scalar(select(DocumentType).where(DocumentType.kind == DocumentKind.PROCEDURE))
    draft = services.create_document({"type_id": doc_type.id, "title": "Chưa ban hành"}, actor=people["secretary"])
    with pytest.raises(Conflict):
        change_requests.file_change_request(draft, actor=people["officer"], reason="Sửa")


def test_accepting_opens_a_linked_draft_and_a_second_decision_is_refused(people):
    document = _in_force(people)
    request = _file(people, document)
    with audit.acting_as(audit.Actor.of_user(people["secretary"])):
        outcome = change_requests.accept_change_request(request, ChangeKind.AMENDMENT, actor=people["secretary"],
                                                        comment="Giao phòng Một cửa soạn")
        db.session.commit()
    revision = outcome.revision
    assert outcome.opened and revision.state == RevisionState.DRAFT and revision.numbering == "01.01"
    assert revision.change_request_id == request.id and request.revision_id == revision.id
    assert revision.change_basis == "Bước 3 không còn đúng thực tế"
    assert revision.change_summary == "Gộp bước 3 vào bước 2"
    assert revision.requested_by == "Vũ Thành Nam"
    assert request.status == ChangeRequestStatus.ACCEPTED and request.decided_by_id == people["secretary"].id
    assert request.decision_comment == "Giao phòng Một cửa soạn"
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "change_requests")))
    assert {"change_request.filed", "change_request.accepted"} <= actions
    with pytest.raises(Conflict):
        change_requests.accept_change_request(request, ChangeKind.REISSUE, actor=people["secretary"])
    with pytest.raises(Conflict):
        change_requests.reject_change_request(request, actor=people["secretary"], reason="Đổi ý")
    db.session.rollback()
    assert db.session.scalar(select(Revision.id).where(Revision.state == RevisionState.DRAFT)) == revision.id


def test_only_the_iso_secretary_decides(people):
    request = _file(people, _in_force(people))
    with pytest.raises(Forbidden):
        change_requests.accept_change_request(request, ChangeKind.AMENDMENT, actor=people["head"])
    with pytest.raises(Forbidden):
        change_requests.reject_change_request(request, actor=people["director"], reason="Không cần")
    assert not change_requests.can_read_change_request(people["specialist"], request)
    assert change_requests.can_read_change_request(people["officer"], request)
    assert change_requests.can_read_change_request(people["secretary"], request)


def test_rejecting_needs_a_reason_and_tells_the_requester(people):
    request = _file(people, _in_force(people))
    with pytest.raises(DomainError) as refused:
        change_requests.reject_change_request(request, actor=people["secretary"], reason="  ")
    assert refused.value.field == "reason"
    db.session.rollback()
    assert db.session.get(type(request), request.id).status == ChangeRequestStatus.OPEN
    change_requests.reject_change_request(request, actor=people["secretary"], reason="Đã quy định ở QT-05")
    db.session.commit()
    assert request.status == ChangeRequestStatus.REJECTED and request.revision_id is None
    note = db.session.scalar(select(Notification).where(Notification.user_id == people["officer"].id))
    assert note.dedupe_key == f"cr:{request.id}:decided" and note.kind == "change_request.rejected"
    assert note.body == "Đã quy định ở QT-05" and note.url == f"/documents/change-requests/{request.id}"
    assert request.document.code in note.title


def test_the_requester_is_notified_of_an_acceptance(people):
    request = _file(people, _in_force(people))
    change_requests.accept_change_request(request, ChangeKind.REISSUE, actor=people["secretary"])
    db.session.commit()
    notes = db.session.scalars(select(Notification).where(Notification.user_id == people["officer"].id)).all()
    assert [(n.kind, n.dedupe_key) for n in notes] == [("change_request.accepted", f"cr:{request.id}:decided")]
    assert db.session.get(Revision, request.revision_id).numbering == "02.00"


def test_a_request_on_a_document_with_a_revision_in_progress_is_linked_to_it(people):
    document = _in_force(people)
    current = services.open_revision(document, ChangeKind.AMENDMENT, actor=people["head"],
                                     values={"change_basis": "Rà soát"})
    db.session.commit()
    request = _file(people, document)
    outcome = change_requests.accept_change_request(request, ChangeKind.REISSUE, actor=people["secretary"])
    db.session.commit()
    assert not outcome.opened and outcome.revision.id == current.id and request.revision_id == current.id
    assert current.change_basis == "Rà soát"  # the drafter's change record is left as it was
    assert db.session.scalar(select(db.func.count(Revision.id)).where(Revision.document_id == document.id)) == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "change_request.accepted"))
    assert "in progress" in entry.summary


def test_the_lists_of_requests(people):
    document = _in_force(people)
    first = _file(people, document)
    second = _file(people, document, who="specialist", reason="Thiếu biểu mẫu")
    change_requests.reject_change_request(first, actor=people["secretary"], reason="Không cần")
    db.session.commit()
    mine = db.session.scalars(change_requests.change_requests_query(requested_by_id=people["specialist"].id)).all()
    assert mine == [second]
    waiting = db.session.scalars(change_requests.change_requests_query(status=ChangeRequestStatus.OPEN)).all()
    assert waiting == [second] == change_requests.open_change_requests()


# Periodic reviews ----------------------------------------------------------------------------------


def _due(document, days):
    document.next_review_on = local_today() + timedelta(days=days)
    db.session.commit()


def test_documents_due_and_overdue_are_listed(people):
    overdue = _in_force(people, "Quy trình A")
    soon = _in_force(people, "Quy trình B")
    later = _in_force(people, "Quy trình C")
    _due(overdue, -3)
    _due(soon, 20)
    _due(later, 200)
    due = reviews.due_reviews(local_today())
    assert [(d.document.id, d.is_overdue, d.days_left) for d in due] == [(overdue.id, True, -3), (soon.id, False, 20)]
    assert [d.document.id for d in reviews.due_reviews(local_today(), within_days=365)] == [
        overdue.id, soon.id, later.id]
    services.open_revision(overdue, ChangeKind.AMENDMENT, actor=people["secretary"])
    db.session.commit()
    assert reviews.due_reviews(local_today())[0].in_progress.numbering == "01.01"


def test_no_change_needs_the_right_password_and_moves_the_date(people):
    document = _in_force(people)
    _due(document, -10)
    effective = document.effective_revision
    with pytest.raises(DomainError) as wrong:
        reviews.record_no_change(document, actor=people["secretary"], password="sai-mat-khau")
    assert wrong.value.field == "password"
    db.session.commit()  # what the view does: keep the refused signature's audit entry
    assert db.session.scalar(select(PeriodicReview.id)) is None
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "signature.refused"))
    assert document.next_review_on == local_today() - timedelta(days=10)

    now = datetime(2026, 3, 31, 3, 0, tzinfo=timezone.utc)
    review = reviews.record_no_change(document, actor=people["secretary"], password=PW, comment="Vẫn phù hợp",
                                      now=now)
    db.session.commit()
    expected = add_months(to_local(now).date(), document.review_interval_months)
    assert review.outcome == ReviewOutcome.NO_CHANGE and review.next_review_on == expected
    assert document.next_review_on == expected
    signature = db.session.get(Signature, review.signature_id)
    assert signature.meaning == SignatureMeaning.PERIODIC_REVIEW and signature.subject_id == effective.id
    assert signature.content_sha256 == effective.content_sha256 and signature.signer_id == people["secretary"].id
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"periodic_review.no_change", "document.review_rescheduled"} <= actions
    [entry] = reviews.review_history(document)
    assert entry.signature.id == signature.id and entry.revision is None


def test_only_the_iso_secretary_reviews_and_only_documents_in_force(people):
    document = _in_force(people)
    with pytest.raises(Forbidden):
        reviews.record_no_change(document, actor=people["head"], password=PW)
    with pytest.raises(Forbidden):
        reviews.record_revision_needed(document, ChangeKind.AMENDMENT, actor=people["director"])
    services.withdraw_document(document, actor=people["secretary"], reason="Bãi bỏ")
    db.session.commit()
    with pytest.raises(Conflict):
        reviews.record_no_change(document, actor=people["secretary"], password=PW)


def test_a_review_that_opens_a_revision(people):
    document = _in_force(people)
    _due(document, 5)
    before = document.next_review_on
    outcome = reviews.record_revision_needed(document, ChangeKind.REISSUE, actor=people["secretary"],
                                             comment="Cập nhật theo Nghị định 107/2021/NĐ-CP")
    db.session.commit()
    review, revision = outcome.review, outcome.revision
    assert outcome.opened and revision.numbering == "02.00" and revision.state == RevisionState.DRAFT
    assert review.outcome == ReviewOutcome.REVISION_OPENED and review.revision_id == revision.id
    assert review.signature_id is None and "Nghị định 107/2021" in revision.change_basis
    assert document.next_review_on == before  # moves only when the new revision takes effect
    # A second review while that revision is in progress is linked to it.
    again = reviews.record_revision_needed(document, ChangeKind.AMENDMENT, actor=people["secretary"])
    db.session.commit()
    assert not again.opened and again.revision.id == revision.id
    assert [e.revision.id for e in reviews.review_history(document)] == [revision.id, revision.id]
    assert "periodic_review.revision_opened" in set(db.session.scalars(select(AuditEntry.action)))
    # When the new revision takes effect, the next review is computed again from that day.
    revision.sections[0].body_html = "<p>B1 mới</p>"
    services.submit_revision(revision, actor=people["secretary"], password=PW)
    services.review_revision(revision, actor=people["head"], password=PW)
    services.approve_revision(revision, actor=people["director"], password=PW)
    db.session.commit()
    assert document.next_review_on == add_months(local_today(), document.review_interval_months)
    assert reviews.due_reviews(local_today()) == []


def test_two_secretaries_deciding_at_once_make_one_decision(app, people):
    """On PostgreSQL the request row is locked: the second decision waits, then is refused."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks and concurrent transactions are tested on PostgreSQL")
    request_id = _file(people, _in_force(people)).id
    secretary_id = people["secretary"].id
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(accept: bool):
        with app.app_context(), audit.acting_as(audit.Actor.system("test")):
            item = db.session.get(ChangeRequest, request_id)
            actor = db.session.get(User, secretary_id)
            barrier.wait()
            try:
                if accept:
                    change_requests.accept_change_request(item, ChangeKind.AMENDMENT, actor=actor)
                else:
                    change_requests.reject_change_request(item, actor=actor, reason="Không cần")
                db.session.commit()
                outcomes.append("ok")
            except Exception as error:  # noqa: BLE001 - a refusal is expected, two decisions are not
                db.session.rollback()
                outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=decide, args=(flag,)) for flag in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    db.session.expire_all()
    item = db.session.get(ChangeRequest, request_id)
    drafts = db.session.scalars(select(Revision).where(Revision.state == RevisionState.DRAFT)).all()
    assert sorted(outcomes) == ["Conflict", "ok"], outcomes
    assert (item.status == ChangeRequestStatus.ACCEPTED) == (len(drafts) == 1)
    assert item.status == ChangeRequestStatus.REJECTED or item.revision_id == drafts[0].id
