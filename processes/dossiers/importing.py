"""Bulk import of the one-stop systems' .xlsx and .csv exports (ISO 9001:2008 clauses 7.5.1, 8.2.3, 8.4).

A file is stored (under ``FILE_STORE/dossier_imports``, by its SHA-256), checked by content and read
for its headers; the saved column mapping whose columns it has is taken, else its columns are
mapped once and the mapping saved under a name. ``run_import`` then reads it in chunks
(``importing_readers``), turns the rows into batches (``importing_layouts``) and puts them through
``ingest``, all in the caller's one transaction: all or nothing, idempotent by dossier code and
event key. The background run and the progress bar are in ``import_jobs``; the pages in
``import_views``; ``qms import-dossiers`` calls the same functions.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from processes.dossiers.import_models import ColumnMapping, DossierImport, ImportStatus, MappingLayout
from processes.dossiers.importing_child import batches_in_child, use_child
from processes.dossiers.importing_dates import zone_offset
from processes.dossiers.importing_events import NotGrouped, event_batches
from processes.dossiers.importing_layouts import dossier_batches
from processes.dossiers.importing_mapping import FIELDS_BY_KEY, Proposal, matching_mapping, proposal_of
from processes.dossiers.importing_readers import ImportFileRefused, SourceInfo, fast_survey, inspect_file
from processes.dossiers.ingest import IngestReport, ingest_batches
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.files.storage import sanitise_filename, store_root
from qms.permissions import Permission, has_permission
from qms.timeutil import agency_zone, utcnow

CHUNK_SIZE = 1 << 20
DEFAULT_MAX_MB = 300
BATCH_DOSSIERS = 10_000  # dossiers checked, prepared and written together (a few tens of megabytes)


def can_import_dossiers(user) -> bool:
    return has_permission(user, Permission.DOSSIERS_IMPORT)


def _require(actor) -> None:
    if actor is not None and not can_import_dossiers(actor):
        raise Forbidden(_("You may not import dossier records."))


def import_folder() -> Path:
    folder = store_root() / "dossier_imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stored_import_path(batch: DossierImport) -> Path:
    return import_folder() / batch.sha256[:2] / batch.sha256


def limit_bytes() -> int:
    return int(float(current_app.config.get("DOSSIER_IMPORT_MAX_MB", DEFAULT_MAX_MB)) * 1024 * 1024)


def _spool(stream, filename: str) -> tuple[Path, str, int]:
    """Copy *stream* to a temporary file in the store while hashing it; refuse it above the size cap."""
    limit = limit_bytes()
    digest, size = hashlib.sha256(), 0
    handle, temp = tempfile.mkstemp(prefix="import-", dir=import_folder())
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK_SIZE):
                size += len(chunk)
                if size > limit:
                    raise ImportFileRefused(_("%(name)s is larger than the %(limit)d MB allowed for an import.",
                                              name=filename, limit=limit // (1024 * 1024)))
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(temp)
        raise
    return Path(temp), digest.hexdigest(), size


def receive_file(stream, filename: str, *, actor, dry_run: bool = False, now: datetime | None = None) -> DossierImport:
    """Store an uploaded export, check its content and headers, take its saved mapping if any; flush.

    The import is then ``queued`` (a mapping matched its headers) or waits for its columns to be mapped.
    Raise ``ImportFileRefused`` (nothing written) when the file is not an export the import reads.
    """
    _require(actor)
    filename = sanitise_filename(filename) or "import.csv"
    temp, sha256, size = _spool(stream, filename)
    try:
        info = inspect_file(temp, filename)
        target = import_folder() / sha256[:2] / sha256
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()
    return _new_import(info, filename, sha256, size, actor=actor, dry_run=dry_run, now=now)


def register_file(path: Path, *, actor, dry_run: bool = False, now: datetime | None = None) -> DossierImport:
    """``receive_file`` for a file on this machine (the CLI): hashed and checked where it lies, not copied."""
    _require(actor)
    if path.stat().st_size > limit_bytes():
        raise ImportFileRefused(_("%(name)s is larger than the %(limit)d MB allowed for an import.", name=path.name,
                                  limit=limit_bytes() // (1024 * 1024)))
    info = inspect_file(path, path.name)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return _new_import(info, path.name, digest.hexdigest(), path.stat().st_size, actor=actor, dry_run=dry_run,
                       now=now)


def _new_import(info: SourceInfo, filename: str, sha256: str, size: int, *, actor, dry_run: bool,
                now: datetime | None) -> DossierImport:
    mapping = matching_mapping(info.headers)
    batch = DossierImport(filename=filename, sha256=sha256, kind=info.kind, size=size,
                          headers_json=json.dumps(info.headers, ensure_ascii=False), is_dry_run=dry_run,
                          sample_json=json.dumps(info.sample, ensure_ascii=False),
                          mapping_id=mapping.id if mapping else None, total_rows=info.total_rows,
                          status=ImportStatus.QUEUED if mapping else ImportStatus.MAPPING,
                          created_by_id=getattr(actor, "id", None), created_at=now or utcnow())
    db.session.add(batch)
    db.session.flush()
    return batch


def earlier_imports(batch: DossierImport) -> list[DossierImport]:
    """Imports of the same content (SHA-256) done before: the page says so (the data decide what is new)."""
    return list(db.session.scalars(select(DossierImport).where(
        DossierImport.sha256 == batch.sha256, DossierImport.id != batch.id,
        DossierImport.status == ImportStatus.DONE, DossierImport.is_dry_run.is_(False))
        .order_by(DossierImport.finished_at)))


def check_proposal(proposal: Proposal, headers: list[str]) -> list[str]:
    """What is wrong with a mapping for a file with *headers*: a message per problem."""
    problems = []
    if proposal.layout not in {layout.value for layout in MappingLayout}:
        return [_("Choose the layout of the file.")]
    for field in proposal.missing():
        problems.append(_("Choose the column of %(field)s.", field=field.label))
    if proposal.layout == MappingLayout.DOSSIERS and not proposal.steps:
        problems.append(_("Map at least one step column (the time each step was completed)."))
    absent = [column for column in proposal.columns() if column not in headers]
    if absent:
        problems.append(_("The file has no column %(columns)s.", columns=", ".join(absent)))
    used = proposal.columns()
    twice = sorted({column for column in used if used.count(column) > 1})
    if twice:
        problems.append(_("A column can hold only one field: %(columns)s.", columns=", ".join(twice)))
    return problems


def save_mapping(batch: DossierImport, proposal: Proposal, *, name: str, actor, date_format: str = "",
                 now: datetime | None = None) -> ColumnMapping:
    """Save the mapping of *batch*'s columns under *name* and queue the import; flush."""
    _require(actor)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the mapping a name, e.g. the system the file comes from."), field="name")
    if db.session.scalar(select(ColumnMapping.id).where(ColumnMapping.name == name)) is not None:
        raise Conflict(_("A mapping named %(name)s already exists.", name=name), field="name")
    problems = check_proposal(proposal, batch.headers)
    if problems:
        raise DomainError(" ".join(problems))
    if batch.status != ImportStatus.MAPPING:
        raise Conflict(_("This import has already been started."))
    mapping = ColumnMapping(name=name[:120], layout=MappingLayout(proposal.layout), date_format=(date_format or "").strip(),
                            mapping_json=json.dumps(proposal.as_json(), ensure_ascii=False),
                            created_by_id=getattr(actor, "id", None), created_at=now or utcnow())
    db.session.add(mapping)
    db.session.flush()
    batch.mapping_id, batch.status = mapping.id, ImportStatus.QUEUED
    db.session.flush()
    return mapping


