"""Running a dossier import away from the request, and how far it is (for the browser's bar and the CLI's).

The upload's request stores the file and the ``DossierImport`` row and starts a daemon thread with
its own application context and session. The thread marks the import running (a short transaction
of its own), then reads and writes every row of the file in ONE transaction and commits it with
the import's final status, or rolls it back and records why: a process killed half-way never
commits, so nothing of it stays. One import runs at a time per process; the others wait.

Progress goes to a small JSON file beside the stored uploads, rewritten after every chunk, not to
the database: on SQLite the import's open transaction holds the only write lock, so no other
connection could record it, and any worker process can read the file. Its time stamp is also the
heartbeat: an import whose heartbeat stopped for ``STALE_SECONDS`` died with its process.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask_babel import gettext as _

from processes.dossiers import recorded
from processes.dossiers.followups import records_committed
from processes.dossiers.import_models import DossierImport, ImportStatus
from processes.dossiers.importing import import_folder, run_import, stored_import_path
from processes.dossiers.importing_readers import ImportFileRefused
from processes.dossiers.ingest import MAX_ERRORS, IngestRefused, IngestReport
from qms.audit import log as audit
from qms.extensions import db
from qms.timeutil import utcnow

log = logging.getLogger(__name__)
STALE_SECONDS = 300
_lock = threading.Lock()
_threads: dict[int, threading.Thread] = {}


def progress_path(import_id: int) -> Path:
    folder = import_folder() / "progress"
    folder.mkdir(exist_ok=True)
    return folder / f"{import_id}.json"


def write_progress(import_id: int, data: dict) -> None:
    path = progress_path(import_id)
    temp = path.with_suffix(f".{threading.get_ident()}.tmp")
    temp.write_text(json.dumps({**data, "updated_at": time.time()}), encoding="utf-8")
    os.replace(temp, path)


def read_progress(import_id: int) -> dict:
    try:
        return json.loads(progress_path(import_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def is_stalled(batch: DossierImport, now: float | None = None) -> bool:
    """A running or waiting import whose heartbeat stopped: its process is gone, its transaction with it."""
    if batch.status not in (ImportStatus.RUNNING, ImportStatus.QUEUED):
        return False
    thread = _threads.get(batch.id)
    if thread is not None and thread.is_alive():
        return False
    beat = read_progress(batch.id).get("updated_at")
    if beat is None:
        started = batch.started_at or batch.created_at
        beat = started.timestamp() if started else 0
    return (now or time.time()) - beat > STALE_SECONDS


def settle_stalled(batch: DossierImport) -> bool:
    """Mark a stalled import failed (nothing of it was written); flush. True when it was."""
    if not is_stalled(batch):
        return False
    batch.status, batch.finished_at = ImportStatus.FAILED, utcnow()
    batch.started_at = batch.started_at or batch.finished_at
    batch.message = _("The import stopped before it finished (its process ended); nothing of it was written.")
    db.session.flush()
    return True


def start_in_background(app: Flask, import_id: int) -> threading.Thread:
    """Run the import in a daemon thread with its own application context and database session."""
    def target():
        with app.app_context():
            try:
                execute_import(import_id)
            except Exception:  # noqa: BLE001 - already recorded on the import; a thread has nobody to tell
                log.exception("dossier import %s", import_id)
            finally:
                db.session.remove()

    thread = threading.Thread(target=target, name=f"dossier-import-{import_id}", daemon=True)
    _threads[import_id] = thread
    write_progress(import_id, {"phase": "waiting", "percent": 0})
    thread.start()
    return thread


def wait_for(import_id: int, timeout: float = 60) -> None:
    """Wait for the background run of *import_id* (tests, and the CLI's --wait)."""
    thread = _threads.get(import_id)
    if thread is not None:
        thread.join(timeout)


def execute_import(import_id: int, *, path: Path | None = None, echo: Callable[[dict], None] | None = None,
                   now=None) -> DossierImport:
    """Run import *import_id* here and now: all its data in one transaction, its outcome recorded after."""
    while not _lock.acquire(timeout=5):  # another import is running in this process: wait, heartbeat going
        write_progress(import_id, {"phase": "waiting", "percent": 0})
    try:
        return _execute(import_id, path, echo, now)
    finally:
        _lock.release()


def _execute(import_id: int, path: Path | None, echo, now) -> DossierImport:
    batch = db.session.get(DossierImport, import_id)
    if batch is None or batch.status != ImportStatus.QUEUED:
        raise ValueError(f"dossier import {import_id} is not waiting to run")
    batch.status, batch.started_at = ImportStatus.RUNNING, utcnow()
    db.session.commit()  # the page shows it running while the data's transaction is open
    user = batch.created_by
    actor = audit.Actor.of_user(user) if user is not None else audit.Actor.system("cli:import-dossiers")

    def progress(data: dict) -> None:
        write_progress(import_id, data)
        if echo is not None:
            echo(data)

    mark = recorded.take_mark()
    try:
        with audit.acting_as(actor):
            report = run_import(batch, path or stored_import_path(batch), actor_name=actor.name, now=now,
                                progress=progress)
    except IngestRefused as refused:
        db.session.rollback()
        return _finish(import_id, ImportStatus.REFUSED, refused.report)
    except ImportFileRefused as error:
        db.session.rollback()
        return _finish(import_id, ImportStatus.REFUSED, message=error.message)
    except Exception as error:
        db.session.rollback()
        log.exception("dossier import %s failed", import_id)
        _finish(import_id, ImportStatus.FAILED, message=_("The import failed (%(error)s); nothing of it was written.",
                                                          error=type(error).__name__))
        raise
    if batch.is_dry_run:
        db.session.rollback()
        return _finish(import_id, ImportStatus.DONE, report, message=" ".join(report.warnings()))
    _record(batch, ImportStatus.DONE, report, message=" ".join(report.warnings()))
    db.session.commit()  # the data and the import's outcome together
    records_committed(mark)  # after the commit: what follows never refuses the records
    write_progress(import_id, {"phase": "done", "percent": 100})
    return batch


def _finish(import_id: int, status: ImportStatus, report: IngestReport | None = None,
            message: str = "") -> DossierImport:
    batch = db.session.get(DossierImport, import_id)
    _record(batch, status, report, message)
    db.session.commit()
    write_progress(import_id, {"phase": "done", "percent": 100})
    return batch


def _record(batch: DossierImport, status: ImportStatus, report: IngestReport | None, message: str = "") -> None:
    batch.status, batch.finished_at, batch.message = status, utcnow(), message
    if report is not None:
        batch.dossiers_created, batch.dossiers_updated = report.dossiers_created, report.dossiers_updated
        batch.dossiers_unchanged = report.dossiers_unchanged
        batch.steps_created = report.steps_created + report.steps_opened  # the rows added, finished or not
        batch.events_read, batch.error_count = report.events_read, len(report.errors)
        batch.errors_json = json.dumps([[e.where, e.column, e.value, e.rule] for e in report.errors[:MAX_ERRORS]],
                                       ensure_ascii=False)
    progress = read_progress(batch.id)
    batch.rows_read = progress.get("rows_read") or batch.rows_read
    db.session.flush()
