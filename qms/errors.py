"""Domain errors raised by services and mapped to responses by views, and the HTTP error pages."""

from __future__ import annotations

from flask import jsonify, render_template, request


class DomainError(Exception):
    """A rule of the domain refused an operation; the message is translated and shown to the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Forbidden(DomainError):
    """The actor may not do this (segregation of duties, role, read-only account)."""


class Conflict(DomainError):
    """The operation clashes with existing data (duplicate code, wrong state)."""


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_pages(app) -> None:
    """403, 404, 405, 413 and 500 pages in the user's language (JSON under /api/)."""

    def page(code: int):
        def handler(error):
            if _wants_json():
                return jsonify(error=code, message=getattr(error, "description", "")), code
            return render_template(f"errors/{code}.html", error=error), code

        return handler

    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, page(code))
