"""Controlled documents and their revisions (ISO 9001:2008 clause 4.2.3).

A document (QT-01, BM-02/QT-03, ...) has revisions; a revision carries its content
(sections and attached files), its numbering (lần ban hành / lần sửa đổi) and its way
through the workflow. The database itself refuses what must never happen: two
effective revisions of one document, an approval without a signature hash, a drafter
who reviews or approves their own revision.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.dbtypes import UTCDateTime, enum_column
from qms.extensions import db
from qms.text import fold
from qms.timeutil import utcnow


class DocumentKind(StrEnum):
    POLICY = "policy"  # Chính sách chất lượng (CSCL)
    OBJECTIVES = "objectives"  # Mục tiêu chất lượng (MTCL)
    MANUAL = "manual"  # Sổ tay chất lượng (STCL)
    PROCEDURE = "procedure"  # Quy trình (QT)
    INSTRUCTION = "instruction"  # Hướng dẫn công việc (HD)
    FORM = "form"  # Biểu mẫu (BM)
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(DOCUMENT_KIND_LABELS[self])


DOCUMENT_KIND_LABELS = {
    DocumentKind.POLICY: _l("Quality policy"),
    DocumentKind.OBJECTIVES: _l("Quality objectives"),
    DocumentKind.MANUAL: _l("Quality manual"),
    DocumentKind.PROCEDURE: _l("Procedure"),
    DocumentKind.INSTRUCTION: _l("Work instruction"),
    DocumentKind.FORM: _l("Form"),
    DocumentKind.OTHER: _l("Other document"),
}


class DocumentType(db.Model):
    """A kind of document with the code pattern the ISO secretary sets, e.g. ``QT-{n:02}`` or ``BM-{n:02}/{parent}``."""

    __tablename__ = "document_types"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    abbreviation: Mapped[str] = mapped_column(String(16))  # CSCL, MTCL, STCL, QT, HD, BM
    code_pattern: Mapped[str] = mapped_column(String(60))
    next_number: Mapped[int] = mapped_column(default=1)
    needs_parent: Mapped[bool] = mapped_column(default=False)  # forms and instructions belong to a procedure
    is_active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (CheckConstraint("next_number >= 1", name="next_number_positive"),)

    def __str__(self) -> str:
        return self.name


class DocumentStatus(StrEnum):
    DRAFT = "draft"  # no revision has taken effect yet
    EFFECTIVE = "effective"  # one revision in force
    WITHDRAWN = "withdrawn"  # hết hiệu lực: the whole document is withdrawn

    @property
    def label(self) -> str:
        return str(DOCUMENT_STATUS_LABELS[self])


DOCUMENT_STATUS_LABELS = {
    DocumentStatus.DRAFT: _l("Not yet in force"),
    DocumentStatus.EFFECTIVE: _l("In force"),
    DocumentStatus.WITHDRAWN: _l("Withdrawn"),
}


class Document(db.Model):
    """A controlled internal document (tài liệu nội bộ). Codes are unique and never reused."""

    __tablename__ = "documents"
    __audited__ = True
    __audit_exclude__ = frozenset({"search_key"})

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    type_id: Mapped[int] = mapped_column(ForeignKey("document_types.id"), index=True)
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))  # the procedure of a form
    status: Mapped[DocumentStatus] = mapped_column(enum_column(DocumentStatus), default=DocumentStatus.DRAFT)
    review_interval_months: Mapped[int] = mapped_column(default=12)
    next_review_on: Mapped[date | None] = mapped_column(Date, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    search_key: Mapped[str] = mapped_column(Text, default="")  # folded code, title and effective text
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    type: Mapped[DocumentType] = relationship(lazy="joined")
    owner_unit = relationship("Unit", lazy="joined")
    parent: Mapped[Document | None] = relationship(remote_side=[id])
    revisions: Mapped[list[Revision]] = relationship(back_populates="document", order_by="Revision.id",
                                                     viewonly=True)

    __table_args__ = (
        CheckConstraint("review_interval_months BETWEEN 1 AND 120", name="review_interval_range"),
        CheckConstraint(
            "(status = 'withdrawn') = (withdrawn_at IS NOT NULL AND withdrawn_by_id IS NOT NULL)",
            name="withdrawal_complete",
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def effective_revision(self) -> Revision | None:
        return next((r for r in self.revisions if r.state == RevisionState.EFFECTIVE), None)

    @property
    def latest_revision(self) -> Revision | None:
        return self.revisions[-1] if self.revisions else None


class RevisionState(StrEnum):
    DRAFT = "draft"  # dự thảo (also after being returned with comments)
    SUBMITTED = "submitted"  # trình xem xét
    REVIEWED = "reviewed"  # đã xem xét, chờ phê duyệt
    APPROVED = "approved"  # đã phê duyệt, chờ ngày hiệu lực
    EFFECTIVE = "effective"  # đang hiệu lực
    SUPERSEDED = "superseded"  # lỗi thời: replaced by a later revision
    WITHDRAWN = "withdrawn"  # hết hiệu lực: the document was withdrawn
    CANCELLED = "cancelled"  # a draft abandoned

    @property
    def label(self) -> str:
        return str(REVISION_STATE_LABELS[self])


REVISION_STATE_LABELS = {
    RevisionState.DRAFT: _l("Draft"),
    RevisionState.SUBMITTED: _l("Submitted for review"),
    RevisionState.REVIEWED: _l("Reviewed, awaiting approval"),
    RevisionState.APPROVED: _l("Approved, awaiting its effective date"),
    RevisionState.EFFECTIVE: _l("Effective"),
    RevisionState.SUPERSEDED: _l("Obsolete (superseded)"),
    RevisionState.WITHDRAWN: _l("Obsolete (withdrawn)"),
    RevisionState.CANCELLED: _l("Cancelled"),
}

#: States in which the content is frozen: signed, so never edited again by any path.
LOCKED_STATES = frozenset({RevisionState.APPROVED, RevisionState.EFFECTIVE, RevisionState.SUPERSEDED,
                           RevisionState.WITHDRAWN})
OBSOLETE_STATES = frozenset({RevisionState.SUPERSEDED, RevisionState.WITHDRAWN})


class ChangeKind(StrEnum):
    FIRST_ISSUE = "first_issue"  # ban hành lần đầu
    AMENDMENT = "amendment"  # sửa đổi: raises the revision number
    REISSUE = "reissue"  # ban hành lại: raises the issue number, resets the revision number

    @property
    def label(self) -> str:
        return str(CHANGE_KIND_LABELS[self])


CHANGE_KIND_LABELS = {
    ChangeKind.FIRST_ISSUE: _l("First issue"),
    ChangeKind.AMENDMENT: _l("Amendment (revision number + 1)"),
    ChangeKind.REISSUE: _l("Reissue (issue number + 1)"),
}


_LOCKED_SQL = "'approved', 'effective', 'superseded', 'withdrawn'"


class Revision(db.Model):
    """One revision of a document: numbering, change record, content, workflow and signatures."""

    __tablename__ = "revisions"
    __audited__ = True
    __audit_exclude__ = frozenset({"search_text"})

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    issue_no: Mapped[int] = mapped_column()  # lần ban hành
    revision_no: Mapped[int] = mapped_column()  # lần sửa đổi
    change_kind: Mapped[ChangeKind] = mapped_column(enum_column(ChangeKind))
    state: Mapped[RevisionState] = mapped_column(enum_column(RevisionState), default=RevisionState.DRAFT, index=True)
    title: Mapped[str] = mapped_column(String(300))  # the title as this revision states it
    change_summary: Mapped[str] = mapped_column(Text, default="")  # nội dung sửa đổi (tóm tắt)
    change_location: Mapped[str] = mapped_column(String(300), default="")  # vị trí: trang/mục
    change_basis: Mapped[str] = mapped_column(Text, default="")  # căn cứ / lý do sửa đổi
    requested_by: Mapped[str] = mapped_column(String(200), default="")  # người / đơn vị đề nghị
    change_request_id: Mapped[int | None] = mapped_column(ForeignKey("change_requests.id", use_alter=True))
    planned_effective_on: Mapped[date | None] = mapped_column(Date)
    issued_on: Mapped[date | None] = mapped_column(Date)  # ngày ban hành = approval date
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approver_capacity: Mapped[str] = mapped_column(String(40), default="")  # "" or "KT. Giám đốc"
    content_sha256: Mapped[str | None] = mapped_column(String(64))  # what the approver signed
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # superseded, withdrawn or cancelled
    search_text: Mapped[str] = mapped_column(Text, default="")  # folded text of the sections
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    document: Mapped[Document] = relationship(back_populates="revisions", lazy="joined")
    sections: Mapped[list[RevisionSection]] = relationship(back_populates="revision",
                                                           order_by="RevisionSection.position",
                                                           cascade="all, delete-orphan", lazy="selectin")
    files: Mapped[list[RevisionFile]] = relationship(back_populates="revision", order_by="RevisionFile.position",
                                                     cascade="all, delete-orphan", lazy="selectin")
    drafted_by = relationship("User", foreign_keys=[drafted_by_id], lazy="joined")
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id], lazy="joined")
    approved_by = relationship("User", foreign_keys=[approved_by_id], lazy="joined")

    __table_args__ = (
        # A number is taken once; a cancelled draft gives its number back.
        Index("uq_revisions_numbering", "document_id", "issue_no", "revision_no", unique=True,
              sqlite_where=text("state <> 'cancelled'"), postgresql_where=text("state <> 'cancelled'")),
        # Exactly one effective revision per document: enforced by the database.
        Index("uq_revisions_one_effective_per_document", "document_id", unique=True,
              sqlite_where=text("state = 'effective'"), postgresql_where=text("state = 'effective'")),
        CheckConstraint("issue_no >= 1 AND revision_no >= 0", name="numbering_positive"),
        CheckConstraint("reviewed_by_id IS NULL OR reviewed_by_id <> drafted_by_id", name="no_self_review"),
        CheckConstraint("approved_by_id IS NULL OR approved_by_id <> drafted_by_id", name="no_self_approval"),
        CheckConstraint(f"state NOT IN ('reviewed', {_LOCKED_SQL}) OR "
                        "(reviewed_by_id IS NOT NULL AND reviewed_at IS NOT NULL)", name="reviewed_has_reviewer"),
        CheckConstraint(f"state NOT IN ({_LOCKED_SQL}) OR (approved_by_id IS NOT NULL AND approved_at IS NOT NULL "
                        "AND content_sha256 IS NOT NULL AND issued_on IS NOT NULL)", name="approved_is_signed"),
        CheckConstraint("state NOT IN ('effective', 'superseded', 'withdrawn') OR effective_at IS NOT NULL",
                        name="effective_has_time"),
        CheckConstraint("state NOT IN ('superseded', 'withdrawn', 'cancelled') OR ended_at IS NOT NULL",
                        name="ended_has_time"),
    )

    def __str__(self) -> str:
        return f"{self.title} (lần ban hành {self.issue_no:02d}, lần sửa đổi {self.revision_no:02d})"

    @property
    def is_locked(self) -> bool:
        return self.state in LOCKED_STATES

    @property
    def is_obsolete(self) -> bool:
        return self.state in OBSOLETE_STATES

    @property
    def numbering(self) -> str:
        return f"{self.issue_no:02d}.{self.revision_no:02d}"


class SectionKey(StrEnum):
    PURPOSE = "purpose"  # 1. Mục đích
    SCOPE = "scope"  # 2. Phạm vi
    REFERENCES = "references"  # 3. Tài liệu viện dẫn
    DEFINITIONS = "definitions"  # 4. Định nghĩa và viết tắt
    CONTENT = "content"  # 5. Nội dung
    FORMS = "forms"  # 6. Biểu mẫu
    RECORDS = "records"  # 7. Hồ sơ cần lưu
    CUSTOM = "custom"  # a free section (policy, manual chapters, ...)


class RevisionSection(db.Model):
    """One section of a revision's content: sanitised rich text, tables included."""

    __tablename__ = "revision_sections"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    key: Mapped[SectionKey] = mapped_column(enum_column(SectionKey))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    body_html: Mapped[str] = mapped_column(Text, default="")

    revision: Mapped[Revision] = relationship(back_populates="sections")

    __table_args__ = (UniqueConstraint("revision_id", "position"),)

    def __str__(self) -> str:
        return self.title


