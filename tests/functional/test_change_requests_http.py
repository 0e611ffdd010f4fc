"""Change requests and periodic reviews through the pages: staff ask, the ISO secretary decides and reviews."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from qms.audit import log as audit
from qms.documents import services
from qms.documents.defaults import ensure_document_types
from qms.documents.models import (
    ChangeRequest,
    ChangeRequestStatus,
    Document,
    DocumentKind,
    DocumentType,
    PeriodicReview,
    Revision,
    RevisionState,
)
from qms.extensions import db
from qms.timeutil import add_months, local_today
from qms.users.models import User
from tests.conftest import DEMO_PASSWORD, AuthActions


@pytest.fixture
def in_force(app, make_user):
    """Four people and a procedure in force (QT-01), drafted by the secretary."""
    make_user("iso_secretary", username="huong.nt", full_name="Nguyễn Thị Hương")
    make_user("unit_head", username="lan.tt", full_name="Trần Thị Lan")
    make_user("director", username="hung.lv", full_name="Lê Văn Hùng")
    make_user("specialist", username="hoa.ltm", full_name="Lê Thị Mai Hoa")
    make_user("one_stop_officer", username="nam.vt", full_name="Vũ Thành Nam")
    with app.app_context(), audit.acting_as(audit.Actor.system("test")):
        ensure_document_types()
        people = {u.username: u for u in db.session.scalars(select(User))}
        doc_type = db.session.scalar(select(DocumentType).where(DocumentType.kind == DocumentKind.PROCEDURE))
        document = services.create_document({"type_id": doc_type.id, "title": "Quy trình tiếp nhận hồ sơ"},
                                            actor=people["huong.nt"])
        revision = document.latest_revision
        services.update_draft(revision, {}, [{"title": "Nội dung", "body_html": "<p>B1</p>"}],
                              actor=people["huong.nt"])
        services.submit_revision(revision, actor=people["huong.nt"], password=DEMO_PASSWORD)
        services.review_revision(revision, actor=people["lan.tt"], password=DEMO_PASSWORD)
        services.approve_revision(revision, actor=people["hung.lv"], password=DEMO_PASSWORD)
        db.session.commit()
        return document.id


def _as(app, username):
    actions = AuthActions(app.test_client())
    assert actions.login(username).status_code == 302
    return actions


def _flash(response) -> str:
    return " ".join(re.findall(r'class="alert alert-\w+" role="alert">(.*?)</div>', response.get_data(as_text=True),
                               re.S))


def _file(app, document_id, username="hoa.ltm", reason="Bước 2 thiếu thời hạn"):
    staff = _as(app, username)
    url = f"/documents/{document_id}/change-requests/new"
    response = staff.post(url, {"reason": reason, "proposed_change": "Thêm 02 ngày làm việc"}, page=url)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        change_request_id = db.session.scalar(select(ChangeRequest.id).where(ChangeRequest.reason == reason))
    assert response.headers["Location"].endswith(f"/documents/change-requests/{change_request_id}")
    return staff, change_request_id


def test_a_specialist_asks_and_the_secretary_accepts(app, in_force):
    staff = _as(app, "hoa.ltm")
    page = staff.client.get(f"/documents/{in_force}").get_data(as_text=True)
    assert f"/documents/{in_force}/change-requests/new" in page
    refused = staff.post(f"/documents/{in_force}/change-requests/new", {"reason": ""},
                         page=f"/documents/{in_force}/change-requests/new")
    assert refused.status_code == 422
    staff, request_id = _file(app, in_force)
    mine = staff.client.get("/documents/change-requests").get_data(as_text=True)
    assert "Bước 2 thiếu thời hạn" in mine and f"change-request-{request_id}" in mine

    secretary = _as(app, "huong.nt")
    waiting = secretary.client.get("/documents/change-requests").get_data(as_text=True)
    assert "Lê Thị Mai Hoa" in waiting and f"change-request-{request_id}" in waiting
    assert f"change-request-{request_id}" not in secretary.client.get(
        "/documents/change-requests?status=rejected").get_data(as_text=True)
    assert "QT-01" in secretary.client.get("/").get_data(as_text=True)  # home panel: awaiting a decision
    detail = f"/documents/change-requests/{request_id}"
    response = secretary.post(f"{detail}/accept", {"change_kind": "amendment", "comment": "Đồng ý"}, page=detail)
    assert response.status_code == 302
    with app.app_context():
        change_request = db.session.get(ChangeRequest, request_id)
        revision = db.session.get(Revision, change_request.revision_id)
        assert change_request.status == ChangeRequestStatus.ACCEPTED
        assert revision.state == RevisionState.DRAFT and revision.change_request_id == request_id
        assert revision.requested_by == "Lê Thị Mai Hoa" and revision.change_basis == "Bước 2 thiếu thời hạn"
    assert response.headers["Location"].endswith(f"/documents/{in_force}/revisions/{revision.id}")
    again = secretary.post(f"{detail}/reject", {"reason": "Đổi ý"}, page=detail, follow_redirects=True)
    assert 'alert-danger' in again.get_data(as_text=True) and _flash(again)
    with app.app_context():
        assert db.session.get(ChangeRequest, request_id).status == ChangeRequestStatus.ACCEPTED

    outcome = staff.client.get(detail).get_data(as_text=True)
    assert 'data-testid="decision"' in outcome and revision.numbering in outcome
    notifications = staff.client.get("/notifications/").get_data(as_text=True)
    assert "QT-01" in notifications


def test_rejection_needs_a_reason_and_only_the_requester_and_the_secretary_read_a_request(app, in_force):
    staff, request_id = _file(app, in_force)
    detail = f"/documents/change-requests/{request_id}"
    assert _as(app, "nam.vt").client.get(detail).status_code == 403
    assert _as(app, "lan.tt").post(f"{detail}/reject", {"reason": "Không"}, page="/").status_code == 403
    secretary = _as(app, "huong.nt")
    secretary.post(f"{detail}/reject", {"reason": "  "}, page=detail)
    with app.app_context():
        assert db.session.get(ChangeRequest, request_id).status == ChangeRequestStatus.OPEN
    secretary.post(f"{detail}/reject", {"reason": "Đã quy định tại QT-05"}, page=detail)
    with app.app_context():
        change_request = db.session.get(ChangeRequest, request_id)
        assert change_request.status == ChangeRequestStatus.REJECTED
        assert change_request.decision_comment == "Đã quy định tại QT-05"
    assert "Đã quy định tại QT-05" in staff.client.get(detail).get_data(as_text=True)


def test_accepting_while_a_revision_is_in_progress_links_to_it(app, in_force):
    _staff, request_id = _file(app, in_force)
    secretary = _as(app, "huong.nt")
    secretary.post(f"/documents/{in_force}/revisions/open", {"change_kind": "amendment"},
                   page=f"/documents/{in_force}")
    detail = f"/documents/change-requests/{request_id}"
    assert "01.01" in secretary.client.get(detail).get_data(as_text=True)  # the secretary is warned beforehand
    response = secretary.post(f"{detail}/accept", {"change_kind": "reissue"}, page=detail, follow_redirects=True)
    assert "01.01" in _flash(response) and "alert-warning" in response.get_data(as_text=True)  # and told after
    with app.app_context():
        numbers = db.session.scalars(select(Revision.revision_no).where(Revision.document_id == in_force)).all()
        assert sorted(numbers) == [0, 1]
        assert db.session.get(Revision, db.session.get(ChangeRequest, request_id).revision_id).numbering == "01.01"


def _set_review_date(app, document_id, days):
    with app.app_context():
        document = db.session.get(Document, document_id)
        document.next_review_on = local_today() + timedelta(days=days)
        db.session.commit()


def test_periodic_reviews_list_and_no_change_signature(app, in_force):
    _set_review_date(app, in_force, -5)
    secretary = _as(app, "huong.nt")
    listing = secretary.client.get("/documents/reviews").get_data(as_text=True)
    assert re.search(rf'<tr class="overdue" data-testid="due-{in_force}"', listing)
    assert "QT-01" in secretary.client.get("/").get_data(as_text=True)  # home panel: overdue review
    assert _as(app, "hoa.ltm").client.get("/documents/reviews").status_code == 403

    page = f"/documents/{in_force}/reviews"
    wrong = secretary.post(f"{page}/no-change", {"password": "sai-mat-khau"}, page=page, follow_redirects=True)
    assert "alert-danger" in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(PeriodicReview.id)) is None
    secretary.post(f"{page}/no-change", {"password": DEMO_PASSWORD, "comment": "Vẫn phù hợp"}, page=page)
    with app.app_context():
        document = db.session.get(Document, in_force)
        assert document.next_review_on == add_months(local_today(), document.review_interval_months)
    history = _as(app, "hoa.ltm").client.get(page).get_data(as_text=True)  # evidence: every reader sees it
    assert "Vẫn phù hợp" in history and "no-change" not in history  # no form for a specialist
    assert f"due-{in_force}" not in secretary.client.get("/documents/reviews").get_data(as_text=True)
    assert f"due-{in_force}" in secretary.client.get("/documents/reviews?within=400").get_data(as_text=True)


def test_a_periodic_review_that_opens_a_revision(app, in_force):
    _set_review_date(app, in_force, 10)
    secretary = _as(app, "huong.nt")
    page = f"/documents/{in_force}/reviews"
    response = secretary.post(f"{page}/open-revision", {"change_kind": "reissue", "finding": "Luật mới"}, page=page)
    assert response.status_code == 302 and response.headers["Location"].endswith("/edit")
    with app.app_context():
        review = db.session.scalar(select(PeriodicReview))
        revision = db.session.get(Revision, review.revision_id)
        assert revision.numbering == "02.00" and "Luật mới" in revision.change_basis
        assert db.session.get(Document, in_force).next_review_on == local_today() + timedelta(days=10)
    listing = secretary.client.get("/documents/reviews").get_data(as_text=True)
    assert "02.00" in listing  # still due, with the revision in progress shown
