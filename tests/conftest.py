"""Shared fixtures: one migrated database per run and pytest-xdist worker (a SQLite file, or on the
PostgreSQL server of QMS_TEST_DATABASE_URL), emptied after every test; an ``app`` without a held context;
factories and an ``auth`` helper for signing in through the real login form."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from qms import create_app
from qms.audit.models import GENESIS_HASH
from qms.extensions import db

DEMO_PASSWORD = "Test-password-2026"


def _worker_database(url: str, worker: str):
    """A PostgreSQL database of its own for one pytest-xdist worker: ``<name>_<worker>``, created
    (anew) on the same server; returns its URL and a function that drops it."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def run(sql: str) -> None:
        with admin.connect() as conn:
            conn.execute(text(sql))

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database migrated to the head revision once per test run (once per worker under
    pytest-xdist: each worker has its own SQLite file, or its own PostgreSQL database)."""
    from flask_migrate import upgrade

    url = os.environ.get("QMS_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    drop = None
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    elif worker and url.startswith("postgresql"):
        url, drop = _worker_database(url, worker)
    app = create_app("testing", DATABASE_URL=url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:  # a throw-away database: start from nothing
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    yield url
    if drop:
        drop()


def _empty_database() -> None:
    tables = [t for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        # Only the tables a test filled: TRUNCATE gives a table new files and syncs each of its indexes to
        # disk, a fifth of a second a test for all of them. Every sequence starts again at 1, as after a new schema.
        probe = " UNION ALL ".join(f"SELECT {i} WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
                                   for i, t in enumerate(tables))
        filled = [tables[i].name for i in db.session.execute(text(probe)).scalars()]
        if filled:
            names = ", ".join(f'"{name}"' for name in filled)
            db.session.execute(text(f"TRUNCATE {names} CASCADE"))
        db.session.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c "
                                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                "WHERE c.relkind = 'S' AND n.nspname = current_schema()"))
    else:
        # revisions and change_requests reference each other: no delete order satisfies both keys
        db.session.execute(text("PRAGMA defer_foreign_keys = ON"))
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.execute(text("INSERT INTO audit_chain_heads (id, last_seq, last_hash) VALUES (1, 0, :h)"),
                       {"h": GENESIS_HASH})
    db.session.commit()


@pytest.fixture
def app(database_url, tmp_path):
    """The application on the test database; every table is emptied after the test."""
    app = create_app("testing", DATABASE_URL=database_url, SERVER_NAME="localhost",
                     FILE_STORE=str(tmp_path / "files"))
    yield app
    with app.app_context():
        db.session.rollback()
        _empty_database()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    """An application context for service-level tests (not for HTTP tests: it would leak the user)."""
    with app.app_context():
        yield app


class AuthActions:
    """Sign in through the real form, CSRF token included."""

    def __init__(self, client):
        self.client = client

    def csrf_token(self, url: str = "/login") -> str:
        page = self.client.get(url).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    def login(self, username: str, password: str = DEMO_PASSWORD, remember: bool = False):
        data = {"username": username, "password": password, "csrf_token": self.csrf_token("/login")}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data)

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf_token("/")})

    def post(self, url: str, data: dict | None = None, page: str = "/", **kwargs):
        """POST with a valid CSRF token taken from *page*."""
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf_token(page))
        return self.client.post(url, data=payload, **kwargs)


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def make_user(app):
    """Create a user with the given roles (and the shared test password); returns its id."""
    from qms.audit import log as audit
    from qms.permissions import SYSTEM_ACTOR
    from qms.users.services import create_user

    counter = {"n": 0}

    def factory(*roles, username=None, password=DEMO_PASSWORD, **values):
        counter["n"] += 1
        username = username or f"user{counter['n']}"
        values.setdefault("full_name", f"Người dùng {counter['n']}")
        with app.app_context(), audit.acting_as(audit.Actor.system("test")):
            user, _pw = create_user({"username": username, **values}, roles or ("specialist",),
                                    actor=SYSTEM_ACTOR, password=password)
            db.session.commit()
            return user.id

    return factory


@pytest.fixture
def one_day():
    return timedelta(days=1)