def use_mapping(batch: DossierImport, mapping: ColumnMapping, *, actor) -> None:
    """Import *batch* with a saved mapping chosen by name; flush."""
    _require(actor)
    problems = check_proposal(proposal_of(mapping), batch.headers)
    if problems:
        raise DomainError(_("The mapping %(name)s does not fit this file: %(problems)s", name=mapping.name,
                            problems=" ".join(problems)))
    batch.mapping_id, batch.status = mapping.id, ImportStatus.QUEUED
    db.session.flush()


def run_import(batch: DossierImport, path: Path, *, actor_name: str, now: datetime | None = None,
               progress: Callable[[dict], None] | None = None) -> IngestReport:
    """Read *path* with *batch*'s mapping and ingest every row in the caller's transaction (nothing commits
    here); raise ``IngestRefused`` with every error, ``ImportFileRefused`` when the file cannot be read."""
    now = now or utcnow()
    info = inspect_file(path, batch.filename)
    proposal = proposal_of(batch.mapping)
    problems = check_proposal(proposal, info.headers)
    if problems:
        raise ImportFileRefused(" ".join(problems))
    offset = zone_offset(agency_zone())
    events = proposal.layout == MappingLayout.EVENTS

    def attempt(stream: bool, fast: bool) -> IngestReport:
        tracker = _Progress(progress, info)

        def read(reading_progress):
            if events:
                return event_batches(path, info, proposal, offset, size=BATCH_DOSSIERS, progress=reading_progress,
                                     stream=stream, date_format=batch.mapping.date_format, fast=fast)
            return dossier_batches(path, info, proposal, offset, size=BATCH_DOSSIERS, progress=reading_progress,
                                   date_format=batch.mapping.date_format, fast=fast)

        # read in a child process when nothing makes the reading start again (one row a dossier, or a surveyed CSV)
        in_child = (not events or fast) and use_child(info.size)
        batches = batches_in_child(read, tracker.reading) if in_child else read(tracker.reading)
        return ingest_batches(batches, source="import", actor_name=actor_name, now=now, import_id=batch.id,
                              label=batch.filename, after_batch=tracker.ingested)

    code_column = info.headers.index(proposal.fields["code"]) if proposal.fields.get("code") in info.headers else 0
    survey = fast_survey(path, info, code_column)  # a CSV Arrow reads: read fast, and known to be grouped or not
    with _few_collections():
        if survey is not None:
            return attempt(stream=events and survey.grouped, fast=True)
        if not events:
            return attempt(stream=False, fast=False)
        # An event log read by the csv module or from a workbook streams until a dossier's rows prove to be
        # apart in the file; then it is read again, grouped, from a savepoint. (Never on the way above: on
        # PostgreSQL the rows written inside a savepoint cost a third more.)
        _begin_on_sqlite()
        savepoint = db.session.begin_nested()
        try:
            report = attempt(stream=True, fast=False)
        except NotGrouped:
            savepoint.rollback()
            return attempt(stream=False, fast=False)
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        return report


