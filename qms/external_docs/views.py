"""Web pages: The register of external documents and the three-month update flags."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("external_docs", __name__, url_prefix="/external-documents")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
