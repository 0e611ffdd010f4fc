"""Web pages: Controlled documents (ISO 9001:2008 clause 4.2.3)."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("documents", __name__, url_prefix="/documents")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