def _begin_on_sqlite() -> None:
    """Open the transaction on SQLite itself before a savepoint: Python's sqlite3 begins one only before the
    first write, and a savepoint taken outside one becomes the transaction, its release a commit."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")


@contextmanager
def _few_collections():
    """No cyclic garbage collection during an import: it would walk millions of new rows again and again (a
    sixth of the time) and they hold no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Progress:
    """How far an import is, as a share of the whole. Read and written together (a file in dossier order), the
    share of the file read; read whole before it is grouped (an event log sorted by time), reading counts for
    ``READING_SHARE`` and the dossiers written for the rest."""

    READING_SHARE = 0.4

    def __init__(self, report: Callable[[dict], None] | None, info: SourceInfo):
        self.report, self.info = report, info
        self.rows_read, self.fraction, self.dossiers, self.total, self.grouped = 0, 0.0, 0, None, False

    def reading(self, rows_read: int, fraction: float, grouped: bool = False) -> None:
        self.rows_read, self.fraction, self.grouped = rows_read, fraction, grouped
        self._send("reading" if grouped else "importing")

    def ingested(self, batch, report: IngestReport) -> None:
        self.dossiers += len(batch)
        self.total = self.total or getattr(batch, "total_dossiers", None)
        self._send("checking" if report.errors else "importing", report)

    def _send(self, phase: str, report: IngestReport | None = None) -> None:
        if self.report is None:
            return
        share = self.fraction
        if self.grouped:
            share = self.READING_SHARE * self.fraction
            if self.total:
                share = self.READING_SHARE + (1 - self.READING_SHARE) * self.dossiers / self.total
        self.report({"phase": phase, "percent": round(100 * min(share, 0.99), 1), "rows_read": self.rows_read,
                     "total_rows": self.info.total_rows, "dossiers": self.dossiers,
                     "steps": report.steps_created if report else 0})


def summary(batch: DossierImport) -> str:
    """One sentence on where an import stands or what it did."""
    if batch.status == ImportStatus.DONE and not batch.changed:
        return _("Nothing new: the %(count)s dossiers of the file are already recorded as they are; nothing was "
                 "written.", count=format_decimal(batch.dossiers_unchanged))
    if batch.status == ImportStatus.DONE:
        text = _("%(created)s dossiers added, %(updated)s updated, %(unchanged)s unchanged; %(steps)s steps recorded.",
                 created=format_decimal(batch.dossiers_created), updated=format_decimal(batch.dossiers_updated),
                 unchanged=format_decimal(batch.dossiers_unchanged), steps=format_decimal(batch.steps_created))
        text += (" " + _("Check only: nothing was written.") if batch.is_dry_run else "")
        return text + (" " + batch.message if batch.message else "")  # warnings: codes outside TT 01
    if batch.status == ImportStatus.REFUSED:
        return batch.message or ngettext("Refused: %(num)d error; nothing was written.",
                                         "Refused: %(num)d errors; nothing was written.", batch.error_count)
    if batch.status == ImportStatus.FAILED:
        return batch.message
    return batch.status_code.label


def progress_detail(data: dict) -> str:
    """"52.000 rows read, 5.000 dossiers written" for the progress bar."""
    rows, dossiers = data.get("rows_read") or 0, data.get("dossiers") or 0
    if not rows and not dossiers:
        return ""
    return _("%(rows)s rows read, %(dossiers)s dossiers checked", rows=f"{rows:,}".replace(",", "."),
             dossiers=f"{dossiers:,}".replace(",", "."))


def field_label(key: str) -> str:
    field = FIELDS_BY_KEY.get(key)
    return str(field.label) if field else key
