"""Small helpers shared by the views of every domain."""

from __future__ import annotations

from typing import Callable

from flask import flash, redirect

from qms.errors import DomainError
from qms.extensions import db


def perform(action: Callable[[], object], *, done: str, back: str):
    """Run one service call as the request's transaction, then redirect to *back*.

    A domain error rolls everything back and is shown to the user; success commits and says *done*.
    """
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(back)
    db.session.commit()
    flash(done, "success")
    return redirect(back)
