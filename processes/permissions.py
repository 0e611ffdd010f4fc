"""Who may do what with the TTHC catalogue and process maps. Pure predicates: no app needed.

The role → permission table stays in ``qms.permissions``; drafting, reviewing and approving a
process version are the document workflow's predicates, since a version is part of a revision.
"""

from __future__ import annotations

from qms.permissions import Permission, has_permission


def can_view_processes(user) -> bool:
    return has_permission(user, Permission.PROCESSES_VIEW)


def can_manage_catalogue(user) -> bool:
    """Keep the catalogue (add, edit, abolish procedures) and import process maps: the ISO secretary."""
    return has_permission(user, Permission.PROCESSES_MANAGE)


def can_draft_version(user) -> bool:
    """Open a new process version: whoever drafts documents (the specialist of the owning unit, the secretary)."""
    return has_permission(user, Permission.DOCUMENTS_DRAFT)


def can_import_maps(user) -> bool:
    return can_manage_catalogue(user) and can_draft_version(user)
