"""Home-page panel of internal audits (ISO 9001:2008 clause 8.2.2; QĐ 19/2014 Art. 4: at least one internal
audit a year): the year without an audit, a programme awaiting approval, and one's own coming audits."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from audits.models import Audit, AuditAuditee, Auditor, AuditProgramme, AuditStatus, AuditTeamMember
from qms.extensions import db
from qms.permissions import Permission, Role, has_permission
from qms.timeutil import format_date, to_local
from qms.ui import HomePanel, add_home_panel


def audits_panel(user, now):
    """What the director and the ISO secretary must know about this year's audits; one's own coming audits."""
    if not has_permission(user, Permission.AUDITS_VIEW):
        return None
    today = to_local(now).date()
    keeper = user.has_role(Role.DIRECTOR) or user.has_role(Role.ISO_SECRETARY)
    items, tone = [], "default"
    if keeper:
        year_audits = db.session.scalar(select(Audit.id).where(Audit.planned_start >= date(today.year, 1, 1),
                                                               Audit.planned_start <= date(today.year, 12, 31)))
        if year_audits is None:
            tone = "danger"
            items.append((_("No internal audit is planned for %(year)d: QĐ 19/2014 asks for at least one a year.",
                            year=today.year), url_for("audits.coverage", year=today.year), "danger"))
    if has_permission(user, Permission.AUDITS_APPROVE_PROGRAMME) or user.delegations_received:
        for programme in db.session.scalars(select(AuditProgramme).where(AuditProgramme.status == "submitted")):
            items.append((_("The audit programme of %(year)d awaits your approval.", year=programme.year),
                          url_for("audits.programme", programme_id=programme.id), "warning"))
    for audit in _own_coming_audits(user, today):
        items.append((_("%(code)s %(title)s, from %(date)s", code=audit.code, title=audit.title,
                        date=format_date(audit.planned_start)), url_for("audits.detail", audit_id=audit.id), None))
    if not items and not keeper:
        return None
    return HomePanel(_("Internal audits"), items, _("Nothing to do about internal audits."), tone=tone)


def _own_coming_audits(user, today: date) -> list[Audit]:
    on_team = (select(AuditTeamMember.audit_id).join(Auditor, AuditTeamMember.auditor_id == Auditor.id)
               .where(Auditor.user_id == user.id))
    audited = select(AuditAuditee.audit_id).where(AuditAuditee.user_id == user.id)
    return db.session.scalars(select(Audit).where(
        Audit.status.in_([AuditStatus.PLANNED, AuditStatus.NOTIFIED, AuditStatus.IN_PROGRESS]),
        Audit.planned_end >= today, Audit.planned_start <= today + timedelta(days=30),
        Audit.id.in_(on_team.union(audited))).order_by(Audit.planned_start)).all()


def init_app(app: Flask) -> None:
    add_home_panel(app, audits_panel)