class RevisionFile(db.Model):
    """A file attached to a revision (.docx, .xlsx, .pdf), under the name it was uploaded with."""

    __tablename__ = "revision_files"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    filename: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    file = relationship("StoredFile", lazy="joined")
    revision: Mapped[Revision] = relationship(back_populates="files")

    def __str__(self) -> str:
        return self.filename


class RevisionEvent(db.Model):
    """The history of a revision's workflow: who moved it from which state to which, when, and why."""

    __tablename__ = "revision_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")


def document_search_key(document: Document, revision: Revision | None) -> str:
    """The folded text the master list searches: code, title and the effective revision's sections."""
    parts = [document.code, document.title]
    if revision is not None:
        parts.append(revision.search_text)
    return fold(" ".join(parts))


# Change requests, distribution, acknowledgement, periodic review ------------------------------------


class ChangeRequestStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return str(CHANGE_REQUEST_STATUS_LABELS[self])


CHANGE_REQUEST_STATUS_LABELS = {
    ChangeRequestStatus.OPEN: _l("Awaiting decision"),
    ChangeRequestStatus.ACCEPTED: _l("Accepted"),
    ChangeRequestStatus.REJECTED: _l("Rejected"),
}


class ChangeRequest(db.Model):
    """Phiếu đề nghị sửa đổi tài liệu: anyone asks; the ISO secretary accepts (opening a draft) or rejects."""

    __tablename__ = "change_requests"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    proposed_change: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ChangeRequestStatus] = mapped_column(enum_column(ChangeRequestStatus),
                                                       default=ChangeRequestStatus.OPEN)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))  # the draft it opened
    source: Mapped[str] = mapped_column(String(60), default="")  # e.g. "nonconformity:12", "periodic_review"

    document: Mapped[Document] = relationship(lazy="joined")
    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="joined")

    __table_args__ = (
        CheckConstraint("status = 'open' OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL)",
                        name="decision_complete"),
        CheckConstraint("status <> 'accepted' OR revision_id IS NOT NULL", name="accepted_opens_revision"),
        CheckConstraint("status <> 'rejected' OR length(decision_comment) > 0", name="rejection_has_reason"),
    )


