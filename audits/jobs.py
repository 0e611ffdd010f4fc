"""Scheduled reminders of internal audits (ISO 9001:2008 clause 8.2.2), run by ``qms scheduler`` or ``qms run-job``.

Each is a plain function of ``now`` returning a one-line summary. Every reminder goes through ``notify``
with a dedupe key naming the audit (or year) and the date it is about, so it fires once per person,
however often the job or the scheduler restarts; a changed date is a new reminder.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from audits.models import Audit, AuditProgramme, AuditStatus, ProgrammeStatus
from audits.plan_services import participants
from qms.extensions import db
from qms.notifications.services import notify
from qms.permissions import Role
from qms.timeutil import format_date, to_local
from qms.users.models import User, UserRole


def _people_with(*roles: Role) -> list[User]:
    return db.session.scalars(select(User).join(UserRole).where(User.is_active.is_(True), UserRole.role.in_(roles))
                              .distinct().order_by(User.id)).all()


def remind_coming_audits(now: datetime) -> str:
    """Tell the team and the auditees AUDIT_REMINDER_DAYS (7) days ahead that an audit is coming."""
    today = to_local(now).date()
    horizon = today + timedelta(days=int(current_app.config.get("AUDIT_REMINDER_DAYS", 7)))
    coming = db.session.scalars(select(Audit).where(
        Audit.status.in_([AuditStatus.PLANNED, AuditStatus.NOTIFIED]),
        Audit.planned_start >= today, Audit.planned_start <= horizon).order_by(Audit.planned_start)).all()
    sent = 0
    for audit in coming:
        for person in participants(audit):
            created = notify(person, kind="audit.coming",
                             title=_("Internal audit %(code)s starts on %(date)s", code=audit.code,
                                     date=format_date(audit.planned_start)),
                             body=audit.title, url=f"/audits/{audit.id}",
                             dedupe_key=f"audit-coming:{audit.id}:{audit.planned_start.isoformat()}", now=now)
            sent += created is not None
    db.session.flush()
    return f"{sent} reminder(s) for {len(coming)} coming audit(s)"


def remind_overdue_reports(now: datetime) -> str:
    """Tell the lead auditor and the ISO secretaries when an audit ended AUDIT_REPORT_DUE_DAYS ago unreported."""
    today = to_local(now).date()
    due_days = int(current_app.config.get("AUDIT_REPORT_DUE_DAYS", 10))
    late = db.session.scalars(select(Audit).where(
        Audit.status.in_([AuditStatus.NOTIFIED, AuditStatus.IN_PROGRESS]),
        Audit.planned_end < today - timedelta(days=due_days)).order_by(Audit.planned_end)).all()
    secretaries = _people_with(Role.ISO_SECRETARY)
    sent = 0
    for audit in late:
        people = {p.id: p for p in secretaries}
        if audit.lead_auditor is not None:
            people[audit.lead_auditor.user_id] = audit.lead_auditor.user
        for person in people.values():
            created = notify(person, kind="audit.report_overdue",
                             title=_("The report of audit %(code)s is overdue", code=audit.code),
                             body=_("The audit ended on %(date)s; its report was due %(days)d days later.",
                                    date=format_date(audit.planned_end), days=due_days),
                             url=f"/audits/{audit.id}",
                             dedupe_key=f"audit-report-overdue:{audit.id}:{audit.planned_end.isoformat()}", now=now)
            sent += created is not None
    db.session.flush()
    return f"{sent} reminder(s) for {len(late)} overdue report(s)"


def remind_programme_approval(now: datetime) -> str:
    """From 1 December, tell the ISO secretaries and the director that next year's programme is not approved
    yet; from 1 January that this year's still is not (once each)."""
    today = to_local(now).date()
    if today >= date(today.year, 12, 1):
        year, phase = today.year + 1, "soon"
    else:
        year, phase = today.year, "late"
    programme = db.session.scalar(select(AuditProgramme).where(AuditProgramme.year == year))
    if programme is not None and programme.status == ProgrammeStatus.APPROVED:
        return f"the programme of {year} is approved"
    if phase == "soon":
        title = _("The internal audit programme of %(year)d is not approved yet", year=year)
    else:
        title = _("The year %(year)d has begun without an approved internal audit programme", year=year)
    body = (_("No programme has been opened for %(year)d.", year=year) if programme is None
            else _("Its state: %(state)s.", state=programme.status.label))
    url = f"/audits/programmes/{programme.id}" if programme is not None else "/audits/"
    sent = 0
    for person in _people_with(Role.ISO_SECRETARY, Role.DIRECTOR):
        created = notify(person, kind="audit.programme_unapproved", title=title, body=body, url=url,
                         dedupe_key=f"audit-programme:{year}:{phase}", now=now)
        sent += created is not None
    db.session.flush()
    return f"the programme of {year} is not approved: {sent} reminder(s)"
