"""The audit calendar pages (ISO 9001:2008 clause 8.2.2): a month of audits, one's private feed address and
the feed itself (public by its secret token, like any calendar subscription)."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from audits import calendar_feed
from audits.views import bp
from qms.extensions import db
from qms.permissions import Permission, public, require_permission
from qms.timeutil import local_today


@bp.get("/calendar")
@require_permission(Permission.AUDITS_VIEW)
def calendar():
    """The audits of a month (?month=2026-11), Monday first, with the links to the months around it."""
    year, month = calendar_feed.parse_month(request.args.get("month"), local_today())
    first, last = calendar_feed.month_bounds(year, month)
    audits = calendar_feed.audits_between(first, last)
    previous = f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
    following = f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"
    token = calendar_feed.feed_token(current_user)
    feed_url = url_for("audits.feed", token=token, _external=True) if token else ""
    return render_template("audits/calendar.html", weeks=calendar_feed.month_weeks(year, month, audits),
                           first=first, audits=audits, previous=previous, following=following,
                           today=local_today(), feed_url=feed_url)


@bp.post("/calendar/feed")
@require_permission(Permission.AUDITS_VIEW)
def regenerate_feed():
    calendar_feed.regenerate_feed_token(current_user, actor=current_user)
    db.session.commit()
    flash(_("Your private calendar address was renewed: the old one no longer works."), "success")
    return redirect(url_for("audits.calendar", month=request.args.get("month", "")))


@bp.get("/feed/<token>.ics")
@public
def feed(token: str):
    """The private iCalendar feed of one person's audits; an unknown token is a 404, like a wrong address."""
    user = calendar_feed.user_for_token(token)
    if user is None:
        abort(404)
    data = calendar_feed.ics_bytes(calendar_feed.audits_of(user), base_url=current_app.config.get("PUBLIC_URL", ""))
    return Response(data, mimetype="text/calendar", headers={
        "Content-Disposition": "inline; filename=danh-gia-noi-bo.ics", "Cache-Control": "private, max-age=900"})

