"""Home-page panel of document control: what waits for this person (the same lists as "My tasks")."""

from __future__ import annotations

from flask import Flask, url_for
from flask_babel import gettext as _
from qms.documents.models import RevisionState
from qms.documents.queries import tasks_of
from qms.permissions import Permission, has_permission
from qms.timeutil import format_date, to_local
from qms.ui import HomePanel, add_home_panel

PANEL_SIZE = 8


def document_tasks_panel(user, now):
    """Drafts to finish, revisions to review or approve, revisions to read and confirm."""
    if not has_permission(user, Permission.DOCUMENTS_VIEW):
        return None
    today = to_local(now).date()
    tasks = tasks_of(user, today)
    items = []
    for revision in sorted(tasks.drafts + tasks.reviews + tasks.approvals, key=lambda r: r.updated_at, reverse=True):
        url = url_for("documents.revision", document_id=revision.document_id, revision_id=revision.id)
        values = {"code": revision.document.code, "title": revision.title}
        if revision.state == RevisionState.DRAFT:
            if revision.drafted_by_id == user.id:
                items.append((_("Draft to finish: %(code)s %(title)s", **values), url, None))
        elif revision in tasks.reviews:
            items.append((_("To review: %(code)s %(title)s", **values), url, "warning"))
        else:
            items.append((_("To approve: %(code)s %(title)s", **values), url, "warning"))
    for task in tasks.acknowledgements:
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
