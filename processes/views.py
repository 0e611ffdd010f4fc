"""Pages of the TTHC catalogue and the process maps (placeholder: filled by the views work)."""

from __future__ import annotations

from flask import Blueprint, Flask

from qms.permissions import Permission
from qms.ui import NavItem, add_nav

bp = Blueprint("processes", __name__, url_prefix="/procedures")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
