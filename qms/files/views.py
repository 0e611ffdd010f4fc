"""Web pages: Serving stored files to those allowed to see them."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("files", __name__, url_prefix="/files")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
