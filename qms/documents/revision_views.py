"""Revision pages: read, edit a draft, the signed workflow actions, compare, Word export, my tasks."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from qms.documents import diff, distribution, hooks, queries, services
from qms.documents.forms import CommentForm, RevisionForm, SignForm
from qms.documents.models import Acknowledgement, Document, Revision, RevisionEvent, RevisionState
from qms.documents.views import bp
from qms.documents.workflow import Action
from qms.errors import DomainError
from qms.extensions import db
from qms.permissions import (
    Permission,
    can_approve_revision,
    can_cancel_revision,
    can_edit_revision,
    can_manage_documents,
    can_read_revision,
    can_return_revision,
    can_review_revision,
    require_permission,
)
from qms.signatures.services import signatures_of
from qms.timeutil import local_today
from qms.web import perform


def load_revision(document_id: int, revision_id: int) -> Revision:
    """The revision of that document, if this user may read it; 404 otherwise (also for the other views)."""
    revision = db.get_or_404(Revision, revision_id)
    if revision.document_id != document_id or not can_read_revision(current_user, revision, local_today()):
        abort(404)
    return revision


def _revision_url(revision: Revision) -> str:
    return url_for("documents.revision", document_id=revision.document_id, revision_id=revision.id)


def _to_revision(revision: Revision):
    return redirect(_revision_url(revision))


@bp.get("/<int:document_id>/revisions/<int:revision_id>")
@require_permission(Permission.DOCUMENTS_VIEW)
def revision(document_id: int, revision_id: int):
    revision = load_revision(document_id, revision_id)
    today = local_today()
    events = db.session.scalars(select(RevisionEvent).where(RevisionEvent.revision_id == revision.id)
                                .order_by(RevisionEvent.id)).all()
    ack = db.session.scalar(select(Acknowledgement).where(Acknowledgement.revision_id == revision.id,
                                                          Acknowledgement.user_id == current_user.id))
    allowed = {
        Action.SUBMIT: can_edit_revision(current_user, revision),
        Action.REVIEW: can_review_revision(current_user, revision),
        Action.RETURN: can_return_revision(current_user, revision, today),
        Action.APPROVE: can_approve_revision(current_user, revision, today),
        Action.MAKE_EFFECTIVE: can_manage_documents(current_user) and revision.state == RevisionState.APPROVED
        and (revision.planned_effective_on is None or revision.planned_effective_on <= today),
        Action.CANCEL: can_cancel_revision(current_user, revision),
    }
    others = [r for r in revision.document.revisions if r.id != revision.id and can_read_revision(current_user, r, today)]
    return render_template("documents/revision.html", revision=revision, document=revision.document,
                           signatures=signatures_of(revision), events=events, allowed=allowed, ack=ack,
                           sign_form=SignForm(), comment_form=CommentForm(), others=others,
                           can_edit=can_edit_revision(current_user, revision), today=today,
                           recipients=distribution.recipients(revision), action_labels=_action_labels(),
                           citations=_references(revision)["citations"], extension_links=hooks.links(revision))


def _action_labels() -> dict[str, str]:
    labels = {action.value: action.label for action in Action}
    labels["create"] = _("Revision opened")
    return labels


@bp.route("/<int:document_id>/revisions/<int:revision_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.DOCUMENTS_DRAFT)
def edit_revision(document_id: int, revision_id: int):
    revision = load_revision(document_id, revision_id)
    if not can_edit_revision(current_user, revision):
        abort(403)
    form = RevisionForm(obj=revision)
    sections = [{"key": s.key.value, "title": s.title, "body_html": s.body_html} for s in revision.sections]
    if form.validate_on_submit():
        sections = [{"key": key, "title": title, "body_html": body} for key, title, body in zip(
            request.form.getlist("section_key"), request.form.getlist("section_title"),
            request.form.getlist("section_body"))]
        values = {f.name: f.data for f in form if f.name != "csrf_token"}
        try:
            services.update_draft(revision, values, sections, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
            return render_template("documents/edit.html", form=form, revision=revision, sections=sections,
                                   **_references(revision)), 422
        db.session.commit()
        flash(_("Draft saved."), "success")
        return _to_revision(revision)
    return render_template("documents/edit.html", form=form, revision=revision, sections=sections,
                           **_references(revision))


def _references(revision: Revision) -> dict:
    from qms.external_docs.models import ExternalDocument, ExternalStatus, RevisionCitation

    citations = db.session.scalars(select(RevisionCitation).where(RevisionCitation.revision_id == revision.id)).all()
    externals = db.session.scalars(select(ExternalDocument).where(ExternalDocument.status != ExternalStatus.EXPIRED)
                                   .order_by(ExternalDocument.number)).all()
    return {"citations": citations, "externals": externals}


def _signed_step(document_id: int, revision_id: int, step):
    revision = load_revision(document_id, revision_id)
    form = SignForm()
    if not form.validate_on_submit():
        flash(_("Enter your password to sign."), "danger")
        return _to_revision(revision)
    try:
        step(revision, form)
    except DomainError as error:
        if error.field == "password":
            db.session.commit()  # nothing changed but the audit entry of the refused signature: keep it
        else:
            db.session.rollback()
        flash(error.message, "danger")
        return _to_revision(revision)
    db.session.commit()
    flash(_("Signed: %(state)s.", state=revision.state.label), "success")
    return _to_revision(revision)


@bp.post("/<int:document_id>/revisions/<int:revision_id>/submit")
@require_permission(Permission.DOCUMENTS_DRAFT)
def submit(document_id: int, revision_id: int):
    return _signed_step(document_id, revision_id, lambda r, f: services.submit_revision(
        r, actor=current_user, password=f.password.data, comment=f.comment.data or ""))


@bp.post("/<int:document_id>/revisions/<int:revision_id>/review")
@require_permission(Permission.DOCUMENTS_REVIEW)
def review(document_id: int, revision_id: int):
    return _signed_step(document_id, revision_id, lambda r, f: services.review_revision(
        r, actor=current_user, password=f.password.data, comment=f.comment.data or ""))


@bp.post("/<int:document_id>/revisions/<int:revision_id>/approve")
@require_permission(Permission.DOCUMENTS_VIEW)  # a deputy under delegation holds no approve permission
def approve(document_id: int, revision_id: int):
    return _signed_step(document_id, revision_id, lambda r, f: services.approve_revision(
        r, actor=current_user, password=f.password.data, effective_on=f.effective_on.data,
        comment=f.comment.data or ""))


def _commented_step(document_id: int, revision_id: int, step, done: str):
    revision = load_revision(document_id, revision_id)
    form = CommentForm()
    if not form.validate_on_submit():
        flash(_("Give a reason."), "danger")
        return _to_revision(revision)
    return perform(lambda: step(revision, form.comment.data), done=done, back=_revision_url(revision))


@bp.post("/<int:document_id>/revisions/<int:revision_id>/return")
@require_permission(Permission.DOCUMENTS_VIEW)
def return_to_drafter(document_id: int, revision_id: int):
    return _commented_step(document_id, revision_id, lambda r, c: services.return_revision(
        r, actor=current_user, comment=c), _("Returned to the drafter with your comments."))


@bp.post("/<int:document_id>/revisions/<int:revision_id>/cancel")
@require_permission(Permission.DOCUMENTS_DRAFT)
def cancel(document_id: int, revision_id: int):
    return _commented_step(document_id, revision_id, lambda r, c: services.cancel_revision(
        r, actor=current_user, comment=c), _("Revision cancelled."))


@bp.post("/<int:document_id>/revisions/<int:revision_id>/make-effective")
@require_permission(Permission.DOCUMENTS_MANAGE)
def make_effective(document_id: int, revision_id: int):
    revision = load_revision(document_id, revision_id)
    return perform(lambda: services.make_effective(revision, actor=current_user),
                   done=_("The revision is now in force; the previous one is obsolete."),
                   back=_revision_url(revision))


@bp.post("/<int:document_id>/revisions/<int:revision_id>/acknowledge")
@require_permission(Permission.DOCUMENTS_VIEW)
def acknowledge(document_id: int, revision_id: int):
    revision = load_revision(document_id, revision_id)
    return perform(lambda: distribution.acknowledge(revision, actor=current_user),
                   done=_("Thank you: your confirmation has been recorded."), back=_revision_url(revision))


@bp.get("/<int:document_id>/compare")
@require_permission(Permission.DOCUMENTS_VIEW)
def compare(document_id: int):
    """Compare two revisions; by default the one in force with the one before it."""
    document = db.get_or_404(Document, document_id)
    readable = [r for r in document.revisions if can_read_revision(current_user, r, local_today())]
    newer_id = request.args.get("to", type=int) or (readable[-1].id if readable else 0)
    newer = load_revision(document_id, newer_id)
    earlier = [r for r in readable if (r.issue_no, r.revision_no) < (newer.issue_no, newer.revision_no)]
    older_id = request.args.get("from", type=int) or (earlier[-1].id if earlier else 0)
    if not older_id:
        flash(_("There is no earlier revision to compare with."), "info")
        return redirect(url_for("documents.detail", document_id=document_id))
    older = load_revision(document_id, older_id)
    if (older.issue_no, older.revision_no) > (newer.issue_no, newer.revision_no):
        older, newer = newer, older
    return render_template("documents/compare.html", document=document, older=older, newer=newer,
                           changes=diff.compare_revisions(older, newer))


@bp.get("/<int:document_id>/revisions/<int:revision_id>.docx")
@require_permission(Permission.DOCUMENTS_VIEW)
def export_docx(document_id: int, revision_id: int):
    from qms.documents.exports import revision_docx
    from qms.org.services import current_agency

    revision = load_revision(document_id, revision_id)
    history = [r for r in revision.document.revisions if r.state in (
        RevisionState.EFFECTIVE, RevisionState.SUPERSEDED, RevisionState.WITHDRAWN) and r.id <= revision.id]
    if revision not in history:
        history.append(revision)
    content = revision_docx(revision, agency=current_agency(), signatures=signatures_of(revision),
                            history=history, copy_mark="obsolete" if revision.is_obsolete else "controlled")
    name = f"{revision.document.code}-{revision.numbering}.docx".replace("/", "_")
    return Response(content, mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/tasks")
@require_permission(Permission.DOCUMENTS_VIEW)
def tasks():
    """What waits for me in document control: drafts, reviews, approvals, confirmations."""
    today = local_today()
    found = queries.tasks_of(current_user, today)
    mine = {"drafts": found.drafts, "reviews": found.reviews, "approvals": found.approvals, "waiting": found.waiting}
    acks = found.acknowledgements
    return render_template("documents/tasks.html", mine=mine, acks=acks, today=today)

