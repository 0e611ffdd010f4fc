"""Shared fixtures: one migrated database per run (SQLite file, or PostgreSQL from
QMS_TEST_DATABASE_URL), emptied after every test; an ``app`` without a held context;
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


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("QMS_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database migrated to the head revision once per test run."""
    from flask_migrate import upgrade

    url = _database_url(tmp_path_factory)
    app = create_app("testing", DATABASE_URL=url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:  # a throw-away database: start from nothing
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    return url


def _empty_database() -> None:
    tables = [t for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
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
