"""Roles, permissions and the object-level predicates for segregation of duties.

The role → permission table lives here and only here. Views check it with
``require_permission``, services re-check it, templates call ``has_permission``
and the same predicates to show or hide buttons. Pure Python: no app needed.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user


class Role(StrEnum):
    ADMIN = "admin"
    ISO_SECRETARY = "iso_secretary"
    DIRECTOR = "director"
    UNIT_HEAD = "unit_head"
    SPECIALIST = "specialist"
    ONE_STOP_OFFICER = "one_stop_officer"
    INTERNAL_AUDITOR = "internal_auditor"
    EXTERNAL_AUDITOR = "external_auditor"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.ISO_SECRETARY: _l("ISO secretary"),
    Role.DIRECTOR: _l("Director (approver)"),
    Role.UNIT_HEAD: _l("Unit head"),
    Role.SPECIALIST: _l("Specialist"),
    Role.ONE_STOP_OFFICER: _l("One-stop officer"),
    Role.INTERNAL_AUDITOR: _l("Internal auditor"),
    Role.EXTERNAL_AUDITOR: _l("External auditor (read-only)"),
}


class Permission(StrEnum):
    ORG_VIEW = "org.view"
    ORG_MANAGE = "org.manage"
    USERS_MANAGE = "users.manage"
    DELEGATIONS_MANAGE = "delegations.manage"
    AUDIT_LOG_VIEW = "audit_log.view"
    CALENDAR_MANAGE = "calendar.manage"
    # Controlled documents (clause 4.2.3)
    DOCUMENTS_VIEW = "documents.view"
    DOCUMENTS_VIEW_OBSOLETE = "documents.view_obsolete"
    DOCUMENTS_DRAFT = "documents.draft"
    DOCUMENTS_REVIEW = "documents.review"
    DOCUMENTS_APPROVE = "documents.approve"
    DOCUMENTS_MANAGE = "documents.manage"
    CHANGE_REQUESTS_CREATE = "change_requests.create"
    EXTERNAL_DOCS_VIEW = "external_docs.view"
    EXTERNAL_DOCS_MANAGE = "external_docs.manage"
    # Quality records (clause 4.2.4)
    RECORDS_VIEW = "records.view"
    RECORDS_FILE = "records.file"
    RECORDS_MANAGE = "records.manage"
    # Administrative procedures and their process maps (clauses 4.1, 7.5.1)
    PROCESSES_VIEW = "processes.view"
    PROCESSES_MANAGE = "processes.manage"
    # Dossier records (hồ sơ TTHC) and their timing (clauses 7.5.1, 8.2.3, 8.2.4)
    DOSSIERS_VIEW = "dossiers.view"
    DOSSIERS_HANDLE = "dossiers.handle"
    DOSSIERS_IMPORT = "dossiers.import"
    # Internal audits (clause 8.2.2)
    AUDITS_VIEW = "audits.view"
    AUDITS_MANAGE = "audits.manage"
    AUDITS_APPROVE_PROGRAMME = "audits.approve_programme"
    # Nonconformities and corrective / preventive actions (clauses 8.3, 8.5.2, 8.5.3)
    NONCONFORMITIES_VIEW = "nonconformities.view"
    NONCONFORMITIES_RAISE = "nonconformities.raise"
    NONCONFORMITIES_MANAGE = "nonconformities.manage"
    NONCONFORMITIES_APPROVE_PLAN = "nonconformities.approve_plan"
    NONCONFORMITIES_VERIFY = "nonconformities.verify"


PERMISSION_LABELS = {
    Permission.ORG_VIEW: _l("View the organisation and its people"),
    Permission.ORG_MANAGE: _l("Manage the agency, units and positions"),
    Permission.USERS_MANAGE: _l("Manage users, roles and passwords"),
    Permission.DELEGATIONS_MANAGE: _l("Manage signing delegations"),
    Permission.AUDIT_LOG_VIEW: _l("View and export the audit log"),
    Permission.CALENDAR_MANAGE: _l("Keep the working calendar: office hours, days off and make-up days, counting rules"),
    Permission.DOCUMENTS_VIEW: _l("Read the documents in force"),
    Permission.DOCUMENTS_VIEW_OBSOLETE: _l("Read obsolete revisions"),
    Permission.DOCUMENTS_DRAFT: _l("Draft documents and revisions"),
    Permission.DOCUMENTS_REVIEW: _l("Review revisions"),
    Permission.DOCUMENTS_APPROVE: _l("Approve revisions"),
    Permission.DOCUMENTS_MANAGE: _l("Keep the master list: codes, distribution, withdrawal, change requests"),
    Permission.CHANGE_REQUESTS_CREATE: _l("Ask for a document change"),
    Permission.EXTERNAL_DOCS_VIEW: _l("Read the register of external documents"),
    Permission.EXTERNAL_DOCS_MANAGE: _l("Keep the register of external documents"),
    Permission.RECORDS_VIEW: _l("Read quality records"),
    Permission.RECORDS_FILE: _l("File quality records"),
    Permission.RECORDS_MANAGE: _l("Keep record categories and dispose of records"),
    Permission.PROCESSES_VIEW: _l("Read the catalogue of administrative procedures and their process maps"),
    Permission.PROCESSES_MANAGE: _l("Keep the catalogue of administrative procedures; import process maps"),
    Permission.DOSSIERS_VIEW: _l("Read dossier records and their timing"),
    Permission.DOSSIERS_HANDLE: _l("Receive dossiers and record their steps"),
    Permission.DOSSIERS_IMPORT: _l("Import dossier records from the one-stop systems"),
    Permission.AUDITS_VIEW: _l("Read the internal audit programme, audits and their plans"),
    Permission.AUDITS_MANAGE: _l("Keep the auditor register, draft audit programmes and plan internal audits"),
    Permission.AUDITS_APPROVE_PROGRAMME: _l("Approve the yearly internal audit programme"),
    Permission.NONCONFORMITIES_VIEW: _l("Read nonconformities and their corrective actions"),
    Permission.NONCONFORMITIES_RAISE: _l("Raise a nonconformity; carry out the actions one owns"),
    Permission.NONCONFORMITIES_MANAGE: _l("Keep the nonconformities: triage, reject, merge duplicates, set the rules"),
    Permission.NONCONFORMITIES_APPROVE_PLAN: _l("Approve the action plan of a nonconformity of one's unit"),
    Permission.NONCONFORMITIES_VERIFY: _l("Check the effectiveness of corrective actions"),
}

_EVERYONE = {Permission.ORG_VIEW, Permission.DOCUMENTS_VIEW, Permission.EXTERNAL_DOCS_VIEW, Permission.RECORDS_VIEW,
             Permission.PROCESSES_VIEW, Permission.DOSSIERS_VIEW, Permission.AUDITS_VIEW, Permission.NONCONFORMITIES_VIEW}
_STAFF = _EVERYONE | {Permission.CHANGE_REQUESTS_CREATE, Permission.NONCONFORMITIES_RAISE}
_READ_EVIDENCE = {Permission.AUDIT_LOG_VIEW, Permission.DOCUMENTS_VIEW_OBSOLETE}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        _STAFF
        | {Permission.AUDIT_LOG_VIEW, Permission.ORG_MANAGE, Permission.USERS_MANAGE, Permission.DELEGATIONS_MANAGE}
    ),
    Role.ISO_SECRETARY: frozenset(
        _STAFF
        | _READ_EVIDENCE
        | {Permission.DOCUMENTS_DRAFT, Permission.DOCUMENTS_REVIEW, Permission.DOCUMENTS_MANAGE,
           Permission.EXTERNAL_DOCS_MANAGE, Permission.RECORDS_FILE, Permission.RECORDS_MANAGE,
           Permission.PROCESSES_MANAGE, Permission.CALENDAR_MANAGE, Permission.DOSSIERS_HANDLE,
           Permission.DOSSIERS_IMPORT, Permission.AUDITS_MANAGE, Permission.NONCONFORMITIES_MANAGE,
           Permission.NONCONFORMITIES_APPROVE_PLAN, Permission.NONCONFORMITIES_VERIFY}
    ),
    Role.DIRECTOR: frozenset(
        _STAFF | _READ_EVIDENCE | {Permission.DELEGATIONS_MANAGE, Permission.DOCUMENTS_APPROVE,
                                   Permission.DOCUMENTS_REVIEW, Permission.DOSSIERS_HANDLE,
                                   Permission.AUDITS_APPROVE_PROGRAMME}
    ),
    Role.UNIT_HEAD: frozenset(
        _STAFF | {Permission.DOCUMENTS_VIEW_OBSOLETE, Permission.DOCUMENTS_DRAFT, Permission.DOCUMENTS_REVIEW,
                  Permission.RECORDS_FILE, Permission.DOSSIERS_HANDLE, Permission.NONCONFORMITIES_APPROVE_PLAN}
    ),
    Role.SPECIALIST: frozenset(_STAFF | {Permission.DOCUMENTS_DRAFT, Permission.RECORDS_FILE,
                                         Permission.DOSSIERS_HANDLE}),
    Role.ONE_STOP_OFFICER: frozenset(_STAFF | {Permission.RECORDS_FILE, Permission.DOSSIERS_HANDLE,
                                               Permission.DOSSIERS_IMPORT}),
    Role.INTERNAL_AUDITOR: frozenset(_STAFF | _READ_EVIDENCE | {Permission.AUDITS_MANAGE, Permission.NONCONFORMITIES_VERIFY}),
    Role.EXTERNAL_AUDITOR: frozenset(_EVERYONE | _READ_EVIDENCE),
}

#: Roles whose holders may only read, whatever else the table says.
READ_ONLY_ROLES = frozenset({Role.EXTERNAL_AUDITOR})


def permissions_of(roles) -> frozenset[Permission]:
    """The union of the permissions granted by *roles*."""
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[Role(role)]
    return frozenset(granted)


def has_permission(user, permission: Permission) -> bool:
    """True when *user* is signed in, active and one of their roles grants *permission*."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return permission in permissions_of(user.role_set)


