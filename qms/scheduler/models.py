"""A ledger of job runs: a run key per job and period makes a restarted scheduler neither lose nor repeat work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qms.dbtypes import UTCDateTime
from qms.extensions import db
from qms.timeutil import utcnow


class JobRun(db.Model):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(80))
    run_key: Mapped[str] = mapped_column(String(80))  # e.g. the local date "2026-11-22"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | done | failed
    result: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("job_name", "run_key"),)
