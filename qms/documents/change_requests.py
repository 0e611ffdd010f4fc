"""Change requests (phiếu đề nghị sửa đổi tài liệu), ISO 9001:2008 clause 4.2.3 b: documents are
reviewed and updated as necessary, and re-approved.

Any member of staff asks for a change to a document in force, giving a reason and the change they
propose. The ISO secretary decides once: accepting opens a draft revision linked to the request
(or links the request to the revision already in progress), rejecting needs a reason. The
requester is told the outcome in the application. Every row change reaches the audit log
(``ChangeRequest`` is audited); the entries are named ``change_request.filed|accepted|rejected``.

Services flush and never commit; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, select

from qms.audit import log as audit
from qms.documents import services
from qms.documents.models import (
    ChangeKind,
    ChangeRequest,
    ChangeRequestStatus,
    Document,
    DocumentStatus,
    Revision,
)
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.permissions import Permission, can_manage_documents, has_permission
from qms.timeutil import utcnow

#: What the secretary may turn a request into (a first issue is not a change of a document in force).
DECIDABLE_KINDS = (ChangeKind.AMENDMENT, ChangeKind.REISSUE)


@dataclass(frozen=True)
class Acceptance:
    """The outcome of accepting a request: the revision it leads to, and whether it was opened for it."""

    change_request: ChangeRequest
    revision: Revision
    opened: bool  # False: the request was linked to the revision already in progress


def can_file_change_request(user, document: Document) -> bool:
    """Staff ask for changes to documents in force (not to drafts nor to withdrawn documents)."""
    return has_permission(user, Permission.CHANGE_REQUESTS_CREATE) and document.status == DocumentStatus.EFFECTIVE


def can_read_change_request(user, change_request: ChangeRequest) -> bool:
    """The requester follows their own request; the ISO secretary sees them all."""
    return can_manage_documents(user) or (
        has_permission(user, Permission.CHANGE_REQUESTS_CREATE) and change_request.requested_by_id == user.id)


def can_decide_change_request(user, change_request: ChangeRequest) -> bool:
    return can_manage_documents(user) and change_request.status == ChangeRequestStatus.OPEN


def file_change_request(document: Document, *, actor, reason: str, proposed_change: str = "", source: str = "",
                        now: datetime | None = None) -> ChangeRequest:
    """Record a request to change *document*; it waits for the ISO secretary's decision."""
    if not has_permission(actor, Permission.CHANGE_REQUESTS_CREATE):
        raise Forbidden(_("You may not ask for document changes."))
    if document.status != DocumentStatus.EFFECTIVE:
        raise Conflict(_("%(code)s is not in force: a change can only be asked for a document in force.",
                         code=document.code))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the change."), field="reason")
    change_request = ChangeRequest(document_id=document.id, requested_by_id=actor.id, requested_at=now or utcnow(),
                                   reason=reason, proposed_change=(proposed_change or "").strip(), source=source)
    db.session.add(change_request)
    audit.tag(db.session, change_request, "change_request.filed", f"{document.code}: {reason[:200]}")
    db.session.flush()
    return change_request


def accept_change_request(change_request: ChangeRequest, change_kind: ChangeKind, *, actor, comment: str = "",
                          now: datetime | None = None) -> Acceptance:
    """Accept a request: open a draft revision linked to it, the reason becoming the revision's basis.

    When a revision of the document is already in progress, the request is linked to that one
    instead (a document has one revision in progress at a time) and ``opened`` is False.
    """
    _check_decidable(change_request, actor)
    if change_kind not in DECIDABLE_KINDS:
        raise DomainError(_("Choose amendment or reissue."), field="change_kind")
    now = now or utcnow()
    document = change_request.document
    revision = services.revision_in_progress(document)
    opened = revision is None
    if opened:
        requester = change_request.requested_by
        values = {"change_basis": change_request.reason, "change_summary": change_request.proposed_change,
                  "requested_by": _requester_label(requester)}
        revision = services.open_revision(document, change_kind, actor=actor, values=values,
                                          change_request=change_request, now=now)
    _decide(change_request, ChangeRequestStatus.ACCEPTED, actor=actor, comment=comment, now=now)
    change_request.revision_id = revision.id
    audit.tag(db.session, change_request, "change_request.accepted",
              f"{document.code} → {revision.numbering}" + ("" if opened else " (in progress)"))
    db.session.flush()
    _tell_requester(change_request, now)
    return Acceptance(change_request, revision, opened)


