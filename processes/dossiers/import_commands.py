"""``qms import-dossiers FILE [--mapping NAME] [--as USERNAME] [--dry-run]``: the import page's work from a shell.

The file is read where it lies (hashed, checked by content), mapped by the saved mapping named or the
one whose columns it has; with ``--mapping NAME`` naming no saved mapping, the columns recognised
from the headers are saved under that name. The run is the page's (``import_jobs.execute_import``):
one transaction, all or nothing, a progress line on stderr; exit 1 when the file is refused.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from qms.extensions import db


def _user(username: str | None):
    from processes.dossiers.importing import can_import_dossiers
    from qms.users.models import User

    if not username:
        return None
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        raise click.BadParameter(f"no active user {username}", param_hint="--as")
    if not can_import_dossiers(user):
        raise click.BadParameter(f"{username} may not import dossier records", param_hint="--as")
    return user


def _bar(data: dict) -> None:
    percent = data.get("percent", 0)
    filled = int(percent // 5)
    rows = data.get("rows_read") or 0
    click.echo(f"\r[{'#' * filled}{'.' * (20 - filled)}] {percent:5.1f}%  {data.get('phase', '')}: {rows} rows, "
               f"{data.get('dossiers', 0)} dossiers   ", nl=False, err=True)


@click.command("import-dossiers")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", "mapping_name", help="The saved column mapping to use (or to save, when none has this name).")
@click.option("--as", "username", help="The user the import acts for (a one-stop officer or the ISO secretary).")
@click.option("--dry-run", is_flag=True, help="Check the file and report what would change; write nothing.")
@with_appcontext
def import_command(path: Path, mapping_name: str | None, username: str | None, dry_run: bool):
    """Import a .csv or .xlsx export of dossier records from a one-stop system, all or nothing."""
    from processes.dossiers import importing
    from processes.dossiers.import_jobs import execute_import
    from processes.dossiers.import_models import ColumnMapping, ImportStatus
    from processes.dossiers.importing_mapping import suggest
    from processes.dossiers.importing_readers import ImportFileRefused
    from qms.errors import DomainError

    user = _user(username)
    started = time.perf_counter()
    try:
        batch = importing.register_file(path, actor=user, dry_run=dry_run)
        for earlier in importing.earlier_imports(batch):
            click.echo(f"Note: the same file (SHA-256 {batch.sha256[:12]}…) was already imported on "
                       f"{earlier.finished_at:%d/%m/%Y %H:%M} (import {earlier.id}); the data decide what is new.",
                       err=True)
        if mapping_name:
            mapping = db.session.scalar(select(ColumnMapping).where(ColumnMapping.name == mapping_name))
            if mapping is not None:
                importing.use_mapping(batch, mapping, actor=user)
            elif batch.status == ImportStatus.MAPPING:
                importing.save_mapping(batch, suggest(batch.headers), name=mapping_name, actor=user)
                click.echo(f"Mapping {mapping_name} saved from the headers.", err=True)
            else:
                raise click.ClickException(f"no saved mapping {mapping_name}")
        if batch.status == ImportStatus.MAPPING:
            proposal = suggest(batch.headers)
            click.echo(f"No saved mapping fits the columns of {path.name}: {', '.join(batch.headers)}", err=True)
            click.echo(f"Recognised ({proposal.layout}): {proposal.as_json()}", err=True)
            click.echo("Give --mapping NAME to save them under NAME and import, or map them on the import page.",
                       err=True)
            db.session.rollback()
            sys.exit(2)
        db.session.commit()
    except ImportFileRefused as error:
        raise click.ClickException(error.message) from error
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    batch = execute_import(batch.id, path=path, echo=_bar)
    click.echo("", err=True)
    seconds = time.perf_counter() - started
    click.echo(f"{path.name}: {importing.summary(batch)} ({batch.events_read} events, {seconds:.1f} s)")
    if batch.status != ImportStatus.DONE:
        for where, column, value, rule in batch.errors:
            click.echo(f"{where} [{column}] '{value}': {rule}", err=True)
        sys.exit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(import_command)