# Object-level predicates -----------------------------------------------------------------------


def can_sign_as_director(user, on: date) -> bool:
    """A director signs in their own name; a deputy signs "KT. Giám đốc" on a delegated date."""
    if Role.DIRECTOR in user.role_set:
        return True
    return any(d.covers(on) and d.deputy_id == user.id for d in user.delegations_received)


def can_change_roles(actor, target, new_roles) -> bool:
    """An administrator manages roles, but cannot take the administrator role from themselves."""
    if not has_permission(actor, Permission.USERS_MANAGE):
        return False
    return not (actor.id == target.id and Role.ADMIN not in set(new_roles))


def can_deactivate(actor, target) -> bool:
    """Administrators deactivate accounts, never their own (that would lock the agency out)."""
    return has_permission(actor, Permission.USERS_MANAGE) and actor.id != target.id


def can_manage_delegation(actor, director) -> bool:
    """An administrator records any delegation; a director records only their own."""
    if has_permission(actor, Permission.USERS_MANAGE):
        return True
    return has_permission(actor, Permission.DELEGATIONS_MANAGE) and actor.id == director.id


# View decorators ---------------------------------------------------------------------------------


def public(view):
    """Mark a view as reachable without signing in (login page, health check)."""
    view.is_public = True
    return view


def require_permission(permission: Permission):
    """Refuse with 403 unless the signed-in user holds *permission* (sign-in is enforced globally)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not has_permission(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator


class _SystemActor:
    """The actor of CLI commands and scheduled jobs: an administrator that is nobody in particular."""

    id = None
    username = "system"
    full_name = "system"
    is_authenticated = True
    role_set = frozenset({Role.ADMIN})
    delegations_received = ()

    def has_role(self, role) -> bool:
        return role in self.role_set


SYSTEM_ACTOR = _SystemActor()


# Controlled documents: object-level predicates (segregation of duties) ------------------------------


def can_edit_revision(user, revision) -> bool:
    """A draft is edited by its drafter, or by the ISO secretary who keeps the master list."""
    if revision.state != "draft" or not has_permission(user, Permission.DOCUMENTS_DRAFT):
        return False
    return revision.drafted_by_id == user.id or has_permission(user, Permission.DOCUMENTS_MANAGE)


def can_review_revision(user, revision) -> bool:
    """A reviewer holds the review permission and is not the drafter."""
    return (revision.state == "submitted" and has_permission(user, Permission.DOCUMENTS_REVIEW)
            and user.id != revision.drafted_by_id)


def can_approve_revision(user, revision, on: date) -> bool:
    """Only a director, or a deputy holding a delegation on that date, approves; never the drafter
    nor the reviewer: the responsibility block carries three different people."""
    return (revision.state == "reviewed" and user.id not in (revision.drafted_by_id, revision.reviewed_by_id)
            and can_sign_as_director(user, on))


def can_return_revision(user, revision, on: date) -> bool:
    """Whoever may review (when submitted) or approve (when reviewed) may send it back with comments."""
    if revision.state == "submitted":
        return can_review_revision(user, revision)
    if revision.state == "reviewed":
        return can_approve_revision(user, revision, on)
    return False


def can_cancel_revision(user, revision) -> bool:
    return revision.state in ("draft", "submitted", "reviewed") and (
        revision.drafted_by_id == user.id or has_permission(user, Permission.DOCUMENTS_MANAGE))


def can_manage_documents(user) -> bool:
    return has_permission(user, Permission.DOCUMENTS_MANAGE)


def can_read_revision(user, revision, on: date) -> bool:
    """Obsolete and unfinished revisions are shown only to those allowed; the effective one to all staff."""
    if not has_permission(user, Permission.DOCUMENTS_VIEW):
        return False
    if revision.state == "effective":
        return True
    if revision.state in ("superseded", "withdrawn"):
        return has_permission(user, Permission.DOCUMENTS_VIEW_OBSOLETE)
    # drafts, in review, approved, cancelled: the people in the workflow and the document keepers
    return (user.id in (revision.drafted_by_id, revision.reviewed_by_id, revision.approved_by_id)
            or has_permission(user, Permission.DOCUMENTS_REVIEW)
            or has_permission(user, Permission.DOCUMENTS_MANAGE)
            or has_permission(user, Permission.DOCUMENTS_APPROVE)
            or can_sign_as_director(user, on))
