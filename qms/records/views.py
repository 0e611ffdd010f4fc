"""Web pages: Quality records (ISO 9001:2008 clause 4.2.4)."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("records", __name__, url_prefix="/records")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
