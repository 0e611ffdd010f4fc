"""Configuration classes for the QMS application.

Every setting can be overridden from the environment with the ``QMS_`` prefix
(``QMS_DATABASE_URL``, ``QMS_SECRET_KEY``, ``QMS_LOGIN_MAX_ATTEMPTS``, ...). Values
from the environment are parsed as JSON when they look like JSON (numbers,
booleans, lists), so ``QMS_LOGIN_MAX_ATTEMPTS=3`` gives the integer 3.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("QMS_INSTANCE_PATH", PROJECT_ROOT / "instance"))

#: The placeholder secret that only development and testing may use.
DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"


class Config:
    """Settings shared by every environment; safe defaults for a local demo."""

    ENV_NAME = "base"
    SECRET_KEY = DEFAULT_SECRET_KEY
    DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'qms.db'}"

    # Agency time zone: timestamps are stored in UTC and shown in this zone.
    TIMEZONE = "Asia/Ho_Chi_Minh"
    DEFAULT_LOCALE = "vi"
    LANGUAGES = ["vi", "en"]

    # Authentication.
    LOGIN_MAX_ATTEMPTS = 5
    LOGIN_LOCK_MINUTES = 15
    PASSWORD_MIN_LENGTH = 10
    REMEMBER_DAYS = 14
    SESSION_HOURS = 8

    # Cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a wall-clock limit

    # Uploads: refused above this size without reading the body; stored under their SHA-256.
    MAX_UPLOAD_MB = 50
    FILE_STORE = str(INSTANCE_DIR / "files")

    # Controlled documents.
    # The domain packages built on the kernel, loaded by name (the kernel imports none of them).
    DOMAIN_PACKAGES = ["processes", "audits", "nonconformities"]

    DOCUMENT_REVIEW_MONTHS = 12  # default periodic review interval
    ACKNOWLEDGE_WORKING_DAYS = 5  # time to "read and confirm" an effective revision
    EXTERNAL_UPDATE_MONTHS = 3  # QĐ 19/2014 Art. 4.4a: legal changes enter the QMS within three months

    # Notifications by e-mail (off unless SMTP_HOST is set).
    SMTP_HOST = ""
    SMTP_PORT = 587
    SMTP_USERNAME = ""
    SMTP_PASSWORD = ""
    SMTP_STARTTLS = True
    MAIL_FROM = "qms@localhost"
    PUBLIC_URL = ""  # the site's address for links in e-mails, e.g. https://iso.stttt.gialai.gov.vn
    # Scheduler: jobs run at this local time each day.
    SCHEDULER_DAILY_AT = "06:30"

    # Internal audits (clause 8.2.2).
    AUDIT_LEAD_MIN_AUDITS = 2  # a lead auditor has led or joined at least this many reported audits
    AUDIT_REMINDER_DAYS = 7  # the team and auditees are reminded this many days before an audit
    AUDIT_REPORT_DUE_DAYS = 10  # an audit's report is overdue this many days after its planned end

    PAGE_SIZE = 25
    # Argon2id cost; tests lower it to stay fast.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 2

    SQLALCHEMY_ECHO = False


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    DATABASE_URL = "sqlite://"
    FILE_STORE = ""  # tests give each app its own temporary folder
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8192
    ARGON2_PARALLELISM = 1


class ProductionConfig(Config):
    ENV_NAME = "production"
    SECRET_KEY = None
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def _parse_env_value(raw: str):
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load_config(name: str | None = None) -> dict:
    """Return the settings of environment *name* (or ``QMS_ENV``) with ``QMS_*`` overrides applied."""
    name = name or os.environ.get("QMS_ENV", "development")
    try:
        cls = CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown QMS_ENV {name!r}; expected one of {sorted(CONFIGS)}") from None
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
    for key, raw in os.environ.items():
        if key.startswith("QMS_") and key not in ("QMS_ENV", "QMS_INSTANCE_PATH"):
            settings[key[4:]] = _parse_env_value(raw)
    settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(settings["DATABASE_URL"])
    settings["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(settings["SESSION_HOURS"]))
    settings["REMEMBER_COOKIE_DURATION"] = timedelta(days=float(settings["REMEMBER_DAYS"]))
    settings["MAX_CONTENT_LENGTH"] = int(float(settings["MAX_UPLOAD_MB"]) * 1024 * 1024)
    settings["BABEL_DEFAULT_LOCALE"] = settings["DEFAULT_LOCALE"]
    settings["BABEL_DEFAULT_TIMEZONE"] = settings["TIMEZONE"]
    return settings


def normalise_database_url(url: str) -> str:
    """Route ``postgres://`` and ``postgresql://`` URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
