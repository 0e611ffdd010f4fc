"""Home-page panel of quality records: those whose retention has ended, for the people who dispose of them."""

from __future__ import annotations

from flask import Flask, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from qms.extensions import db
from qms.records.permissions import can_manage_records
from qms.records.services import retention_ended_query
from qms.timeutil import format_date, to_local
from qms.ui import HomePanel, add_home_panel

PANEL_SIZE = 8


def retention_panel(user, now):
    """Records kept past their retention and not yet disposed of (clause 4.2.4: disposal is controlled)."""
    if not can_manage_records(user):
        return None
    query = retention_ended_query(to_local(now).date())
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(PANEL_SIZE)).unique().all()
    items = [(_("%(title)s (%(code)s): kept until %(date)s", title=r.title, code=r.category.code,
                date=format_date(r.retain_until)), url_for("records.detail", record_id=r.id), "warning")
             for r in rows]
    if total > len(rows):
        items.append((_("%(n)d more: see every quality record whose retention has ended", n=total - len(rows)),
                      url_for("records.retention_ended"), None))
    return HomePanel(_("Quality records to dispose of"), items,
                     _("No quality record has reached the end of its retention."),
                     tone="warning" if items else "default")


def init_app(app: Flask) -> None:
    add_home_panel(app, retention_panel)
