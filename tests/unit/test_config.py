"""Configuration: environment overrides and production safety (issue 2)."""

import pytest

from config import DEFAULT_SECRET_KEY, load_config, normalise_database_url
from qms import create_app


def test_environment_overrides_with_the_qms_prefix(monkeypatch):
    monkeypatch.setenv("QMS_LOGIN_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("QMS_TIMEZONE", "Asia/Bangkok")
    monkeypatch.setenv("QMS_DATABASE_URL", "postgresql://u@h/db")
    settings = load_config("development")
    assert settings["LOGIN_MAX_ATTEMPTS"] == 3
    assert settings["TIMEZONE"] == "Asia/Bangkok"
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_default_database_is_a_sqlite_file_under_instance(monkeypatch):
    monkeypatch.delenv("QMS_DATABASE_URL", raising=False)
    assert load_config("development")["SQLALCHEMY_DATABASE_URI"].endswith("instance/qms.db")


@pytest.mark.parametrize("key", [None, DEFAULT_SECRET_KEY, "short"])
def test_production_refuses_a_default_or_missing_secret_key(monkeypatch, key):
    monkeypatch.delenv("QMS_SECRET_KEY", raising=False)
    overrides = {} if key is None else {"SECRET_KEY": key}
    with pytest.raises(RuntimeError, match="QMS_SECRET_KEY"):
        create_app("production", DATABASE_URL="sqlite://", **overrides)


def test_production_starts_with_a_real_secret_key():
    app = create_app("production", DATABASE_URL="sqlite://", SECRET_KEY="k" * 48)
    assert app.config["SESSION_COOKIE_SECURE"]


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgres://a@b/c") == "postgresql+psycopg://a@b/c"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
