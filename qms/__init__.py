"""QMS for Vietnamese state agencies: TCVN ISO 9001:2008 over the one-stop shop's administrative procedures.

``create_app`` builds the Flask application from ``register_*`` steps. It does no I/O
and runs no query: the database is touched only by requests, commands and jobs.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import DEFAULT_SECRET_KEY, INSTANCE_DIR, PROJECT_ROOT, load_config, normalise_database_url
from qms.extensions import babel, csrf, db, login_manager, migrate

PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def create_app(config: str | dict | None = None, **overrides) -> Flask:
    """Build the application for environment *config* (a name or a settings dict) plus *overrides*."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PACKAGE_DIR / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    settings = load_config(config) if config is None or isinstance(config, str) else dict(config)
    settings.update(overrides)
    if "SQLALCHEMY_DATABASE_URI" not in overrides:
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(settings["DATABASE_URL"])
    if "MAX_UPLOAD_MB" in overrides and "MAX_CONTENT_LENGTH" not in overrides:
        settings["MAX_CONTENT_LENGTH"] = int(float(overrides["MAX_UPLOAD_MB"]) * 1024 * 1024)
    app.config.from_mapping(settings)
    _refuse_unsafe_production(app)

    register_extensions(app)
    register_i18n(app)
    register_request_guards(app)
    register_blueprints(app)
    register_domains(app)
    register_template_helpers(app)
    register_cli(app)
    from qms.errors import register_error_pages

    register_error_pages(app)
    return app


def _refuse_unsafe_production(app: Flask) -> None:
    if app.config.get("ENV_NAME") != "production":
        return
    key = app.config.get("SECRET_KEY")
    if not key or key == DEFAULT_SECRET_KEY or len(str(key)) < 32:
        raise RuntimeError(
            "Production refuses to start: set QMS_SECRET_KEY to a random value of at least 32 characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )


def register_extensions(app: Flask) -> None:
    from qms import database, models  # noqa: F401 - every model registered before the first query
    from qms.audit.log import install_listeners

    database.configure_engine_options(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    install_listeners()
    from qms.documents import guards

    guards.install()
    database.install_sqlite_pragmas(app)


def register_i18n(app: Flask) -> None:
    from qms import i18n

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PACKAGE_DIR / "translations"))
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)


def register_request_guards(app: Flask) -> None:
    from qms.auth import guards

    guards.init_app(app)


def register_blueprints(app: Flask) -> None:
    from qms.audit import views as audit_views
    from qms.auth import views as auth_views
    from qms.calendar import views as calendar_views
    from qms.documents import views as document_views
    from qms.external_docs import views as external_views
    from qms.files import views as file_views
    from qms.home import views as home_views
    from qms.notifications import views as notification_views
    from qms.org import views as org_views
    from qms.records import views as record_views
    from qms.users import views as user_views

    for module in (home_views, auth_views, document_views, external_views, record_views, file_views,
                   notification_views, user_views, org_views, calendar_views, audit_views):
        module.init_app(app)


def register_domains(app: Flask) -> None:
    """Load the domain packages (processes, audits, nonconformities) by name: each has ``init_app(app)``."""
    import importlib

    for name in app.config["DOMAIN_PACKAGES"]:
        importlib.import_module(name).init_app(app)


def register_template_helpers(app: Flask) -> None:
    from qms import ui

    ui.init_app(app)


def register_cli(app: Flask) -> None:
    from qms import cli

    cli.init_app(app)
