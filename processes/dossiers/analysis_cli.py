"""``qms step-stats`` and ``qms analysis-refresh``: the per-step aggregates of the dashboard on the command line.

``qms step-stats --from DATE --to DATE [--procedure CODE] --format json|xlsx [--out FILE]`` refreshes
the rollups (cheap when nothing changed), then prints (or writes) the figures of the dashboard's step
table. ``qms analysis-refresh [--full]`` is what an import calls after it has written new step runs.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from qms.extensions import db
from qms.timeutil import parse_local_date


def _date(value: str, name: str):
    try:
        return parse_local_date(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: give a date as yyyy-mm-dd or dd/mm/yyyy", param_hint=name) from None


@click.command("step-stats")
@click.option("--from", "date_from", required=True, help="First day of the period (yyyy-mm-dd or dd/mm/yyyy).")
@click.option("--to", "date_to", required=True, help="Last day of the period, included.")
@click.option("--procedure", "procedure_code", default="", help="Only this procedure (TTHC code, e.g. 1.004470).")
@click.option("--format", "output_format", type=click.Choice(["json", "xlsx"]), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file instead of the standard output.")
@click.option("--timing", is_flag=True, help="Report on the standard error how long the figures took.")
@with_appcontext
def step_stats_command(date_from: str, date_to: str, procedure_code: str, output_format: str, out: Path | None,
                       timing: bool):
    """Print the per-step aggregates of a period: count, early / on time / late, mean, median, p90, allotment."""
    from processes.dossiers.analysis import Filters, step_stats
    from processes.dossiers.analysis_exports import step_stats_document, step_stats_xlsx
    from processes.dossiers.rollups import refresh_rollups
    from processes.models import AdministrativeProcedure

    started = time.perf_counter()
    first, last = _date(date_from, "--from"), _date(date_to, "--to")
    if last < first:
        raise click.BadParameter("the period ends before it starts", param_hint="--to")
    procedure_id = None
    if procedure_code:
        procedure_id = db.session.scalar(select(AdministrativeProcedure.id)
                                         .where(AdministrativeProcedure.code == procedure_code.strip()))
        if procedure_id is None:
            raise click.BadParameter(f"no procedure {procedure_code} in the catalogue", param_hint="--procedure")
    refresh_rollups()
    db.session.commit()
    refreshed = time.perf_counter()
    filters = Filters(first, last, procedure_id=procedure_id)
    stats = step_stats(filters)
    computed = time.perf_counter()
    if output_format == "json":
        data = json.dumps(step_stats_document(stats, filters), ensure_ascii=False, indent=2)
        if out is not None:
            out.write_text(data + "\n", encoding="utf-8")
        else:
            click.echo(data)
    else:
        content = step_stats_xlsx(stats, filters)
        if out is not None:
            out.write_bytes(content)
        else:
            sys.stdout.buffer.write(content)
    if timing:
        click.echo(f"refresh check {refreshed - started:.3f} s, aggregates {computed - refreshed:.3f} s, "
                   f"total {time.perf_counter() - started:.3f} s, {sum(s.count for s in stats)} step runs, "
                   f"{len(stats)} steps", err=True)


@click.command("analysis-refresh")
@click.option("--full", is_flag=True, help="Rebuild every rollup instead of reading what changed.")
@with_appcontext
def refresh_command(full: bool):
    """Bring the rollups of the timeliness analysis up to date (after an import, or --full after a deletion)."""
    from processes.dossiers.rollups import refresh_rollups

    started = time.perf_counter()
    report = refresh_rollups(full=full)
    db.session.commit()
    click.echo(f"{report.step_blocks} step blocks, {report.dossier_blocks} dossier blocks written "
               f"in {time.perf_counter() - started:.2f} s{' (full rebuild)' if report.full else ''}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(step_stats_command)
    app.cli.add_command(refresh_command)
