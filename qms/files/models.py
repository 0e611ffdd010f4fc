"""Stored files, content-addressed: the same bytes are stored once, under their SHA-256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from qms.dbtypes import UTCDateTime
from qms.extensions import db
from qms.timeutil import utcnow


class StoredFile(db.Model):
    """The bytes of an upload, identified by their hash. Names live on the objects that link to it."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # detected from the content: docx, xlsx, pdf, png, jpeg, ...
    mime_type: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint("size >= 0", name="size_not_negative"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )
