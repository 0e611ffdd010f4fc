"""What every template can use: date filters, permissions, the navigation registry, the home panels.

Domains add their navigation entries with ``add_nav`` and their home-page panels with
``add_home_panel`` from their ``init_app``; parts not built yet simply do not register.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from flask import Flask, current_app, request
from flask_babel import format_decimal, get_locale
from flask_login import current_user

from qms import timeutil
from qms.permissions import Permission, Role, has_permission


@dataclass(frozen=True)
class NavItem:
    section: str  # lazy-translated section title
    label: object  # lazy-translated label
    endpoint: str
    permission: Permission | None = None
    order: int = 100


@dataclass
class HomePanel:
    """A box on the home page: what waits for this user in one part of the product."""

    title: str
    items: list = field(default_factory=list)  # (text, url or None, badge or None)
    empty_text: str = ""
    tone: str = "default"  # default | warning | danger


def add_nav(app: Flask, item: NavItem) -> None:
    app.extensions.setdefault("qms_nav", []).append(item)


def add_home_panel(app: Flask, builder: Callable) -> None:
    """*builder(user, now)* returns a HomePanel or None when it has nothing to say to this user."""
    app.extensions.setdefault("qms_home_panels", []).append(builder)


def navigation_for(user) -> list[tuple[str, list[NavItem]]]:
    items = [i for i in current_app.extensions.get("qms_nav", [])
             if i.permission is None or has_permission(user, i.permission)]
    sections: dict[str, list[NavItem]] = {}
    for item in sorted(items, key=lambda i: i.order):
        sections.setdefault(str(item.section), []).append(item)
    return list(sections.items())


def init_app(app: Flask) -> None:
    app.jinja_env.filters["date"] = timeutil.format_date
    app.jinja_env.filters["datetime"] = timeutil.format_datetime
    app.jinja_env.filters["datetime_s"] = lambda v: timeutil.format_datetime(v, seconds=True)
    app.jinja_env.filters["number"] = format_decimal  # 98.989 in Vietnamese, 98,989 in English
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def inject():
        return {
            "Permission": Permission,
            "Role": Role,
            "can": lambda permission: has_permission(current_user, permission),
            "navigation": (lambda: navigation_for(current_user)),
            "current_locale": str(get_locale() or app.config["DEFAULT_LOCALE"]),
            "languages": app.config["LANGUAGES"],
            "agency_name": _agency_name,
        }

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'",
        )
        if request.endpoint != "static" and current_user and current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _agency_name() -> str:
    from qms.org.services import current_agency

    try:
        agency = current_agency()
    except Exception:  # noqa: BLE001 - the 500 page must render even when the database is down
        return ""
    return agency.name if agency else ""