def reject_change_request(change_request: ChangeRequest, *, actor, reason: str,
                          now: datetime | None = None) -> ChangeRequest:
    """Reject a request; the reason is required and shown to the requester."""
    _check_decidable(change_request, actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the rejection."), field="reason")
    now = now or utcnow()
    _decide(change_request, ChangeRequestStatus.REJECTED, actor=actor, comment=reason, now=now)
    audit.tag(db.session, change_request, "change_request.rejected",
              f"{change_request.document.code}: {reason[:200]}")
    db.session.flush()
    _tell_requester(change_request, now)
    return change_request


def _check_decidable(change_request: ChangeRequest, actor) -> None:
    if not can_manage_documents(actor):
        raise Forbidden(_("Only the ISO secretary decides on change requests."))
    # Two secretaries deciding at once: the second waits for the first's commit, then sees its decision.
    db.session.execute(select(ChangeRequest.id).where(ChangeRequest.id == change_request.id).with_for_update())
    db.session.refresh(change_request)
    if change_request.status != ChangeRequestStatus.OPEN:
        raise Conflict(_("This change request was already decided: %(status)s.",
                         status=change_request.status.label))


def _decide(change_request: ChangeRequest, status: ChangeRequestStatus, *, actor, comment: str,
            now: datetime) -> None:
    change_request.status = status
    change_request.decided_by_id = actor.id
    change_request.decided_at = now
    change_request.decision_comment = (comment or "").strip()


def _requester_label(user) -> str:
    """The "requested by" line of the change record: the person and their unit."""
    if user.unit is not None:
        return f"{user.full_name} ({user.unit.name})"[:200]
    return user.full_name[:200]


def _tell_requester(change_request: ChangeRequest, now: datetime) -> None:
    from qms.notifications.services import notify

    code = change_request.document.code
    if change_request.status == ChangeRequestStatus.ACCEPTED:
        title = _("Your change request for %(code)s was accepted", code=code)
        body = ""
    else:
        title = _("Your change request for %(code)s was rejected", code=code)
        body = change_request.decision_comment
    notify(change_request.requested_by, kind=f"change_request.{change_request.status.value}", title=title,
           body=body, url=f"/documents/change-requests/{change_request.id}",
           dedupe_key=f"cr:{change_request.id}:decided", now=now)


# Reading ------------------------------------------------------------------------------------------


def change_requests_query(*, status: ChangeRequestStatus | None = None, requested_by_id: int | None = None,
                          document_id: int | None = None) -> Select:
    """Change requests, newest first, optionally of one status, one requester or one document."""
    query = select(ChangeRequest)
    if status is not None:
        query = query.where(ChangeRequest.status == status)
    if requested_by_id is not None:
        query = query.where(ChangeRequest.requested_by_id == requested_by_id)
    if document_id is not None:
        query = query.where(ChangeRequest.document_id == document_id)
    return query.order_by(ChangeRequest.requested_at.desc(), ChangeRequest.id.desc())


def open_change_requests() -> list[ChangeRequest]:
    """Requests waiting for a decision, oldest first (the order in which they should be answered)."""
    return db.session.scalars(select(ChangeRequest).where(ChangeRequest.status == ChangeRequestStatus.OPEN)
                              .order_by(ChangeRequest.requested_at, ChangeRequest.id)).all()

