"""Commands of the ``qms`` CLI for the TTHC catalogue: ``qms export-process-maps FILE`` and
``qms import-process-maps FILE --as USERNAME [--dry-run]``, the same operations as the import page.

An import drafts process versions, and a draft has a drafter who answers for it in the document
workflow: so the command acts for a named user who may import (the ISO secretary), not as the system.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from qms.audit import log as audit
from qms.extensions import db


@click.command("export-process-maps")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_command(path: Path):
    """Write the catalogue and the current process maps to an .xlsx workbook (the layout the import reads)."""
    from processes.models import AdministrativeProcedure
    from processes.xlsx import export_workbook

    procedures = db.session.scalars(select(AdministrativeProcedure)).all()
    path.write_bytes(export_workbook(procedures))
    with audit.acting_as(audit.Actor.system("cli:export-process-maps")):
        audit.record(db.session, "processes.exported", object_type="administrative_procedures",
                     summary=f"{len(procedures)} procedures → {path.name}")
        db.session.commit()
    click.echo(f"{path}: {len(procedures)} procedures.")


@click.command("import-process-maps")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True,
              help="The user the import acts for (an ISO secretary): the drafter of the new versions.")
@click.option("--dry-run", is_flag=True, help="Check the file and report what would change; write nothing.")
@with_appcontext
def import_command(path: Path, username: str, dry_run: bool):
    """Import an .xlsx workbook of the catalogue and process maps, all or nothing; exit 1 on any error."""
    from processes.importers import import_workbook
    from qms.errors import Forbidden
    from qms.users.models import User

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        raise click.BadParameter(f"no active user {username}", param_hint="--as")
    with audit.acting_as(audit.Actor(user.id, f"{user.username} ({user.full_name}) cli:import-process-maps")):
        try:
            report = import_workbook(path.read_bytes(), path.name, actor=user, dry_run=dry_run)
        except Forbidden as error:
            raise click.ClickException(error.message) from error
        if report.ok and not dry_run:
            db.session.commit()
        else:
            db.session.rollback()
    for line in report.lines():
        click.echo(line, err=not report.ok)
    if not report.ok:
        sys.exit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)