class DistributionEntry(db.Model):
    """One recipient of a revision (nơi nhận): a whole unit or one person."""

    __tablename__ = "distribution_entries"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    unit = relationship("Unit", lazy="joined")
    user = relationship("User", lazy="joined")

    __table_args__ = (
        CheckConstraint("(unit_id IS NULL) <> (user_id IS NULL)", name="unit_or_user"),
        UniqueConstraint("revision_id", "unit_id", "user_id"),
    )


class Acknowledgement(db.Model):
    """A "read and confirm" task of one person for one effective revision, and its confirmation."""

    __tablename__ = "acknowledgements"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_on: Mapped[date] = mapped_column(Date)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_reminded_on: Mapped[date | None] = mapped_column(Date)

    user = relationship("User", lazy="joined")
    revision: Mapped[Revision] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("revision_id", "user_id"),)


class ReviewOutcome(StrEnum):
    NO_CHANGE = "no_change"  # signed: the document stays as it is
    REVISION_OPENED = "revision_opened"

    @property
    def label(self) -> str:
        return str(REVIEW_OUTCOME_LABELS[self])


REVIEW_OUTCOME_LABELS = {
    ReviewOutcome.NO_CHANGE: _l("No change needed"),
    ReviewOutcome.REVISION_OPENED: _l("A revision was opened"),
}


class PeriodicReview(db.Model):
    """A periodic review of a document (default every 12 months)."""

    __tablename__ = "periodic_reviews"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[ReviewOutcome] = mapped_column(enum_column(ReviewOutcome))
    comment: Mapped[str] = mapped_column(Text, default="")
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("signatures.id"))
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))
    next_review_on: Mapped[date] = mapped_column(Date)

    reviewed_by = relationship("User", lazy="joined")

    __table_args__ = (
        CheckConstraint("outcome <> 'no_change' OR signature_id IS NOT NULL", name="no_change_is_signed"),
        CheckConstraint("outcome <> 'revision_opened' OR revision_id IS NOT NULL", name="opened_has_revision"),
    )
