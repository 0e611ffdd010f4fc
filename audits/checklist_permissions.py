"""Who may work on an audit's checklist, findings and report (ISO 9001:2008 clause 8.2.2). Pure Python.

The audit's team (its lead and members) answers the checklist and records findings while the audit is
in progress; only the lead writes the report's summary and conclusion. A finding is acknowledged by
an auditee of that audit or by the head of the unit it concerns, never by an auditor of the team.
Templates are kept by those who keep the audits. Everyone with AUDITS_VIEW reads.
"""

from __future__ import annotations

from qms.permissions import Permission, Role, has_permission

WORKING_STATES = frozenset({"in_progress"})
ACKNOWLEDGE_STATES = frozenset({"in_progress", "reported"})


def _user_id(user) -> int | None:
    return getattr(user, "id", None)


def can_read_audits(user) -> bool:
    return has_permission(user, Permission.AUDITS_VIEW)


def is_on_team(user, audit) -> bool:
    """The lead or a member of the audit's team."""
    user_id = _user_id(user)
    return user_id is not None and any(member.auditor.user_id == user_id for member in audit.team)


def is_lead(user, audit) -> bool:
    lead = audit.lead_auditor
    return lead is not None and _user_id(user) is not None and lead.user_id == _user_id(user)


def can_work_on(user, audit) -> bool:
    """Answer questions, add questions, attach evidence, record findings: the team, while in progress."""
    return audit.status in WORKING_STATES and is_on_team(user, audit) and has_permission(user, Permission.AUDITS_VIEW)


def can_write_report(user, audit) -> bool:
    """The lead auditor writes the summary and the conclusion while the audit is in progress."""
    return audit.status in WORKING_STATES and is_lead(user, audit)


def can_acknowledge(user, audit, finding) -> bool:
    """An auditee of the audit, or the head of the finding's unit, acknowledges an unacknowledged finding."""
    if finding.acknowledged_at is not None or audit.status not in ACKNOWLEDGE_STATES:
        return False
    user_id = _user_id(user)
    if user_id is None or is_on_team(user, audit):
        return False
    if any(auditee.user_id == user_id for auditee in audit.auditees):
        return True
    return Role.UNIT_HEAD in getattr(user, "role_set", ()) and getattr(user, "unit_id", None) == finding.unit_id


def can_manage_templates(user) -> bool:
    return has_permission(user, Permission.AUDITS_MANAGE)
