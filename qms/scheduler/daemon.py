"""The scheduler process (``qms scheduler``): APScheduler runs each registered job once a day.

Never started inside a web worker (STYLE.md rule 7): it is its own process, one per deployment.

Why a restart neither loses nor repeats a day's work:
- every execution goes through ``run_job``, whose ledger (job_runs) refuses a key already done;
- the jobs live in the database (SQLAlchemyJobStore, table ``apscheduler_jobs``, outside our
  migrations) with ``coalesce`` and a misfire grace of a few hours, so runs delayed while the
  process was busy or asleep happen once, late;
- ``replace_existing`` (needed so a changed SCHEDULER_DAILY_AT takes effect) moves a stored job's
  next run to the future, so at start-up a catch-up runs, in registry order, every job whose last
  due run has no ``done`` entry in the ledger.
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from qms.extensions import db
from qms.scheduler import APSCHEDULER_TABLE, registry, runner
from qms.timeutil import utcnow

log = logging.getLogger(__name__)

#: A run delayed by less than this still happens (once); a longer delay is left to the catch-up.
MISFIRE_GRACE_SECONDS = 4 * 3600
CATCH_UP_JOB_ID = "catch-up"

#: The application the scheduled callables run in (set by ``build_scheduler``; APScheduler stores
#: jobs by the textual reference of their function, so the app cannot travel with them).
_app: Flask | None = None


def run_scheduled(name: str) -> str:
    """What APScheduler calls: run job *name* for today's key in an app context."""
    with _application().app_context():
        try:
            return runner.run_job(name)[1]
        except runner.JobFailed as failure:
            return str(failure)  # recorded in the ledger and logged; retried by the next catch-up


def _application() -> Flask:
    if _app is None:
        from qms import create_app

        return create_app()
    return _app


def last_due(schedule: registry.Daily, daily_at: str, now_local: datetime) -> datetime:
    """The latest time at or before *now_local* at which a job on *schedule* was due."""
    hour, minute = schedule.time_of_day(daily_at)
    due = now_local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return due if due <= now_local else due - timedelta(days=1)


def catch_up(app: Flask, now: datetime | None = None) -> list[tuple[str, str]]:
    """Run, in registry order, each job whose last due run is not done; return (name, outcome) pairs."""
    outcomes = []
    with app.app_context():
        now = now or utcnow()
        zone = ZoneInfo(app.config["TIMEZONE"])
        for name, spec in registry.JOBS.items():
            key = runner.default_run_key(last_due(spec.schedule, app.config["SCHEDULER_DAILY_AT"],
                                                  now.astimezone(zone)))
            if runner.is_done(name, key):
                continue
            try:
                outcomes.append((name, runner.run_job(name, now=now, run_key=key)[1]))
            except runner.JobFailed as failure:
                outcomes.append((name, str(failure)))
    return outcomes


def build_scheduler(app: Flask, scheduler_class: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    """A scheduler with one daily cron job per registered job and the start-up catch-up (not started)."""
    global _app
    _app = app
    zone = ZoneInfo(app.config["TIMEZONE"])
    with app.app_context():
        engine = db.engine
    scheduler = scheduler_class(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=APSCHEDULER_TABLE),
                   "memory": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=1)},  # one job at a time
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        timezone=zone,
    )
    for name, spec in registry.JOBS.items():
        hour, minute = spec.schedule.time_of_day(app.config["SCHEDULER_DAILY_AT"])
        scheduler.add_job(f"{__name__}:run_scheduled", CronTrigger(hour=hour, minute=minute, timezone=zone),
                          args=[name], id=name, name=name, replace_existing=True)
    scheduler.add_job(catch_up, "date", run_date=datetime.now(zone), args=[app], id=CATCH_UP_JOB_ID,
                      name="catch up on missed runs", jobstore="memory", misfire_grace_time=None)
    scheduler.add_listener(lambda event: _forget_unregistered_jobs(scheduler), EVENT_SCHEDULER_STARTED)
    return scheduler


def _forget_unregistered_jobs(scheduler: BaseScheduler) -> None:
    """A job taken out of the registry must not keep running from the database."""
    for job in scheduler.get_jobs(jobstore="default"):
        if job.id not in registry.JOBS:
            log.info("removing job %s: no longer in the registry", job.id)
            job.remove()


def serve(app: Flask) -> None:
    """Run the scheduler until SIGTERM or SIGINT; a running job is allowed to finish first."""
    scheduler = build_scheduler(app)
    stopping = []

    def stop(signum, _frame):
        if stopping or not scheduler.running:
            return
        stopping.append(signum)
        log.info("signal %s: stopping the scheduler after the running job", signal.Signals(signum).name)
        scheduler.shutdown(wait=True)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    log.info("scheduler starting: %s", ", ".join(registry.JOBS))
    try:
        scheduler.start()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    log.info("scheduler stopped")
