"""Language and time zone of each request: Vietnamese by default, English complete."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_login import current_user

LANGUAGE_COOKIE = "qms_lang"


def select_locale() -> str:
    """The signed-in user's choice, else the language cookie, else the agency default (vi); the ingest API
    also honours Accept-Language.

    Outside a request (CLI, jobs) the agency default applies.
    """
    languages = current_app.config["LANGUAGES"]
    if has_request_context():
        user_choice = getattr(current_user, "locale", None) if current_user.is_authenticated else None
        for candidate in (user_choice, request.cookies.get(LANGUAGE_COOKIE)):
            if candidate in languages:
                return candidate
        if request.path.startswith("/api/"):  # a client system chooses with Accept-Language (browsers never do)
            return request.accept_languages.best_match(languages) or current_app.config["DEFAULT_LOCALE"]
    return current_app.config["DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]
