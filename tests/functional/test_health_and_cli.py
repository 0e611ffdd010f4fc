"""Health check, demo seed and the CLI (issue 2)."""

from sqlalchemy import func, select

from qms.audit.models import AuditEntry
from qms.extensions import db
from qms.users.models import User


def test_healthz_needs_no_login_and_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database():
    from qms import create_app

    app = create_app("testing", DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_demo_seed_is_idempotent_and_covers_every_role(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "--demo"])
    assert first.exit_code == 0, first.output
    assert "huong.nt" in first.output and "GiaLai@2026demo" in first.output
    with app.app_context():
        users = db.session.scalars(select(User)).all()
        entries = db.session.scalar(select(func.count(AuditEntry.id)))
        roles = set().union(*(u.role_set for u in users))
    assert len(users) >= 12
    from qms.permissions import Role

    assert roles == set(Role)
    second = runner.invoke(args=["seed", "--demo"])
    assert "0 created" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) == entries
    assert runner.invoke(args=["audit-log", "verify"]).exit_code == 0


def test_create_user_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "--username", "quantri", "--full-name", "Trần Quốc Bảo",
                                 "--role", "admin", "--password", "Mat-khau-2026"])
    assert result.exit_code == 0, result.output
    weak = runner.invoke(args=["create-user", "--username", "khac", "--full-name", "Khác",
                               "--role", "admin", "--password", "123"])
    assert weak.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_audit_log_export_is_a_real_workbook_with_safe_cells(app, auth, make_user):
    from io import BytesIO

    from openpyxl import load_workbook

    make_user("admin", username="quantri", full_name="=cmd|'/c calc'!A1")
    auth.login("quantri")
    response = auth.client.get("/audit-log/export.xlsx?action=user")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert any(isinstance(v, str) and "user.roles_changed" in v for v in values)
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"formula in {cell.coordinate}: {cell.value}"
