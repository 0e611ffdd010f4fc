"""Home-page panel of document control: what waits for this person (the same lists as "My tasks")."""

from __future__ import annotations

from flask import Flask, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from qms.documents.models import Acknowledgement, Revision, RevisionState
from qms.extensions import db
from qms.permissions import (
    Permission,
    can_approve_revision,
    can_edit_revision,
    can_review_revision,
    has_permission,
)
from qms.timeutil import format_date, to_local
from qms.ui import HomePanel, add_home_panel

PANEL_SIZE = 8


def document_tasks_panel(user, now):
    """Drafts to finish, revisions to review or approve, revisions to read and confirm."""
    if not has_permission(user, Permission.DOCUMENTS_VIEW):
        return None
    today = to_local(now).date()
    pending = db.session.scalars(select(Revision).where(Revision.state.in_(
        [RevisionState.DRAFT, RevisionState.SUBMITTED, RevisionState.REVIEWED]))
        .order_by(Revision.updated_at.desc())).all()
    items = []
    for revision in pending:
        url = url_for("documents.revision", document_id=revision.document_id, revision_id=revision.id)
        values = {"code": revision.document.code, "title": revision.title}
        if revision.state == RevisionState.DRAFT and revision.drafted_by_id == user.id \
                and can_edit_revision(user, revision):
            items.append((_("Draft to finish: %(code)s %(title)s", **values), url, None))
        elif can_review_revision(user, revision):
            items.append((_("To review: %(code)s %(title)s", **values), url, "warning"))
        elif can_approve_revision(user, revision, today):
            items.append((_("To approve: %(code)s %(title)s", **values), url, "warning"))
    acks = db.session.scalars(select(Acknowledgement).join(Revision).where(
        Acknowledgement.user_id == user.id, Acknowledgement.confirmed_at.is_(None),
        Revision.state == RevisionState.EFFECTIVE).order_by(Acknowledgement.due_on)).all()
    for task in acks:
        revision = task.revision
        items.append((_("Read and confirm by %(date)s: %(code)s %(title)s", date=format_date(task.due_on),
                        code=revision.document.code, title=revision.title),
                      url_for("documents.revision", document_id=revision.document_id, revision_id=revision.id),
                      "danger" if task.due_on < today else None))
    if not items:
        return None
    shown = items[:PANEL_SIZE]
    if len(items) > PANEL_SIZE:
        shown.append((_("All %(count)d document tasks", count=len(items)), url_for("documents.tasks"), None))
    tone = "danger" if any(badge == "danger" for _text, _url, badge in items) else "warning"
    return HomePanel(_("My document tasks"), shown, "", tone)


def init_app(app: Flask) -> None:
    add_home_panel(app, document_tasks_panel)
