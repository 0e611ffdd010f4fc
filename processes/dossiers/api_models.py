"""Client systems of the ingest API (issue 5, input path 4): the one-stop information systems that push
dossier events, each with its own token (ISO 9001:2008 clause 4.2.4: who wrote a record is known).

Only the SHA-256 of a token is stored, with a short visible prefix to tell tokens apart; the token
itself is shown once, when the client is created. A revoked client is kept for the audit trail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.dbtypes import UTCDateTime
from qms.extensions import db
from qms.timeutil import utcnow


class ApiClient(db.Model):
    """A system allowed to push dossier events, known by its token."""

    __tablename__ = "api_clients"
    __audited__ = True
    __audit_exclude__ = frozenset({"token_hash"})  # not a secret, but nothing to read in the log either
    __audit_noise__ = frozenset({"last_used_at"})  # every request touches it

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(16))  # shown in the list: qms_ab12cd34
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the whole token
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by = relationship("User")

    __table_args__ = (CheckConstraint("revoked_at IS NULL OR revoked_at >= created_at", name="revoked_after_creation"),)

    def __str__(self) -> str:
        return f"{self.name} ({self.token_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
