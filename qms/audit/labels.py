"""Readable names for the audit viewer: object types (tables) and actions, in the user's language.

The log itself stores codes (``users``, ``revision.approve``): they go into the hash chain and must
not depend on anybody's language. Unknown codes are shown as they are.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

OBJECT_LABELS = {
    "agencies": _l("Agency"),
    "units": _l("Unit"),
    "positions": _l("Position"),
    "users": _l("User"),
    "delegations": _l("Signing delegation"),
    "audit_entries": _l("Audit log"),
    "documents": _l("Document"),
    "document_types": _l("Document type"),
    "revisions": _l("Revision"),
    "revision_sections": _l("Revision section"),
    "revision_files": _l("Attached file"),
    "signatures": _l("Signature"),
    "change_requests": _l("Change request"),
    "distribution_entries": _l("Distribution"),
    "acknowledgements": _l("Read and confirm"),
    "periodic_reviews": _l("Periodic review"),
    "external_documents": _l("External document"),
    "external_relations": _l("Amendment or replacement"),
    "revision_citations": _l("Citation"),
    "update_flags": _l("Update needed"),
    "record_categories": _l("Record category"),
    "quality_records": _l("Quality record"),
    "stored_files": _l("Stored file"),
}

ACTION_LABELS = {
    "auth.login": _l("Signed in"),
    "auth.logout": _l("Signed out"),
    "auth.login_failed": _l("Failed sign-in"),
    "auth.login_refused": _l("Sign-in refused"),
    "auth.locked": _l("Account locked"),
    "auth.unlocked": _l("Account unlocked"),
    "auth.password_changed": _l("Password changed"),
    "auth.password_reset": _l("Password reset by an administrator"),
    "user.roles_changed": _l("Roles changed"),
    "user.deactivated": _l("Account deactivated"),
    "user.reactivated": _l("Account reactivated"),
    "audit_log.exported": _l("Audit log exported"),
    "signature.refused": _l("Signature refused (wrong password)"),
    "revision.submit": _l("Submitted for review"),
    "revision.review": _l("Reviewed"),
    "revision.return": _l("Returned to the drafter"),
    "revision.approve": _l("Approved"),
    "revision.make_effective": _l("Put into effect"),
    "revision.supersede": _l("Superseded"),
    "revision.withdraw": _l("Withdrawn"),
    "revision.cancel": _l("Cancelled"),
    "document.withdrawn": _l("Document withdrawn"),
    "delegation.revoked": _l("Delegation revoked"),
    "external.created": _l("External document registered"),
    "external.updated": _l("External document changed"),
    "external.amends": _l("Amendment recorded"),
    "external.replaces": _l("Replacement recorded"),
    "external.amended": _l("Marked amended"),
    "external.expired": _l("Marked no longer in force"),
    "external.cited": _l("External document cited"),
    "external.uncited": _l("Citation removed"),
    "update_flag.raised": _l("Update needed (three-month rule)"),
    "update_flag.resolved": _l("Update done"),
    "external_docs.exported": _l("Register exported"),
    "file.stored": _l("File stored"),
}

_KIND_LABELS = {"create": _l("created"), "update": _l("changed"), "delete": _l("deleted")}


def object_label(code: str) -> str:
    return str(OBJECT_LABELS.get(code, code))


def action_label(code: str) -> str:
    """A known action's label; ``<table>.create|update|delete`` as "<Object> created/changed/deleted"."""
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    table, _dot, kind = code.rpartition(".")
    if kind in _KIND_LABELS and table:
        return f"{object_label(table)}: {_KIND_LABELS[kind]}"
    return code
