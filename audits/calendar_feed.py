"""The audit calendar (ISO 9001:2008 clause 8.2.2): a month of audits for the browser, and each person's private
iCalendar feed (RFC 5545) of the audits they audit or are audited in, with their sessions.

The feed's address carries a token: HMAC-SHA256 of a random nonce under the app's secret key. The
database keeps the nonce and the token's SHA-256 (to find the owner), never the token itself.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import or_, select

from audits.models import Audit, AuditAuditee, Auditor, AuditTeamMember, CalendarFeedToken
from qms.audit import log as audit_log
from qms.extensions import db
from qms.timeutil import utcnow
from qms.users.models import User


# Month view ----------------------------------------------------------------------------------------


@dataclass
class Day:
    day: date
    in_month: bool
    audits: list


def month_weeks(year: int, month: int, audits) -> list[list[Day]]:
    """The weeks (Monday first) of the month, each day with the audits running on it."""
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([Day(d, d.month == month, [a for a in audits if a.planned_start <= d <= a.planned_end])
                      for d in week])
    return weeks


def audits_between(first: date, last: date) -> list[Audit]:
    return db.session.scalars(select(Audit).where(Audit.planned_start <= last, Audit.planned_end >= first)
                              .order_by(Audit.planned_start, Audit.code)).all()


def parse_month(text: str | None, today: date) -> tuple[int, int]:
    """(year, month) from "2026-11"; this month when absent or malformed."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return today.year, today.month


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


# Private feed ----------------------------------------------------------------------------------------


def _token_of(nonce: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, nonce.encode("ascii"), hashlib.sha256).hexdigest()


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


def feed_token(user) -> str | None:
    """The token of *user*'s feed, or None before they asked for one."""
    row = db.session.scalar(select(CalendarFeedToken).where(CalendarFeedToken.user_id == user.id))
    return _token_of(row.nonce) if row else None


def regenerate_feed_token(user, *, actor, now: datetime | None = None) -> str:
    """Give *user* a new private feed address; the old one stops working at once."""
    nonce = secrets.token_urlsafe(32)
    token = _token_of(nonce)
    row = db.session.scalar(select(CalendarFeedToken).where(CalendarFeedToken.user_id == user.id))
    if row is None:
        row = CalendarFeedToken(user_id=user.id)
        db.session.add(row)
    row.nonce, row.token_sha256, row.created_at = nonce, _sha(token), now or utcnow()
    audit_log.record(db.session, "audit_feed.regenerated", row, summary=user.username)
    db.session.flush()
    return token


def user_for_token(token: str) -> User | None:
    """The active owner of a feed token, or None (unknown, replaced, or a deactivated account)."""
    if not token or len(token) > 128:
        return None
    row = db.session.scalar(select(CalendarFeedToken).where(CalendarFeedToken.token_sha256 == _sha(token)))
    if row is None or not hmac.compare_digest(_token_of(row.nonce), token):
        return None
    user = db.session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def audits_of(user) -> list[Audit]:
    """The audits *user* is on the team of or audited in."""
    on_team = (select(AuditTeamMember.audit_id).join(Auditor, AuditTeamMember.auditor_id == Auditor.id)
               .where(Auditor.user_id == user.id))
    audited = select(AuditAuditee.audit_id).where(AuditAuditee.user_id == user.id)
    return db.session.scalars(select(Audit).where(or_(Audit.id.in_(on_team), Audit.id.in_(audited)))
                              .order_by(Audit.planned_start)).all()


def ics_bytes(audits, *, base_url: str = "", now: datetime | None = None) -> bytes:
    """An RFC 5545 calendar: one all-day event per audit, one timed event per session (times in UTC)."""
    stamp = now or utcnow()
    cal = Calendar()
    cal.add("prodid", "-//QMS-TTHC//Danh gia noi bo//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Đánh giá nội bộ")
    for audit in audits:
        event = Event()
        event.add("uid", f"audit-{audit.id}@qms-tthc")
        event.add("dtstamp", stamp)
        event.add("dtstart", audit.planned_start)
        event.add("dtend", audit.planned_end + timedelta(days=1))  # DTEND of an all-day event is exclusive
        event.add("summary", f"{audit.code} {audit.title}")
        event.add("description", _description(audit))
        event.add("status", "CANCELLED" if audit.status.value == "closed" and audit.started_at is None
                  else "CONFIRMED")
        if base_url:
            event.add("url", f"{base_url.rstrip('/')}/audits/{audit.id}")
        cal.add_component(event)
        for session in audit.sessions:
            timed = Event()
            timed.add("uid", f"audit-{audit.id}-session-{session.id}@qms-tthc")
            timed.add("dtstamp", stamp)
            timed.add("dtstart", session.starts_at)
            timed.add("dtend", session.ends_at)
            timed.add("summary", f"{audit.code}: {session.topic or audit.title}")
            if session.unit is not None:
                timed.add("location", session.unit.name)
            cal.add_component(timed)
    return cal.to_ical()


def _description(audit) -> str:
    lines = [audit.title]
    if audit.lead_auditor is not None:
        lines.append(f"Trưởng đoàn: {audit.lead_auditor.user.full_name}")
    units = ", ".join(row.unit.name for row in audit.unit_rows)
    if units:
        lines.append(f"Đơn vị: {units}")
    return "\n".join(lines)
