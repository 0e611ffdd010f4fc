"""Commands of the ``qms`` CLI for jobs: ``qms jobs``, ``qms run-job NAME``, ``qms scheduler``."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from qms.scheduler import registry, runner
from qms.timeutil import agency_zone, format_datetime


def _parse_now(text: str | None) -> datetime | None:
    """An ISO date-time; without an offset it is read as the agency's local time."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO date-time (2026-11-22T06:30)", param_hint="--now") \
            from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=agency_zone())
    return value.astimezone(timezone.utc)


@click.command("run-job")
@click.argument("name")
@click.option("--now", "now_text", default=None, help="Run as if it were this time (ISO; local time by default).")
@click.option("--force", is_flag=True, help="Run even if today's run is done (recorded under a key of its own).")
@with_appcontext
def run_job_command(name: str, now_text: str | None, force: bool):
    """Run one job now, once per day unless --force; exit 1 if it is unknown or fails."""
    now = _parse_now(now_text)
    try:
        ran, summary = runner.run_job(name, now=now, force=force)
    except registry.UnknownJob as error:
        raise click.ClickException(str(error)) from error
    except runner.JobFailed as failure:
        raise click.ClickException(str(failure)) from failure
    click.echo(f"{name}: {summary}" if ran else summary)


@click.command("jobs")
@with_appcontext
def jobs_command():
    """List the registered jobs, when they run and how their last run went."""
    daily_at = current_app.config["SCHEDULER_DAILY_AT"]
    last = runner.last_runs()
    for name, spec in registry.JOBS.items():
        hour, minute = spec.schedule.time_of_day(daily_at)
        click.echo(f"{name}  [{hour:02d}:{minute:02d} daily]  {spec.target}")
        run = last.get(name)
        if run is None:
            click.echo("    never run")
            continue
        first_line = (run.result or "").splitlines()[0] if run.result else ""
        click.echo(f"    last run {run.run_key}: {run.status}, started {format_datetime(run.started_at)}"
                   f"{', finished ' + format_datetime(run.finished_at) if run.finished_at else ''}"
                   f"{' - ' + first_line if first_line else ''}")


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the job scheduler in the foreground (its own process; stop it with SIGTERM)."""
    from qms.scheduler import daemon

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    daemon.serve(current_app._get_current_object())


def init_cli(app: Flask) -> None:
    app.cli.add_command(run_job_command)
    app.cli.add_command(jobs_command)
    app.cli.add_command(scheduler_command)
