"""Record categories (Danh mục hồ sơ) and the quality records filed under them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.dbtypes import UTCDateTime
from qms.extensions import db
from qms.timeutil import utcnow


class RecordCategory(db.Model):
    """A kind of quality record: which procedure produces it, who keeps it where, for how long, then what."""

    __tablename__ = "record_categories"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    keeping_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    location: Mapped[str] = mapped_column(String(300), default="")  # nơi lưu
    retention_months: Mapped[int | None] = mapped_column()  # None: kept permanently (vĩnh viễn)
    disposal_method: Mapped[str] = mapped_column(String(300), default="")  # hình thức hủy / chuyển lưu trữ
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    procedure = relationship("Document", lazy="joined")
    keeping_unit = relationship("Unit", lazy="joined")

    __table_args__ = (CheckConstraint("retention_months IS NULL OR retention_months > 0", name="retention_positive"),)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class QualityRecord(db.Model):
    """One quality record (a file plus its metadata). Never deleted silently: disposal is recorded."""

    __tablename__ = "quality_records"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("record_categories.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(120), default="")  # số, ký hiệu
    record_date: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    retain_until: Mapped[date | None] = mapped_column(Date, index=True)  # None: permanent
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    disposal_note: Mapped[str] = mapped_column(Text, default="")  # biên bản hủy / bàn giao lưu trữ

    category: Mapped[RecordCategory] = relationship(lazy="joined")
    file = relationship("StoredFile", lazy="joined")

    __table_args__ = (
        CheckConstraint("(disposed_at IS NULL) = (disposed_by_id IS NULL)", name="disposal_complete"),
        CheckConstraint("file_id IS NULL OR length(filename) > 0", name="file_has_name"),
    )

    def __str__(self) -> str:
        return self.title
