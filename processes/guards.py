"""The last line of defence for process maps: once the revision that carries a version is signed
(approved, in force, obsolete), neither the version nor its steps and branches change by any path.

Services refuse first and explain; this session hook refuses whatever slips past them.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from processes.models import ProcessBranch, ProcessStep, ProcessVersion
from qms.documents.guards import SignedContentError, _locked


def _version_id(obj) -> int | None:
    if isinstance(obj, ProcessVersion):
        return obj.id
    if obj.version_id is not None:
        return obj.version_id
    version = getattr(obj, "version", None)
    return version.id if version is not None else None


def _refuse_changes_to_signed_maps(session: Session, flush_context, instances) -> None:
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, (ProcessVersion, ProcessStep, ProcessBranch)):
            continue
        if obj in session.dirty and not session.is_modified(obj):
            continue
        with session.no_autoflush:
            if isinstance(obj, ProcessVersion):
                revision_id = obj.revision_id
            else:
                version_id = _version_id(obj)
                version = session.get(ProcessVersion, version_id) if version_id is not None else None
                revision_id = version.revision_id if version is not None else None
            if _locked(session, revision_id):
                raise SignedContentError(f"revision {revision_id} is signed; its process map cannot change")


def install() -> None:
    if not event.contains(Session, "before_flush", _refuse_changes_to_signed_maps):
        event.listen(Session, "before_flush", _refuse_changes_to_signed_maps)
