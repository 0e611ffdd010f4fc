"""External documents and their amendments; citations by internal revisions; "cần cập nhật" flags.

When an external document is amended or replaced, every internal document whose effective
revision cites it must be updated within three months of the new text's entry into force
(QĐ 19/2014/QĐ-TTg Art. 4.4a): an ``UpdateFlag`` tracks that duty until a new revision
takes effect.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.dbtypes import UTCDateTime, enum_column
from qms.extensions import db
from qms.timeutil import utcnow


class ExternalKind(StrEnum):
    LAW = "law"  # Luật
    DECREE = "decree"  # Nghị định
    CIRCULAR = "circular"  # Thông tư
    DECISION = "decision"  # Quyết định (Thủ tướng, UBND tỉnh, Bộ)
    STANDARD = "standard"  # Tiêu chuẩn (TCVN ISO 9001:2008)
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(EXTERNAL_KIND_LABELS[self])


EXTERNAL_KIND_LABELS = {
    ExternalKind.LAW: _l("Law"),
    ExternalKind.DECREE: _l("Decree"),
    ExternalKind.CIRCULAR: _l("Circular"),
    ExternalKind.DECISION: _l("Decision"),
    ExternalKind.STANDARD: _l("Standard"),
    ExternalKind.OTHER: _l("Other"),
}


class ExternalStatus(StrEnum):
    IN_FORCE = "in_force"  # còn hiệu lực
    AMENDED = "amended"  # được sửa đổi, bổ sung
    EXPIRED = "expired"  # hết hiệu lực (replaced or repealed)

    @property
    def label(self) -> str:
        return str(EXTERNAL_STATUS_LABELS[self])


EXTERNAL_STATUS_LABELS = {
    ExternalStatus.IN_FORCE: _l("In force"),
    ExternalStatus.AMENDED: _l("Amended or supplemented"),
    ExternalStatus.EXPIRED: _l("No longer in force"),
}


class ExternalDocument(db.Model):
    """A legal document or standard from outside the agency, e.g. 61/2018/NĐ-CP."""

    __tablename__ = "external_documents"
    __audited__ = True
    __audit_exclude__ = frozenset({"search_key"})

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(80), unique=True)  # số, ký hiệu
    kind: Mapped[ExternalKind] = mapped_column(enum_column(ExternalKind))
    issuer: Mapped[str] = mapped_column(String(200))  # cơ quan ban hành
    title: Mapped[str] = mapped_column(Text)  # trích yếu
    issued_on: Mapped[date | None] = mapped_column(Date)
    effective_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ExternalStatus] = mapped_column(enum_column(ExternalStatus), default=ExternalStatus.IN_FORCE)
    url: Mapped[str] = mapped_column(String(500), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    search_key: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __str__(self) -> str:
        return self.number


class RelationKind(StrEnum):
    AMENDS = "amends"  # sửa đổi, bổ sung
    REPLACES = "replaces"  # thay thế

    @property
    def label(self) -> str:
        return str(RELATION_KIND_LABELS[self])


RELATION_KIND_LABELS = {RelationKind.AMENDS: _l("amends"), RelationKind.REPLACES: _l("replaces")}


class ExternalRelation(db.Model):
    """*source* (the newer text) amends or replaces *target* from the source's effective date."""

    __tablename__ = "external_relations"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("external_documents.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("external_documents.id"), index=True)
    kind: Mapped[RelationKind] = mapped_column(enum_column(RelationKind))
    effective_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    source: Mapped[ExternalDocument] = relationship(foreign_keys=[source_id], lazy="joined")
    target: Mapped[ExternalDocument] = relationship(foreign_keys=[target_id], lazy="joined")

    __table_args__ = (
        CheckConstraint("source_id <> target_id", name="not_self"),
        UniqueConstraint("source_id", "target_id", "kind"),
    )


class RevisionCitation(db.Model):
    """An internal revision cites an external document (tài liệu viện dẫn, căn cứ)."""

    __tablename__ = "revision_citations"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    external_document_id: Mapped[int] = mapped_column(ForeignKey("external_documents.id"), index=True)
    note: Mapped[str] = mapped_column(String(300), default="")  # e.g. "Điều 16", "căn cứ sửa đổi"

    external_document: Mapped[ExternalDocument] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("revision_id", "external_document_id"),)


class UpdateFlag(db.Model):
    """"Cần cập nhật": an internal document must follow an external change by *due_on* (three months)."""

    __tablename__ = "update_flags"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    relation_id: Mapped[int] = mapped_column(ForeignKey("external_relations.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))

    document = relationship("Document", lazy="joined")
    relation: Mapped[ExternalRelation] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("document_id", "relation_id"),
        CheckConstraint("(resolved_at IS NULL) = (resolved_by_revision_id IS NULL)", name="resolution_complete"),
    )
