"""Electronic signatures on any controlled object (document revisions, audit programmes, reviews).

Signatures are append-only: never edited, only superseded by a later one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.dbtypes import UTCDateTime, enum_column
from qms.extensions import db
from qms.timeutil import utcnow


class SignatureMeaning(StrEnum):
    DRAFTED = "drafted"  # soạn thảo
    REVIEWED = "reviewed"  # xem xét
    APPROVED = "approved"  # phê duyệt
    PERIODIC_REVIEW = "periodic_review"  # xem xét định kỳ: không cần thay đổi
    VERIFIED = "verified"  # xác nhận (hiệu lực hành động khắc phục, ...)

    @property
    def label(self) -> str:
        return str(SIGNATURE_MEANING_LABELS[self])


SIGNATURE_MEANING_LABELS = {
    SignatureMeaning.DRAFTED: _l("Drafted"),
    SignatureMeaning.REVIEWED: _l("Reviewed"),
    SignatureMeaning.APPROVED: _l("Approved"),
    SignatureMeaning.PERIODIC_REVIEW: _l("Periodic review: no change needed"),
    SignatureMeaning.VERIFIED: _l("Verified"),
}


class Signature(db.Model):
    """Who signed what, in which capacity, when, and the SHA-256 of exactly what they signed."""

    __tablename__ = "signatures"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(40))  # e.g. "revisions", "audit_programmes"
    subject_id: Mapped[int] = mapped_column()
    meaning: Mapped[SignatureMeaning] = mapped_column(enum_column(SignatureMeaning))
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(120))  # as at signing time
    signer_position: Mapped[str] = mapped_column(String(120), default="")
    capacity: Mapped[str] = mapped_column(String(40), default="")  # "" or "KT. Giám đốc"
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_sha256: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("signatures.id"))

    signer = relationship("User", foreign_keys=[signer_id], lazy="joined")

    __table_args__ = (Index("ix_signatures_subject", "subject_type", "subject_id"),)
