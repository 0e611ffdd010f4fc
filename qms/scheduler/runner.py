"""Running one job under the ledger of job runs, so that no period's work is lost or done twice.

``run_job`` is the only way a job runs, from the scheduler process as from ``qms run-job``:

1. it claims the run key of the job (by default the agency's local date, so a daily job runs once a
   day) by committing a ``running`` row; the unique (job_name, run_key) makes two processes that
   race for the same key end with one run, on SQLite as on PostgreSQL;
2. it runs the function as the system actor ``job:NAME`` (audit log) and commits the job's work and
   the ``done`` mark together: a crash loses neither a half-done day nor its record;
3. on failure it rolls the work back, records ``failed`` with the error, and raises ``JobFailed``.
   A failed key can be run again: the next attempt takes over the row. So can a ``running`` row
   left behind by a process that died (same host, process gone) or that is older than STALE_AFTER.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from qms.audit import log as audit
from qms.extensions import db
from qms.scheduler import registry
from qms.scheduler.models import JobRun
from qms.timeutil import to_local, utcnow

log = logging.getLogger(__name__)

#: A ``running`` row older than this belongs to a run that died; the key may be run again.
STALE_AFTER = timedelta(hours=2)

#: Who holds a claim: host, process and this incarnation of it (a restarted container reuses pid 1).
_OWNER = (socket.gethostname(), os.getpid(), uuid.uuid4().hex[:12])


class JobFailed(RuntimeError):
    """The job ran and raised; the failure is recorded in the ledger and may be retried."""

    def __init__(self, name: str, run_key: str, error: str):
        super().__init__(f"job {name} ({run_key}) failed: {error}")
        self.name, self.run_key, self.error = name, run_key, error


def default_run_key(now: datetime) -> str:
    """The agency's local date of *now* ("2026-11-22"): one run of a daily job per day."""
    return to_local(now).date().isoformat()


def _owner_text() -> str:
    host, pid, incarnation = _OWNER
    return f"running on {host} pid {pid} ({incarnation})"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_abandoned(run: JobRun, now: datetime) -> bool:
    """True when a ``running`` row's process is gone: too old, or dead on this very host."""
    if run.started_at < now - STALE_AFTER:
        return True
    try:
        _running, _on, host, _pid, pid, incarnation = run.result.split(" ")
        pid_number = int(pid)
    except ValueError:
        return False
    if host != _OWNER[0]:
        return False
    if pid_number == _OWNER[1]:
        return incarnation.strip("()") != _OWNER[2]
    return not _pid_alive(pid_number)


def _claim(name: str, key: str) -> tuple[int | None, str]:
    """Commit a ``running`` row for (name, key); return its id, or None and why the run is skipped."""
    started = utcnow()
    existing = db.session.scalar(select(JobRun).where(JobRun.job_name == name, JobRun.run_key == key))
    if existing is None:
        run = JobRun(job_name=name, run_key=key, started_at=started, status="running", result=_owner_text())
        db.session.add(run)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return None, f"{name} ({key}): another process has just started it; nothing done"
        return run.id, ""
    if existing.status == "done":
        return None, (f"{name} ({key}): already done at {existing.finished_at:%Y-%m-%d %H:%M} UTC; nothing done "
                      f"(earlier result: {existing.result})")
    if existing.status == "running" and not is_abandoned(existing, started):
        return None, f"{name} ({key}): already running since {existing.started_at:%Y-%m-%d %H:%M} UTC; nothing done"
    # A failed or abandoned attempt: take the row over, unless another process just did.
    previous = existing.status
    taken = db.session.execute(
        update(JobRun)
        .where(JobRun.id == existing.id, JobRun.status == existing.status, JobRun.started_at == existing.started_at)
        .values(status="running", started_at=started, finished_at=None, result=_owner_text())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if taken != 1:
        return None, f"{name} ({key}): another process has just retried it; nothing done"
    log.info("job %s (%s): retrying after a %s attempt", name, key, "failed" if previous == "failed" else "dead")
    return existing.id, ""


def run_job(name: str, *, now: datetime | None = None, run_key: str | None = None,
            force: bool = False) -> tuple[bool, str]:
    """Run job *name* once for *run_key*; return (ran, summary). Needs an app context.

    ``ran`` is False when the key was already done or is running elsewhere (the summary says so).
    *force* runs the job again under a fresh key of its own, leaving the day's key as it is.
    Raises ``registry.UnknownJob`` for a name not in the registry and ``JobFailed`` when the job
    raised (after recording the failure).
    """
    registry.spec(name)
    now = now or utcnow()
    key = run_key or default_run_key(now)
    if force:
        key = f"{key} forced {utcnow():%Y%m%dT%H%M%S.%fZ}"
    run_id, why_not = _claim(name, key)
    if run_id is None:
        return False, why_not
    with audit.acting_as(audit.Actor.system(f"job:{name}")):
        try:
            summary = str(registry.resolve(name)(now) or "")
            run = db.session.get(JobRun, run_id)
            run.status, run.finished_at, run.result = "done", utcnow(), summary
            db.session.commit()
        except Exception as error:  # noqa: BLE001 - any failure of the job is recorded, then re-raised
            db.session.rollback()
            message = f"{type(error).__name__}: {error}"
            run = db.session.get(JobRun, run_id)
            run.status, run.finished_at = "failed", utcnow()
            run.result = message + "\n\n" + traceback.format_exc()
            db.session.commit()
            log.error("job %s (%s) failed: %s", name, key, message)
            raise JobFailed(name, key, message) from error
    log.info("job %s (%s): %s", name, key, summary)
    return True, summary


def last_runs() -> dict[str, JobRun]:
    """The latest run of each job, for ``qms jobs``."""
    latest_ids = select(func.max(JobRun.id)).group_by(JobRun.job_name)
    return {run.job_name: run for run in db.session.scalars(select(JobRun).where(JobRun.id.in_(latest_ids)))}


def is_done(name: str, key: str) -> bool:
    """True when job *name* has a ``done`` run for *key*."""
    return db.session.scalar(
        select(JobRun.id).where(JobRun.job_name == name, JobRun.run_key == key, JobRun.status == "done")
    ) is not None
