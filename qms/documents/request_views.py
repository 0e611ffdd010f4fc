"""Pages of change requests and periodic reviews (ISO 9001:2008 clause 4.2.3 b), on the documents blueprint.

Importing this module (from ``qms.documents.views.init_app``) registers its routes, and, when the
blueprint is registered on an application, its navigation entries and home-page panels.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from qms.documents import change_requests as change_service
from qms.documents import request_panels
from qms.documents import reviews as review_service
from qms.documents import services
from qms.documents.models import ChangeKind, ChangeRequest, ChangeRequestStatus, Document, Revision
from qms.documents.request_forms import (
    AcceptChangeRequestForm,
    ChangeRequestForm,
    NoChangeReviewForm,
    RejectChangeRequestForm,
    RevisionReviewForm,
)
from qms.documents.views import bp
from qms.errors import DomainError
from qms.extensions import db
from qms.permissions import Permission, can_manage_documents, can_read_revision, require_permission
from qms.timeutil import format_date, local_today
from qms.ui import NavItem, add_nav
from qms.users.models import User
from qms.web import perform

#: The horizons offered by the periodic-review list, in days.
HORIZONS = (30, 60, 90, 180, 365)


# Change requests ----------------------------------------------------------------------------------


@bp.get("/change-requests")
@require_permission(Permission.CHANGE_REQUESTS_CREATE)
def change_requests():
    """The ISO secretary sees every request (those awaiting a decision by default); others see their own."""
    keeper = can_manage_documents(current_user)
    status_arg = request.args.get("status", "open" if keeper else "all")
    status = ChangeRequestStatus(status_arg) if status_arg in set(ChangeRequestStatus) else None
    mine = not keeper or request.args.get("mine") == "1"
    query = change_service.change_requests_query(status=status, requested_by_id=current_user.id if mine else None)
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("documents/change_requests.html", page=page, keeper=keeper, mine=mine,
                           status=status.value if status else "all", statuses=list(ChangeRequestStatus))


@bp.route("/<int:document_id>/change-requests/new", methods=["GET", "POST"])
@require_permission(Permission.CHANGE_REQUESTS_CREATE)
def new_change_request(document_id: int):
    document = db.get_or_404(Document, document_id)
    if not change_service.can_file_change_request(current_user, document):
        flash(_("A change can only be asked for a document in force."), "warning")
        return redirect(url_for("documents.detail", document_id=document.id))
    form = ChangeRequestForm()
    if form.validate_on_submit():
        try:
            filed = change_service.file_change_request(document, actor=current_user, reason=form.reason.data,
                                                       proposed_change=form.proposed_change.data or "")
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "reason", form.reason).errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Your change request for %(code)s was sent to the ISO secretary.", code=document.code),
                  "success")
            return redirect(url_for("documents.change_request", change_request_id=filed.id))
    status = 422 if form.errors else 200
    return render_template("documents/change_requests_new.html", form=form, document=document), status


@bp.get("/change-requests/<int:change_request_id>")
@require_permission(Permission.CHANGE_REQUESTS_CREATE)
def change_request(change_request_id: int):
    item = db.get_or_404(ChangeRequest, change_request_id)
    if not change_service.can_read_change_request(current_user, item):
        abort(403)
    revision = db.session.get(Revision, item.revision_id) if item.revision_id else None
    return render_template(
        "documents/change_requests_detail.html", item=item, revision=revision,
        revision_readable=revision is not None and can_read_revision(current_user, revision, local_today()),
        decided_by=db.session.get(User, item.decided_by_id) if item.decided_by_id else None,
        can_decide=change_service.can_decide_change_request(current_user, item),
        in_progress=services.revision_in_progress(item.document),
        accept_form=AcceptChangeRequestForm().fill_choices(), reject_form=RejectChangeRequestForm())


def _to_request(item: ChangeRequest):
    return redirect(url_for("documents.change_request", change_request_id=item.id))


@bp.post("/change-requests/<int:change_request_id>/accept")
@require_permission(Permission.DOCUMENTS_MANAGE)
def accept_change_request(change_request_id: int):
    item = db.get_or_404(ChangeRequest, change_request_id)
    form = AcceptChangeRequestForm().fill_choices()
    if not form.validate_on_submit():
        flash(_("Choose the kind of change."), "danger")
        return _to_request(item)
    try:
        outcome = change_service.accept_change_request(item, ChangeKind(form.change_kind.data), actor=current_user,
                                                       comment=form.comment.data or "")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return _to_request(item)
    db.session.commit()
    numbering = outcome.revision.numbering
    if outcome.opened:
        flash(_("Request accepted: revision %(numbering)s is open as a draft.", numbering=numbering), "success")
    else:
        flash(_("Request accepted and linked to revision %(numbering)s, which was already in progress: "
                "no new revision was opened.", numbering=numbering), "warning")
    return redirect(url_for("documents.revision", document_id=item.document_id, revision_id=outcome.revision.id))


@bp.post("/change-requests/<int:change_request_id>/reject")
@require_permission(Permission.DOCUMENTS_MANAGE)
def reject_change_request(change_request_id: int):
    item = db.get_or_404(ChangeRequest, change_request_id)
    form = RejectChangeRequestForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for the rejection."), "danger")
        return _to_request(item)
    return perform(lambda: change_service.reject_change_request(item, actor=current_user, reason=form.reason.data),
                   done=_("Request rejected; the requester has been told why."),
                   back=url_for("documents.change_request", change_request_id=item.id))


# Periodic reviews ---------------------------------------------------------------------------------


@bp.get("/reviews")
@require_permission(Permission.DOCUMENTS_MANAGE)
def periodic_reviews():
    """Documents in force whose review is due within the chosen horizon, overdue ones first."""
    within = request.args.get("within", default=review_service.DEFAULT_HORIZON_DAYS, type=int)
    within = min(max(within, 0), 3660)
    today = local_today()
    return render_template("documents/reviews.html", due=review_service.due_reviews(today, within_days=within),
                           within=within, horizons=HORIZONS, today=today,
                           recent=review_service.recent_reviews(limit=15))


@bp.get("/<int:document_id>/reviews")
@require_permission(Permission.DOCUMENTS_VIEW)
def document_reviews(document_id: int):
    """The review history of one document (evidence for auditors), and the forms to record a review."""
    document = db.get_or_404(Document, document_id)
    today = local_today()
    if not any(can_read_revision(current_user, r, today) for r in document.revisions):
        abort(404)
    return render_template("documents/reviews_document.html", document=document, today=today,
                           effective=document.effective_revision, history=review_service.review_history(document),
                           in_progress=services.revision_in_progress(document),
                           keeper=can_manage_documents(current_user), no_change_form=NoChangeReviewForm(),
                           revision_form=RevisionReviewForm().fill_choices())


def _to_reviews(document: Document):
    return redirect(url_for("documents.document_reviews", document_id=document.id))


@bp.post("/<int:document_id>/reviews/no-change")
@require_permission(Permission.DOCUMENTS_MANAGE)
def review_no_change(document_id: int):
    document = db.get_or_404(Document, document_id)
    form = NoChangeReviewForm()
    if not form.validate_on_submit():
        flash(_("Enter your password to sign."), "danger")
        return _to_reviews(document)
    try:
        review = review_service.record_no_change(document, actor=current_user, password=form.password.data,
                                                 comment=form.comment.data or "")
    except DomainError as error:
        if error.field == "password":
            db.session.commit()  # nothing changed but the audit entry of the refused signature: keep it
        else:
            db.session.rollback()
        flash(error.message, "danger")
        return _to_reviews(document)
    db.session.commit()
    flash(_("Periodic review signed: no change needed. Next review on %(date)s.",
            date=format_date(review.next_review_on)), "success")
    return _to_reviews(document)


@bp.post("/<int:document_id>/reviews/open-revision")
@require_permission(Permission.DOCUMENTS_MANAGE)
def review_open_revision(document_id: int):
    document = db.get_or_404(Document, document_id)
    form = RevisionReviewForm().fill_choices()
    if not form.validate_on_submit():
        flash(_("Choose the kind of change."), "danger")
        return _to_reviews(document)
    try:
        outcome = review_service.record_revision_needed(document, ChangeKind(form.change_kind.data),
                                                        actor=current_user, comment=form.finding.data or "")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return _to_reviews(document)
    db.session.commit()
    numbering = outcome.revision.numbering
    if outcome.opened:
        flash(_("Periodic review recorded: revision %(numbering)s is open as a draft.", numbering=numbering),
              "success")
        return redirect(url_for("documents.edit_revision", document_id=document.id, revision_id=outcome.revision.id))
    flash(_("Periodic review recorded and linked to revision %(numbering)s, which was already in progress.",
            numbering=numbering), "warning")
    return redirect(url_for("documents.revision", document_id=document.id, revision_id=outcome.revision.id))


@bp.record_once
def _register(state) -> None:
    """Navigation entries and home-page panels, added once per application that registers the blueprint."""
    app = state.app
    section = _l("Documents")
    add_nav(app, NavItem(section, _l("Change requests"), "documents.change_requests",
                         Permission.CHANGE_REQUESTS_CREATE, 102))
    add_nav(app, NavItem(section, _l("Periodic reviews"), "documents.periodic_reviews", Permission.DOCUMENTS_MANAGE,
                         103))
    request_panels.init_app(app)
