"""Bulk imports of dossier records from the one-stop systems' exports (ISO 9001:2008 clauses 7.5.1, 8.2.3, 8.4).

``DossierImport`` is one file put through the bulk path: who brought it, its content hash, the
mapping of its columns, where the run stands (queued, running, done, refused, failed), its counts
and, when refused, the errors for the download. ``ColumnMapping`` is a saved mapping of an
export's headers to our fields, reused for every later file with the same headers.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.dbtypes import UTCDateTime, enum_column
from qms.extensions import db
from qms.timeutil import utcnow


class ImportStatus(StrEnum):
    MAPPING = "mapping"  # waiting for its columns to be mapped
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    REFUSED = "refused"  # a rule broken: nothing written, the errors kept
    FAILED = "failed"  # stopped by a fault: nothing written

    @property
    def label(self) -> str:
        return str(IMPORT_STATUS_LABELS[self])

    @property
    def is_over(self) -> bool:
        return self in (ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED)


IMPORT_STATUS_LABELS = {
    ImportStatus.MAPPING: _l("Columns to map"),
    ImportStatus.QUEUED: _l("Waiting"),
    ImportStatus.RUNNING: _l("Importing"),
    ImportStatus.DONE: _l("Imported"),
    ImportStatus.REFUSED: _l("Refused"),
    ImportStatus.FAILED: _l("Failed"),
}


class MappingLayout(StrEnum):
    EVENTS = "events"  # one row per step event
    DOSSIERS = "dossiers"  # one row per dossier, one column per step

    @property
    def label(self) -> str:
        return str(LAYOUT_LABELS[self])


LAYOUT_LABELS = {MappingLayout.EVENTS: _l("One row per step event"),
                 MappingLayout.DOSSIERS: _l("One row per dossier, one column per step")}


class ColumnMapping(db.Model):
    """A saved mapping of an export's column headers to our fields (JSON: fields and step columns)."""

    __tablename__ = "dossier_column_mappings"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    layout: Mapped[MappingLayout] = mapped_column(enum_column(MappingLayout))
    mapping_json: Mapped[str] = mapped_column(Text)  # {"fields": {key: header}, "steps": {"B1": header}}
    date_format: Mapped[str] = mapped_column(String(60), default="")  # "" = the usual Vietnamese forms
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    created_by = relationship("User")

    def __str__(self) -> str:
        return self.name

    @property
    def data(self) -> dict:
        return json.loads(self.mapping_json or "{}")


class DossierImport(db.Model):
    """One file put through the bulk path, from upload to its report."""

    __tablename__ = "dossier_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # csv | xlsx
    size: Mapped[int] = mapped_column(default=0)
    headers_json: Mapped[str] = mapped_column(Text, default="[]")
    sample_json: Mapped[str] = mapped_column(Text, default="[]")  # the first rows, for the mapping page
    mapping_id: Mapped[int | None] = mapped_column(ForeignKey("dossier_column_mappings.id"))
    is_dry_run: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ImportStatus] = mapped_column(enum_column(ImportStatus), default=ImportStatus.QUEUED, index=True)
    rows_read: Mapped[int] = mapped_column(default=0)
    total_rows: Mapped[int | None] = mapped_column()
    dossiers_created: Mapped[int] = mapped_column(default=0)
    dossiers_updated: Mapped[int] = mapped_column(default=0)
    dossiers_unchanged: Mapped[int] = mapped_column(default=0)
    steps_created: Mapped[int] = mapped_column(default=0)
    events_read: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    errors_json: Mapped[str] = mapped_column(Text, default="[]")  # at most MAX_ERRORS [where, column, value, rule]
    message: Mapped[str] = mapped_column(Text, default="")  # why it failed
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    mapping = relationship("ColumnMapping")
    created_by = relationship("User")

    __table_args__ = (
        CheckConstraint("status NOT IN ('done', 'refused', 'failed') OR finished_at IS NOT NULL",
                        name="over_has_end"),
        CheckConstraint("status NOT IN ('running', 'done') OR started_at IS NOT NULL", name="run_has_start"),
        CheckConstraint("status = 'mapping' OR mapping_id IS NOT NULL OR status IN ('failed', 'refused')",
                        name="queued_has_mapping"),
    )

    def __str__(self) -> str:
        return self.filename

    @property
    def status_code(self) -> ImportStatus:
        return ImportStatus(self.status)

    @property
    def headers(self) -> list[str]:
        return json.loads(self.headers_json or "[]")

    @property
    def sample(self) -> list[list[str]]:
        return json.loads(self.sample_json or "[]")

    @property
    def errors(self) -> list[list[str]]:
        return json.loads(self.errors_json or "[]")

    @property
    def changed(self) -> bool:
        return bool(self.dossiers_created or self.dossiers_updated or self.steps_created)
