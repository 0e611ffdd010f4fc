"""The schema comes from Alembic migrations only; they must agree with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from qms.extensions import db
from qms.scheduler import alembic_include_name


def test_migrations_and_models_agree(ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": alembic_include_name})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_sqlite_runs_with_foreign_keys_and_wal(ctx):
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
