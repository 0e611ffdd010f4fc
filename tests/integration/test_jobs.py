"""Jobs: the registry, the ledger of runs (once per key, failures retried), the CLI and the scheduler's
triggers and start-up catch-up. The scheduler is built, never left running in a blocking loop."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import MetaData, Table, func, inspect, select

from qms.audit.models import AuditEntry
from qms.extensions import db
from qms.scheduler import APSCHEDULER_TABLE, daemon, registry, runner
from qms.scheduler.models import JobRun
from qms.users.models import User

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CALLS: list[tuple[str, datetime]] = []


def counting_job(now: datetime) -> str:
    """A job that remembers being called and writes an audited row (to check the actor)."""
    CALLS.append(("counting", now))
    user = db.session.scalar(select(User).where(User.username == "hoa"))
    if user is not None:
        user.phone = f"call {len(CALLS)}"
    return f"call {len(CALLS)}"


def failing_job(now: datetime) -> str:
    CALLS.append(("failing", now))
    user = db.session.scalar(select(User).where(User.username == "hoa"))
    if user is not None:
        user.phone = "half-done work"
    if os.environ.get("QMS_TEST_JOB_FIXED") != "1":
        raise RuntimeError("the register of external documents is unreachable")
    return "fixed"


@pytest.fixture
def test_jobs(monkeypatch):
    """A registry of test jobs instead of the real one."""
    CALLS.clear()
    jobs = {
        "test.counting": registry.JobSpec(f"{__name__}:counting_job", registry.Daily()),
        "test.failing": registry.JobSpec(f"{__name__}:failing_job", registry.Daily()),
        "test.missing_module": registry.JobSpec("qms.no_such_domain.jobs:remind", registry.Daily()),
        "test.missing_function": registry.JobSpec(f"{__name__}:no_such_function", registry.Daily(after_minutes=15)),
    }
    monkeypatch.setattr(registry, "JOBS", jobs)
    return jobs


def _runs(name=None):
    query = select(JobRun).order_by(JobRun.id)
    if name:
        query = query.where(JobRun.job_name == name)
    return db.session.scalars(query).all()


def test_the_registry_names_the_jobs_of_every_domain():
    assert registry.JOBS["documents.effective_dates"].target == "qms.documents.jobs:apply_effective_dates"
    assert registry.JOBS["documents.acknowledgement_reminders"].target == "qms.documents.jobs:remind_acknowledgements"
    assert registry.JOBS["documents.periodic_review_reminders"].target == "qms.documents.jobs:remind_periodic_reviews"
    assert registry.JOBS["external_docs.update_flag_reminders"].target == "qms.external_docs.jobs:remind_update_flags"
    assert registry.JOBS["notifications.send_emails"].target == "qms.notifications.jobs:send_emails"
    for name, spec in registry.JOBS.items():
        assert ":" in spec.target and name.count(".") == 1
    assert registry.resolve("notifications.send_emails").__name__ == "send_emails"
    with pytest.raises(registry.UnknownJob, match="no.such"):
        registry.spec("no.such")


def test_daily_schedule_reads_the_setting():
    assert registry.Daily().time_of_day("06:30") == (6, 30)
    assert registry.Daily(after_minutes=15).time_of_day("06:50") == (7, 5)
    assert registry.Daily(after_minutes=15).time_of_day("23:50") == (0, 5)
    with pytest.raises(ValueError):
        registry.Daily().time_of_day("25:00")


def test_run_job_twice_with_the_same_key_runs_once(app, make_user, test_jobs):
    make_user(username="hoa")
    now = datetime(2026, 11, 22, 0, 30, tzinfo=timezone.utc)  # 07:30 in Hà Nội / TP HCM
    with app.app_context():
        assert runner.run_job("test.counting", now=now) == (True, "call 1")
        ran, summary = runner.run_job("test.counting", now=now + timedelta(hours=3))
        assert not ran and "already done" in summary and "call 1" in summary
        [run] = _runs()
        assert (run.job_name, run.run_key, run.status, run.result) == ("test.counting", "2026-11-22", "done", "call 1")
        assert run.finished_at >= run.started_at
        # The key is the agency's local date: 18:00 UTC is already the next day in Viet Nam.
        assert runner.run_job("test.counting", now=datetime(2026, 11, 22, 18, 0, tzinfo=timezone.utc))[0]
        assert [r.run_key for r in _runs()] == ["2026-11-22", "2026-11-23"]
    assert [call[1] for call in CALLS] == [now, datetime(2026, 11, 22, 18, 0, tzinfo=timezone.utc)]


def test_a_job_writes_its_audit_entries_as_the_system(app, make_user, test_jobs):
    make_user(username="hoa")
    with app.app_context():
        runner.run_job("test.counting")
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "users")
                                   .order_by(AuditEntry.seq.desc())).first()
        assert entry.actor_name == "job:test.counting" and entry.actor_id is None
        assert "call 1" in entry.changes


def test_a_failing_job_is_recorded_rolled_back_and_retried(app, make_user, test_jobs, monkeypatch):
    make_user(username="hoa")
    with app.app_context():
        with pytest.raises(runner.JobFailed, match="external documents is unreachable"):
            runner.run_job("test.failing", run_key="2026-11-22")
        [run] = _runs()
        assert run.status == "failed" and run.finished_at is not None
        assert run.result.startswith("RuntimeError: the register of external documents is unreachable")
        assert "Traceback" in run.result
        assert db.session.scalar(select(User.phone).where(User.username == "hoa")) == ""  # work rolled back

        monkeypatch.setenv("QMS_TEST_JOB_FIXED", "1")
        assert runner.run_job("test.failing", run_key="2026-11-22") == (True, "fixed")
        db.session.expire_all()
        [run] = _runs()  # the failed attempt was replaced, not duplicated
        assert (run.status, run.result) == ("done", "fixed")
        assert db.session.scalar(select(User.phone).where(User.username == "hoa")) == "half-done work"
        assert not runner.run_job("test.failing", run_key="2026-11-22")[0]
    assert len(CALLS) == 2


def test_a_missing_job_function_fails_only_that_job_with_a_clear_error(app, test_jobs):
    with app.app_context():
        with pytest.raises(runner.JobFailed, match="cannot import module qms.no_such_domain.jobs"):
            runner.run_job("test.missing_module")
        with pytest.raises(runner.JobFailed, match="has no function no_such_function"):
            runner.run_job("test.missing_function")
        assert runner.run_job("test.counting")[0]
        assert {r.job_name: r.status for r in _runs()} == {
            "test.missing_module": "failed", "test.missing_function": "failed", "test.counting": "done"}


def test_an_unknown_job_is_refused_before_anything_is_recorded(app):
    with app.app_context():
        with pytest.raises(registry.UnknownJob):
            runner.run_job("no.such.job")
        assert _runs() == []


def test_a_run_in_progress_is_not_started_twice_but_an_abandoned_one_is(app, test_jobs):
    with app.app_context():
        alive = JobRun(job_name="test.counting", run_key="2026-11-22", status="running",
                       started_at=datetime.now(timezone.utc), result=runner._owner_text())
        db.session.add(alive)
        db.session.commit()
        ran, summary = runner.run_job("test.counting", run_key="2026-11-22")
        assert not ran and "already running" in summary
        # A process of this host that no longer exists (the scheduler was killed): run again.
        alive.result = f"running on {runner._OWNER[0]} pid 999999999 (deadbeef)"
        db.session.commit()
        assert runner.run_job("test.counting", run_key="2026-11-22")[0]
        # Too old, wherever it ran.
        db.session.add(JobRun(job_name="test.counting", run_key="2026-11-23", status="running",
                              started_at=datetime.now(timezone.utc) - runner.STALE_AFTER - timedelta(minutes=1),
                              result="running on another-host pid 7 (abc)"))
        db.session.commit()
        assert runner.run_job("test.counting", run_key="2026-11-23")[0]
    assert len(CALLS) == 2


def test_force_runs_again_under_a_key_of_its_own(app, test_jobs):
    with app.app_context():
        runner.run_job("test.counting", run_key="2026-11-22")
        ran, _summary = runner.run_job("test.counting", run_key="2026-11-22", force=True)
        assert ran
        keys = [r.run_key for r in _runs()]
        assert keys[0] == "2026-11-22" and keys[1].startswith("2026-11-22 forced ")
        assert all(r.status == "done" for r in _runs())


# CLI ------------------------------------------------------------------------------------------------


def test_run_job_command(app, test_jobs):
    cli = app.test_cli_runner()
    first = cli.invoke(args=["run-job", "test.counting", "--now", "2026-11-22T06:30"])
    assert first.exit_code == 0, first.output
    assert "test.counting: call 1" in first.output
    assert CALLS[0][1] == datetime(2026, 11, 21, 23, 30, tzinfo=timezone.utc)  # 06:30 local time
    second = cli.invoke(args=["run-job", "test.counting", "--now", "2026-11-22T09:00+07:00"])
    assert second.exit_code == 0 and "already done" in second.output
    forced = cli.invoke(args=["run-job", "test.counting", "--force"])
    assert forced.exit_code == 0 and "call 2" in forced.output

    unknown = cli.invoke(args=["run-job", "no.such.job"])
    assert unknown.exit_code != 0 and "unknown job 'no.such.job'" in unknown.output
    failing = cli.invoke(args=["run-job", "test.failing"])
    assert failing.exit_code != 0 and "external documents is unreachable" in failing.output
    bad_time = cli.invoke(args=["run-job", "test.counting", "--now", "hôm qua"])
    assert bad_time.exit_code == 2


def test_jobs_command_lists_jobs_with_their_last_run(app, test_jobs):
    cli = app.test_cli_runner()
    cli.invoke(args=["run-job", "test.counting"])
    cli.invoke(args=["run-job", "test.failing"])
    result = cli.invoke(args=["jobs"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("test.counting  [06:30 daily]")
    assert ": done" in lines[1] and "call 1" in lines[1]
    assert ": failed" in lines[3] and "RuntimeError" in lines[3]
    assert "never run" in result.output
    assert "[06:45 daily]" in result.output  # after_minutes=15


def test_the_real_registry_runs_from_the_cli(app):
    result = app.test_cli_runner().invoke(args=["run-job", "notifications.send_emails"])
    assert result.exit_code == 0, result.output
    assert "e-mail is off" in result.output


# Scheduler ------------------------------------------------------------------------------------------


def test_the_scheduler_has_one_daily_cron_job_per_registered_job(app):
    app.config["SCHEDULER_DAILY_AT"] = "05:45"
    scheduler = daemon.build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == set(registry.JOBS) | {daemon.CATCH_UP_JOB_ID}
    for name, spec in registry.JOBS.items():
        job = jobs[name]
        assert isinstance(job.trigger, CronTrigger)
        fields = {f.name: str(f) for f in job.trigger.fields}
        hour, minute = spec.schedule.time_of_day("05:45")
        assert (fields["hour"], fields["minute"]) == (str(hour), str(minute))
        assert fields["day"] == "*" and fields["day_of_week"] == "*"
        assert str(job.trigger.timezone) == "Asia/Ho_Chi_Minh"
        assert job.func_ref == "qms.scheduler.daemon:run_scheduled" and job.args == (name,)
        assert job._jobstore_alias is None  # pending until start: nothing touched the database yet
    fields = {name: {f.name: str(f) for f in jobs[name].trigger.fields}
              for name in ("documents.effective_dates", "notifications.send_emails")}
    assert (fields["documents.effective_dates"]["hour"], fields["documents.effective_dates"]["minute"]) == ("5", "45")
    assert (fields["notifications.send_emails"]["hour"], fields["notifications.send_emails"]["minute"]) == ("6", "0")
    assert str(scheduler.timezone) == "Asia/Ho_Chi_Minh"
    assert scheduler._job_defaults["coalesce"] is True
    assert scheduler._job_defaults["max_instances"] == 1
    assert 2 * 3600 <= scheduler._job_defaults["misfire_grace_time"] <= 6 * 3600
    assert type(scheduler).__name__ == "BlockingScheduler"
    assert jobs[daemon.CATCH_UP_JOB_ID].misfire_grace_time is None


def test_the_jobs_are_stored_in_the_database_and_replaced_on_restart(app):
    for attempt in range(2):  # a restart replaces the stored jobs instead of failing on their ids
        scheduler = daemon.build_scheduler(app, scheduler_class=BackgroundScheduler)
        scheduler.start(paused=True)
        try:
            stored = scheduler.get_jobs(jobstore="default")
            assert {job.id for job in stored} == set(registry.JOBS)
            for job in stored:
                assert job.next_run_time.tzinfo is not None and job.next_run_time > datetime.now(HCM)
        finally:
            scheduler.shutdown(wait=False)
    with app.app_context():
        assert APSCHEDULER_TABLE in inspect(db.engine).get_table_names()
        table = Table(APSCHEDULER_TABLE, MetaData(), autoload_with=db.engine)  # not in our metadata
        assert db.session.scalar(select(func.count()).select_from(table)) == len(registry.JOBS)


def test_a_job_taken_out_of_the_registry_leaves_the_database(app, test_jobs, monkeypatch):
    scheduler = daemon.build_scheduler(app, scheduler_class=BackgroundScheduler)
    scheduler.start(paused=True)
    scheduler.shutdown(wait=False)
    monkeypatch.setattr(registry, "JOBS", {"test.counting": test_jobs["test.counting"]})
    scheduler = daemon.build_scheduler(app, scheduler_class=BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        assert [job.id for job in scheduler.get_jobs(jobstore="default")] == ["test.counting"]
    finally:
        scheduler.shutdown(wait=False)


def test_the_last_due_run_of_a_daily_job():
    daily = registry.Daily()
    morning = datetime(2026, 11, 22, 6, 29, tzinfo=HCM)
    assert daemon.last_due(daily, "06:30", morning) == datetime(2026, 11, 21, 6, 30, tzinfo=HCM)
    assert daemon.last_due(daily, "06:30", morning.replace(minute=30)) == datetime(2026, 11, 22, 6, 30, tzinfo=HCM)
    assert daemon.last_due(registry.Daily(15), "06:30", morning.replace(hour=7)) == \
        datetime(2026, 11, 22, 6, 45, tzinfo=HCM)


def test_catch_up_at_start_runs_what_a_stopped_scheduler_missed_once(app, test_jobs):
    test_jobs.pop("test.missing_module")
    test_jobs.pop("test.missing_function")
    # Down since yesterday morning, restarted today at 05:00 (before today's 06:30): yesterday's run is due.
    restart = datetime(2026, 11, 22, 5, 0, tzinfo=HCM).astimezone(timezone.utc)
    outcomes = daemon.catch_up(app, now=restart)
    assert [name for name, _outcome in outcomes] == ["test.counting", "test.failing"]
    assert "failed" in outcomes[1][1]
    with app.app_context():
        assert {(r.job_name, r.run_key, r.status) for r in _runs()} == {
            ("test.counting", "2026-11-21", "done"), ("test.failing", "2026-11-21", "failed")}
    # Restarted again a minute later: nothing is repeated; the failed one is retried.
    again = daemon.catch_up(app, now=restart + timedelta(minutes=1))
    assert [name for name, _outcome in again] == ["test.failing"]
    # The daily run at 06:30 does today's work under today's key.
    with app.app_context():
        assert runner.run_job("test.counting", now=restart + timedelta(hours=1, minutes=30))[0]
        assert [r.run_key for r in _runs("test.counting")] == ["2026-11-21", "2026-11-22"]
    assert [name for name, _when in CALLS] == ["counting", "failing", "failing", "counting"]


def test_what_apscheduler_calls_runs_the_job_in_an_app_context(app, test_jobs):
    daemon.build_scheduler(app)  # remembers the app for the scheduled calls
    assert daemon.run_scheduled("test.counting") == "call 1"
    assert "already done" in daemon.run_scheduled("test.counting")
    assert "failed" in daemon.run_scheduled("test.failing")  # recorded and logged, not raised


def test_the_scheduler_process_catches_up_then_stops_cleanly_on_sigterm(app, test_jobs, monkeypatch):
    import signal
    import threading
    import time

    test_jobs.pop("test.missing_module")
    test_jobs.pop("test.missing_function")
    built = []
    real_build = daemon.build_scheduler
    monkeypatch.setattr(daemon, "build_scheduler", lambda a: built.append(real_build(a)) or built[-1])
    previous_handler = signal.getsignal(signal.SIGTERM)

    def terminate_when_caught_up():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(CALLS) < 2:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate_when_caught_up, daemon=True)
    killer.start()
    daemon.serve(app)  # blocks in the main thread until SIGTERM
    killer.join(timeout=5)
    assert not built[0].running
    assert signal.getsignal(signal.SIGTERM) is previous_handler
    assert [name for name, _when in CALLS] == ["counting", "failing"]  # the catch-up, once, in registry order
    with app.app_context():
        assert {r.job_name: r.status for r in _runs()} == {"test.counting": "done", "test.failing": "failed"}
