"""Who may do what with a nonconformity (ISO 9001:2008 clauses 8.5.2, 8.5.3). Pure predicates: no app needed.

The role → permission table stays in ``qms.permissions``. Segregation of duties lives here: the
effectiveness of the actions is never checked by one of their owners, and a unit head approves
only the plans of their own unit's nonconformities. A finding of an internal audit becomes a
nonconformity at the hands of the audit's team, the ISO secretary or an internal auditor.
"""

from __future__ import annotations

from audits.checklist_permissions import is_on_team
from qms.permissions import Permission, Role, has_permission

_OPEN = ("new", "analysis", "action_plan", "approved", "in_progress", "effectiveness_check")


def _status(nc) -> str:
    return str(nc.status)


def can_view(user) -> bool:
    return has_permission(user, Permission.NONCONFORMITIES_VIEW)


def can_raise(user) -> bool:
    """Any member of staff raises a nonconformity (external auditors only read)."""
    return has_permission(user, Permission.NONCONFORMITIES_RAISE)


def can_manage(user) -> bool:
    """The ISO secretary triages, rejects, merges duplicates and keeps the rules."""
    return has_permission(user, Permission.NONCONFORMITIES_MANAGE)


def is_unit_head_of(user, nc) -> bool:
    return Role.UNIT_HEAD in user.role_set and getattr(user, "unit_id", None) == nc.unit_id


def can_analyse(user, nc) -> bool:
    """Record the correction, the 5 Whys, the causes and the plan: the unit head of the NC's unit,
    the ISO secretary, or whoever raised it, while the analysis or the plan is open."""
    if _status(nc) not in ("new", "analysis", "action_plan") or not can_raise(user):
        return False
    return can_manage(user) or is_unit_head_of(user, nc) or (user.id is not None and user.id == nc.raised_by_id)


def can_approve_plan(user, nc) -> bool:
    """The unit head of the nonconformity's unit, or the ISO secretary, approves the action plan."""
    if not has_permission(user, Permission.NONCONFORMITIES_APPROVE_PLAN):
        return False
    return can_manage(user) or is_unit_head_of(user, nc)


def can_verify(user, nc) -> bool:
    """An internal auditor or the ISO secretary checks effectiveness, never an owner of one of its actions."""
    if not has_permission(user, Permission.NONCONFORMITIES_VERIFY):
        return False
    return user.id not in nc.owner_ids


def can_record_progress(user, action) -> bool:
    """The action's owner records progress and evidence; the ISO secretary may too."""
    if str(action.status) != "open" or not can_raise(user):
        return False
    return action.owner_id == user.id or can_manage(user)


def can_cancel_action(user, action) -> bool:
    """Cancel an open action: whoever plans the actions while the plan is open, the ISO secretary later on."""
    nc = action.nonconformity
    if str(action.status) != "open" or _status(nc) not in _OPEN:
        return False
    if _status(nc) in ("analysis", "action_plan"):
        return can_analyse(user, nc)
    return can_manage(user)


def can_close(user, nc) -> bool:
    """Closing follows a verified-effective check: whoever may verify (and is not an owner) or the secretary."""
    return can_verify(user, nc) or can_manage(user)


def can_end(user, nc) -> bool:
    """Reject or mark as duplicate: the ISO secretary, while the nonconformity is open."""
    return can_manage(user) and _status(nc) in _OPEN


#: The kinds of audit finding that become a nonconformity (an observation or a strength does not).
FINDING_KINDS_RAISED = frozenset({"major_nc", "minor_nc"})
#: The states of an audit whose findings may still become nonconformities.
AUDIT_STATES_RAISING = frozenset({"in_progress", "reported"})


def can_raise_from_finding(user, audit) -> bool:
    """Turn a finding of *audit* into a nonconformity: its team (lead or member), the ISO secretary and internal
    auditors (those who keep the audits), while the audit is in progress or reported."""
    if str(audit.status) not in AUDIT_STATES_RAISING or not can_raise(user):
        return False
    return is_on_team(user, audit) or has_permission(user, Permission.AUDITS_MANAGE)


def finding_becomes_nonconformity(finding) -> bool:
    """A major or minor nonconformity found by an audit; an observation or a strength does not."""
    return str(finding.kind) in FINDING_KINDS_RAISED
