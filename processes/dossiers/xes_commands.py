"""Commands of the ``qms`` CLI for dossier event logs: ``qms import-xes FILE [--procedure CODE] [--as USERNAME]``
and ``qms export-dossiers --format xes|csv --out FILE [--procedure CODE] [--from DATE --to DATE]``.

The same operations as the import and export pages (``xes.import_xes``, ``xes_export``): an import is
all or nothing and exits 1 with every error; an export streams to the file (gzip when it ends in .gz).
"""

from __future__ import annotations

import gzip
import sys
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from processes.dossiers import recorded
from qms.audit import log as audit
from qms.extensions import db
from qms.timeutil import parse_local_date, utcnow


def _actor(username: str | None, command: str) -> audit.Actor:
    if not username:
        return audit.Actor.system(f"cli:{command}")
    from qms.permissions import Permission, has_permission
    from qms.users.models import User

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        raise click.BadParameter(f"no active user {username}", param_hint="--as")
    if not has_permission(user, Permission.DOSSIERS_IMPORT):
        raise click.BadParameter(f"{username} may not import dossier records", param_hint="--as")
    return audit.Actor(user.id, f"{user.username} ({user.full_name}) cli:{command}")


@click.command("import-xes")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--procedure", "procedure_code", default="",
              help="Match the activities to the steps of this procedure (by code or name); "
                   "default: an observed process named after the log.")
@click.option("--prefix", default=None,
              help="Put this before each trace name to make the dossier code (default: the file's name and '-').")
@click.option("--as", "username", default=None, help="The user the import acts for (default: the system).")
@with_appcontext
def import_xes_command(path: Path, procedure_code: str, prefix: str | None, username: str | None):
    """Import an XES event log (.xes or .xes.gz) into dossier records, all or nothing; exit 1 on any error."""
    from processes.dossiers.followups import records_committed
    from processes.dossiers.ingest import IngestRefused
    from processes.dossiers.xes import XesOptions, import_xes, report_lines

    actor = _actor(username, "import-xes")
    options = XesOptions(log_name=path.name, procedure_code=procedure_code.strip(), code_prefix=prefix)
    mark = recorded.take_mark()
    with audit.acting_as(actor):
        try:
            report = import_xes(path, options, actor_name=actor.name, now=utcnow())
        except IngestRefused as refused:
            db.session.rollback()
            for error in refused.report.errors:
                click.echo(str(error), err=True)
            click.echo(f"{path.name}: refused, {len(refused.report.errors)} errors; nothing was written.", err=True)
            sys.exit(1)
        db.session.commit()
        records_committed(mark)  # after the commit: what follows never refuses the records
    for line in report_lines(report):
        click.echo(line)


def _date(value: str | None, name: str):
    if not value:
        return None
    try:
        return parse_local_date(value)
    except ValueError:
        raise click.BadParameter(f"not a date: {value} (dd/mm/yyyy or yyyy-mm-dd)", param_hint=name) from None


@click.command("export-dossiers")
@click.option("--format", "fmt", type=click.Choice(["xes", "csv"]), required=True)
@click.option("--out", "path", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="The file to write; gzip-compressed when its name ends in .gz.")
@click.option("--procedure", "procedure_code", default="", help="Only the dossiers of this procedure.")
@click.option("--activity-set", default="", help="Only the dossiers of this observed process (imported log).")
@click.option("--from", "received_from", default=None, help="Received on or after this date.")
@click.option("--to", "received_to", default=None, help="Received on or before this date.")
@with_appcontext
def export_dossiers_command(fmt: str, path: Path, procedure_code: str, activity_set: str, received_from, received_to):
    """Write the dossiers' event logs as XES or CSV for process-mining tools (streamed: any size)."""
    from processes.dossiers.xes_export import ExportFilter, csv_document, xes_document

    selection = ExportFilter(procedure_code=procedure_code.strip(), activity_set=activity_set.strip(),
                             received_from=_date(received_from, "--from"), received_to=_date(received_to, "--to"))
    started = time.perf_counter()
    pieces = xes_document(selection) if fmt == "xes" else csv_document(selection)
    opener = gzip.open if path.name.endswith(".gz") else open
    size = 0
    with opener(path, "wt", encoding="utf-8", newline="") as out:
        for piece in pieces:
            out.write(piece)
            size += len(piece)
    with audit.acting_as(audit.Actor.system("cli:export-dossiers")):
        audit.record(db.session, "dossiers.exported", object_type="dossiers",
                     summary=f"{fmt} → {path.name} ({_describe(selection)})")
        db.session.commit()
    click.echo(f"{path}: {size:,} characters of {fmt.upper()} in {time.perf_counter() - started:.1f} s.")


def _describe(selection) -> str:
    parts = [selection.procedure_code or selection.activity_set or "all"]
    if selection.received_from or selection.received_to:
        parts.append(f"{selection.received_from or '…'} – {selection.received_to or '…'}")
    return ", ".join(parts)


def init_app(app: Flask) -> None:
    app.cli.add_command(import_xes_command)
    app.cli.add_command(export_dossiers_command)
