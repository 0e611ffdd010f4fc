"""The ``qms`` command line: a Flask CLI group (run, db upgrade, seed, create-user, audit-log verify, ...)."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from qms.audit import log as audit
from qms.extensions import db


def _create_app_for_cli():
    from qms import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app_for_cli, load_dotenv=False, set_debug_flag=False)
def main():
    """Quản lý chất lượng TCVN ISO 9001:2008: the QMS application's command line."""


@click.command("seed")
@click.option("--demo", is_flag=True, help="Load the demo agency (Sở TT&TT tỉnh Gia Lai) with its users.")
@with_appcontext
def seed_command(demo: bool):
    """Load seed data. Idempotent: running it twice changes nothing the second time."""
    from qms.seeding import load_demo

    if not demo:
        raise click.UsageError("Say what to load: --demo")
    with audit.acting_as(audit.Actor.system("cli:seed")):
        report = load_demo()
        db.session.commit()
    click.echo(f"Demo data: {report.created} created, {report.unchanged} already present.")
    click.echo("Demo sign-ins (username / password):")
    for username, password, roles in report.logins:
        click.echo(f"  {username:<14} {password:<18} {roles}")


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              help="Role value, repeatable: admin, iso_secretary, director, unit_head, specialist, "
                   "one_stop_officer, internal_auditor, external_auditor.")
@click.option("--unit", "unit_code", default=None, help="Unit code.")
@click.option("--position", "position_code", default=None, help="Position code.")
@click.option("--email", default="")
@click.option("--expires-on", type=click.DateTime(formats=["%d/%m/%Y", "%Y-%m-%d"]), default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_user_command(username, full_name, roles, unit_code, position_code, email, expires_on, password):
    """Open an account from the command line (for the first administrator)."""
    from sqlalchemy import select

    from qms.errors import DomainError
    from qms.org.models import Position, Unit
    from qms.permissions import SYSTEM_ACTOR
    from qms.users.services import create_user

    values = {"username": username, "full_name": full_name, "email": email,
              "expires_on": expires_on.date() if expires_on else None}
    if unit_code:
        values["unit_id"] = db.session.scalar(select(Unit.id).where(Unit.code == unit_code))
        if values["unit_id"] is None:
            raise click.BadParameter(f"no unit with code {unit_code}", param_hint="--unit")
    if position_code:
        values["position_id"] = db.session.scalar(select(Position.id).where(Position.code == position_code))
        if values["position_id"] is None:
            raise click.BadParameter(f"no position with code {position_code}", param_hint="--position")
    with audit.acting_as(audit.Actor.system("cli:create-user")):
        try:
            user, _password = create_user(values, roles, actor=SYSTEM_ACTOR, password=password)
        except (DomainError, ValueError) as error:
            db.session.rollback()
            raise click.ClickException(getattr(error, "message", str(error))) from error
        db.session.commit()
    click.echo(f"Created {user.username} ({', '.join(sorted(user.role_set))}).")


@click.group("audit-log")
def audit_log_group():
    """The audit log (nhật ký hệ thống)."""


@audit_log_group.command("verify")
@with_appcontext
def verify_command():
    """Walk the hash chain; exit 1 naming the first entry that was altered, inserted or removed."""
    result = audit.verify_chain(db.session)
    if result.ok:
        click.echo(f"OK: {result.checked} entries, chain intact. Head hash: {result.head_hash}")
        return
    click.echo(f"TAMPERED ({result.kind}): {result.message}", err=True)
    click.echo(f"{result.checked} entries verified before the problem.", err=True)
    sys.exit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(audit_log_group)
    from qms.scheduler import commands as scheduler_commands

    scheduler_commands.init_cli(app)
