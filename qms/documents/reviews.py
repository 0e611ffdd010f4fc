"""Periodic review of documents in force (ISO 9001:2008 clause 4.2.3 b: review and update as necessary).

Every document in force carries ``next_review_on`` (set when a revision takes effect, from the
document's ``review_interval_months``). When it comes due, the ISO secretary records a review:
- "no change needed": a signature (password re-entered) on the revision in force, whose hash is
  the one its approver signed; the next review moves to today + the interval;
- "a revision is needed": an amendment or a reissue is opened (or, when a revision is already in
  progress, the review is linked to it); the date stays until that revision takes effect, when
  ``services.make_effective`` sets it again.
Each review is a ``PeriodicReview`` row (audited, named ``periodic_review.*``).

Services flush and never commit; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from qms.audit import log as audit
from qms.documents import services
from qms.documents.models import (
    ChangeKind,
    Document,
    DocumentStatus,
    PeriodicReview,
    ReviewOutcome,
    Revision,
)
from qms.documents.workflow import IN_PROGRESS
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.permissions import can_manage_documents
from qms.signatures import services as signatures
from qms.signatures.models import Signature, SignatureMeaning
from qms.timeutil import add_months, to_local, utcnow

#: How far ahead the list and the home panel look by default.
DEFAULT_HORIZON_DAYS = 30


@dataclass(frozen=True)
class DueReview:
    """A document in force whose periodic review is due within the horizon, or overdue."""

    document: Document
    due_on: date
    days_left: int  # negative when overdue
    in_progress: Revision | None  # a revision already under way (the review may be linked to it)

    @property
    def is_overdue(self) -> bool:
        return self.days_left < 0


def due_reviews(today: date, *, within_days: int = DEFAULT_HORIZON_DAYS) -> list[DueReview]:
    """Documents in force whose next review falls on or before today + *within_days*, most urgent first."""
    documents = db.session.scalars(select(Document).where(
        Document.status == DocumentStatus.EFFECTIVE, Document.next_review_on.is_not(None),
        Document.next_review_on <= today + timedelta(days=max(within_days, 0)))
        .order_by(Document.next_review_on, Document.code)).all()
    if not documents:
        return []
    in_progress = {r.document_id: r for r in db.session.scalars(select(Revision).where(
        Revision.document_id.in_([d.id for d in documents]), Revision.state.in_(list(IN_PROGRESS))))}
    return [DueReview(d, d.next_review_on, (d.next_review_on - today).days, in_progress.get(d.id))
            for d in documents]


def record_no_change(document: Document, *, actor, password: str, comment: str = "",
                     now: datetime | None = None) -> PeriodicReview:
    """Sign that the revision in force still fits its purpose; the next review moves one interval on.

    The signature is on the revision in force with the hash its approver signed, so it says
    exactly which text was found adequate. A wrong password raises (``field="password"``)
    after logging the refused signature: the caller commits that entry and nothing else changed.
    """
    effective = _reviewable(document, actor)
    now = now or utcnow()
    signature = signatures.sign(effective, SignatureMeaning.PERIODIC_REVIEW, signer=actor, password=password,
                                content_hash=effective.content_sha256, comment=(comment or "").strip(), now=now)
    next_review_on = add_months(to_local(now).date(), document.review_interval_months)
    review = PeriodicReview(document_id=document.id, reviewed_by_id=actor.id, reviewed_at=now,
                            outcome=ReviewOutcome.NO_CHANGE, comment=(comment or "").strip(),
                            signature_id=signature.id, revision_id=None, next_review_on=next_review_on)
    db.session.add(review)
    audit.tag(db.session, review, "periodic_review.no_change",
              f"{document.code} {effective.numbering}: next review {next_review_on:%d/%m/%Y}")
    document.next_review_on = next_review_on
    audit.tag(db.session, document, "document.review_rescheduled", f"{document.code}: {next_review_on:%d/%m/%Y}")
    db.session.flush()
    return review


@dataclass(frozen=True)
class RevisionReview:
    review: PeriodicReview
    revision: Revision
    opened: bool  # False: linked to the revision already in progress


def record_revision_needed(document: Document, change_kind: ChangeKind, *, actor, comment: str = "",
                           now: datetime | None = None) -> RevisionReview:
    """Conclude that the document must change: open an amendment or a reissue from the text in force.

    If a revision is already in progress the review is linked to it rather than refused: the
    conclusion is recorded and the work is already under way. The next review date stays until
    the revision takes effect.
    """
    _reviewable(document, actor)
    if change_kind not in (ChangeKind.AMENDMENT, ChangeKind.REISSUE):
        raise DomainError(_("Choose amendment or reissue."), field="change_kind")
    now = now or utcnow()
    comment = (comment or "").strip()
    revision = services.revision_in_progress(document)
    opened = revision is None
    if opened:
        basis = _("Periodic review of %(date)s", date=to_local(now).strftime("%d/%m/%Y"))
        revision = services.open_revision(document, change_kind, actor=actor, now=now,
                                          values={"change_basis": f"{basis}: {comment}" if comment else basis})
    review = PeriodicReview(document_id=document.id, reviewed_by_id=actor.id, reviewed_at=now,
                            outcome=ReviewOutcome.REVISION_OPENED, comment=comment, revision_id=revision.id,
                            next_review_on=document.next_review_on or to_local(now).date())
    db.session.add(review)
    audit.tag(db.session, review, "periodic_review.revision_opened",
              f"{document.code} → {revision.numbering}" + ("" if opened else " (in progress)"))
    db.session.flush()
    return RevisionReview(review, revision, opened)


def _reviewable(document: Document, actor) -> Revision:
    """The revision in force of a document the actor may review periodically."""
    if not can_manage_documents(actor):
        raise Forbidden(_("Only the ISO secretary records periodic reviews."))
    effective = document.effective_revision
    if document.status != DocumentStatus.EFFECTIVE or effective is None:
        raise Conflict(_("%(code)s is not in force: there is nothing to review.", code=document.code))
    return effective


@dataclass(frozen=True)
class ReviewEntry:
    """One line of a review history: the review, its signature (no change) or its revision (change)."""

    review: PeriodicReview
    document: Document
    signature: Signature | None
    revision: Revision | None


def review_history(document: Document) -> list[ReviewEntry]:
    """The periodic reviews of *document*, newest first, with what each produced."""
    return _entries(db.session.scalars(select(PeriodicReview).where(PeriodicReview.document_id == document.id)
                                       .order_by(PeriodicReview.reviewed_at.desc(), PeriodicReview.id.desc())).all())


def recent_reviews(*, limit: int = 15) -> list[ReviewEntry]:
    """The latest periodic reviews of every document, newest first."""
    return _entries(db.session.scalars(select(PeriodicReview)
                                       .order_by(PeriodicReview.reviewed_at.desc(), PeriodicReview.id.desc())
                                       .limit(limit)).all())


def _entries(reviews: list[PeriodicReview]) -> list[ReviewEntry]:
    signature_ids = [r.signature_id for r in reviews if r.signature_id]
    revision_ids = [r.revision_id for r in reviews if r.revision_id]
    signed = {s.id: s for s in db.session.scalars(select(Signature).where(Signature.id.in_(signature_ids)))} \
        if signature_ids else {}
    opened = {r.id: r for r in db.session.scalars(select(Revision).where(Revision.id.in_(revision_ids)))} \
        if revision_ids else {}
    documents = {d.id: d for d in db.session.scalars(select(Document).where(
        Document.id.in_({r.document_id for r in reviews})))} if reviews else {}
    return [ReviewEntry(r, documents[r.document_id], signed.get(r.signature_id), opened.get(r.revision_id))
            for r in reviews]
