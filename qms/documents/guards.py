"""The last line of defence: once signed, a revision's content cannot change by any path.

Services refuse first and explain; this session hook refuses whatever slips past them
(a direct ORM change, a script, a bug) before anything reaches the database.
"""

from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, attributes

from qms.documents.models import LOCKED_STATES, Revision, RevisionFile, RevisionSection, RevisionState

# What may still change on a locked revision: its life-cycle, nothing of its content.
_LIFECYCLE_FIELDS = frozenset({"state", "effective_at", "ended_at", "updated_at", "planned_effective_on"})


class SignedContentError(PermissionError):
    """An attempt to change the content of an approved revision."""


def _original_state(revision: Revision) -> RevisionState | None:
    history = attributes.get_history(revision, "state")
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return None


def _locked(session: Session, revision_id: int | None) -> bool:
    if revision_id is None:
        return False
    revision = session.get(Revision, revision_id)
    return revision is not None and _original_state(revision) in LOCKED_STATES


def _refuse_changes_to_signed_content(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty):
        if isinstance(obj, Revision) and session.is_modified(obj):
            if _original_state(obj) in LOCKED_STATES:
                state = inspect(obj)
                changed = {attr.key for attr in state.mapper.column_attrs
                           if attributes.get_history(obj, attr.key).has_changes()}
                if changed - _LIFECYCLE_FIELDS:
                    raise SignedContentError(f"revision {obj.id} is signed; refused change of {sorted(changed)}")
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, (RevisionSection, RevisionFile)):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            revision_id = obj.revision_id
            if revision_id is None and getattr(obj, "revision", None) is not None:
                revision_id = obj.revision.id
            with session.no_autoflush:
                if _locked(session, revision_id):
                    raise SignedContentError(f"revision {revision_id} is signed; its content cannot change")


def install() -> None:
    if not event.contains(Session, "before_flush", _refuse_changes_to_signed_content):
        event.listen(Session, "before_flush", _refuse_changes_to_signed_content)
