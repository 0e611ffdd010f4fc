"""Home-page panels of document control for the ISO secretary: periodic reviews due, change requests waiting."""

from __future__ import annotations

from flask import Flask, url_for
from flask_babel import gettext as _

from qms.documents import change_requests, reviews
from qms.permissions import can_manage_documents
from qms.timeutil import format_date, to_local
from qms.ui import HomePanel, add_home_panel

PANEL_SIZE = 8


def periodic_reviews_panel(user, now):
    """Documents whose periodic review is overdue (red) or due within 30 days (amber)."""
    if not can_manage_documents(user):
        return None
    due = reviews.due_reviews(to_local(now).date(), within_days=reviews.DEFAULT_HORIZON_DAYS)
    items = []
    for entry in due[:PANEL_SIZE]:
        values = {"code": entry.document.code, "title": entry.document.title, "date": format_date(entry.due_on)}
        if entry.is_overdue:
            text = _("%(code)s %(title)s: review overdue since %(date)s", **values)
        else:
            text = _("%(code)s %(title)s: review due by %(date)s", **values)
        if entry.in_progress is not None:
            text += " · " + _("revision %(numbering)s in progress", numbering=entry.in_progress.numbering)
        items.append((text, url_for("documents.document_reviews", document_id=entry.document.id),
                      "danger" if entry.is_overdue else "warning"))
    if len(due) > PANEL_SIZE:
        items.append((_("All %(count)d documents due for review", count=len(due)),
                      url_for("documents.periodic_reviews"), None))
    tone = "danger" if any(e.is_overdue for e in due) else ("warning" if due else "default")
    return HomePanel(_("Periodic reviews of documents"), items,
                     _("No document is due for periodic review in the next 30 days."), tone)


def change_requests_panel(user, now):
    """Change requests waiting for the ISO secretary's decision, oldest first."""
    if not can_manage_documents(user):
        return None
    waiting = change_requests.open_change_requests()
    items = [(_("%(code)s: asked by %(name)s on %(date)s", code=c.document.code, name=c.requested_by.full_name,
                date=format_date(c.requested_at)), url_for("documents.change_request", change_request_id=c.id), None)
             for c in waiting[:PANEL_SIZE]]
    if len(waiting) > PANEL_SIZE:
        items.append((_("All %(count)d change requests awaiting a decision", count=len(waiting)),
                      url_for("documents.change_requests", status="open"), None))
    return HomePanel(_("Change requests awaiting your decision"), items,
                     _("No change request is waiting for a decision."), "warning" if waiting else "default")


def init_app(app: Flask) -> None:
    add_home_panel(app, periodic_reviews_panel)
    add_home_panel(app, change_requests_panel)
