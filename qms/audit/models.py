"""Audit log entries and the head of their hash chain.

There is no update or delete path for these rows in the application: the ORM refuses
to flush a change to an existing entry (see ``qms.audit.log``), and ``qms audit-log
verify`` detects any change made behind the application's back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qms.dbtypes import UTCDateTime
from qms.extensions import db

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    """One event: who, when, from where, what, on which object, and the fields before and after."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    changes: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON {"before": {}, "after": {}}
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id"),)


class AuditChainHead(db.Model):
    """The last link of the chain (one row). Locked while appending, so appends never fork."""

    __tablename__ = "audit_chain_heads"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
