"""Database engine set-up: SQLite with WAL and foreign keys, PostgreSQL through psycopg 3."""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False


def configure_engine_options(app: Flask) -> None:
    """Engine options per backend; SQLite waits for a busy writer instead of failing at once."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
    else:
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _ensure_sqlite_directory(dialect, conn_rec, cargs, cparams):
    if dialect.name != "sqlite" or not cargs:
        return None
    path = str(cargs[0])
    if path and path != ":memory:" and not path.startswith("file:"):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return None


def _sqlite_pragmas(dbapi_connection, connection_record):
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode")
    if cursor.fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def install_sqlite_pragmas(app: Flask) -> None:
    """Switch on foreign keys and WAL on every SQLite connection; create the instance folder."""
    global _installed
    if _installed:
        return
    event.listen(Engine, "do_connect", _ensure_sqlite_directory)
    event.listen(Engine, "connect", _sqlite_pragmas)
    _installed = True
