"""Web pages: in-app notifications (the bell in the header, the list, marking read)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from qms.errors import Forbidden
from qms.extensions import db
from qms.notifications import services
from qms.notifications.models import Notification
from qms.permissions import READ_ONLY_ROLES
from qms.ui import HomePanel, add_home_panel

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

#: Unread notifications shown on the home page.
HOME_PANEL_SIZE = 5


@bp.get("/")
def index():
    """Every notification of the signed-in user, newest first, unread ones highlighted."""
    query = services.notifications_of(current_user)
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    read_only = bool(current_user.role_set) and current_user.role_set <= READ_ONLY_ROLES  # may not post
    return render_template("notifications/index.html", page=page, unread=services.unread_count(current_user),
                           link_of=_local_target, can_mark=not read_only)


def _local_target(url: str) -> str | None:
    """Only paths of this site are followed: a notification never sends anyone elsewhere."""
    return url if url.startswith("/") and not url.startswith(("//", "/\\")) else None


@bp.post("/<int:notification_id>/read")
def mark_read(notification_id: int):
    """Mark one notification read; with ``open`` in the form, go on to what it is about."""
    notification = db.get_or_404(Notification, notification_id)
    try:
        services.mark_read(notification, actor=current_user)
    except Forbidden:
        abort(404)  # someone else's notification: do not even confirm it exists
    db.session.commit()
    target = _local_target(notification.url) if request.form.get("open") else None
    return redirect(target or url_for("notifications.index", page=request.form.get("page", type=int)))


@bp.post("/read-all")
def mark_all_read():
    """Mark every notification of the signed-in user read."""
    count = services.mark_all_read(current_user)
    db.session.commit()
    flash(_("%(count)d notification(s) marked as read.", count=count), "success")
    return redirect(url_for("notifications.index"))


def unread_notifications() -> int | None:
    """The number on the bell; None when nobody is signed in or the database cannot answer."""
    if not current_user or not current_user.is_authenticated:
        return None
    try:
        return services.unread_count(current_user)
    except SQLAlchemyError:  # the 500 page must render even when the database is down
        return None


def unread_panel(user, now):
    """The newest unread notifications on the home page; nothing when all are read."""
    rows = db.session.scalars(services.notifications_of(user).where(Notification.read_at.is_(None))
                              .limit(HOME_PANEL_SIZE)).all()
    if not rows:
        return None
    items = [(n.title, _local_target(n.url) or url_for("notifications.index"), None) for n in rows]
    return HomePanel(_("Unread notifications"), items, tone="warning")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(lambda: {"unread_notifications": unread_notifications})
    add_home_panel(app, unread_panel)
