"""Telling other domains that dossiers were recorded (ISO 9001:2008 8.2.3 → 8.3): the one hook of the ingest.

``processes`` imports no domain above it, so a domain that reacts to new measurements (the
nonconformities raised from late dossiers) registers a listener here with ``listen(app, fn)``.
The paths that record dossiers (file and XES imports, the ingest API, the browser's actions) take a
``mark`` before they write and call ``announce(mark)`` after their own commit: each listener is then
called with *since*, the earliest receipt among the dossiers written or changed after the mark, in a
transaction of its own. A listener that fails is logged and rolled back; the recorded dossiers stay
recorded and the caller never sees the error (a periodic job of the listener catches up later).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from flask import Flask, current_app
from sqlalchemy import func, or_, select

from processes.dossiers.models import Dossier, StepRun, Timeliness
from qms.extensions import db
from qms.timeutil import utcnow

log = logging.getLogger(__name__)
EXTENSION = "dossiers.recorded"

Listener = Callable[[datetime], object]


@dataclass(frozen=True)
class Mark:
    """The highest dossier and step-run ids and the time before a write: what comes after is new."""

    dossier_id: int
    run_id: int
    at: datetime


def listen(app: Flask, listener: Listener) -> None:
    """Call *listener(since)* after dossiers are recorded in *app* (once per listener)."""
    listeners = app.extensions.setdefault(EXTENSION, [])
    if listener not in listeners:
        listeners.append(listener)


def _listeners() -> list[Listener]:
    return list(current_app.extensions.get(EXTENSION, ()))


def take_mark() -> Mark | None:
    """Where the tables stand before a write (None when nobody listens: nothing to read)."""
    if not _listeners():
        return None
    return Mark(db.session.scalar(select(func.max(Dossier.id))) or 0,
                db.session.scalar(select(func.max(StepRun.id))) or 0, utcnow())


def announce(mark: Mark | None) -> None:
    """After the caller's commit: tell the listeners about the dossiers written or changed since *mark*."""
    if mark is None:
        return
    since = db.session.scalar(select(func.min(Dossier.received_at)).where(or_(
        Dossier.id > mark.dossier_id, Dossier.updated_at >= mark.at,
        Dossier.id.in_(select(StepRun.dossier_id).where(StepRun.id > mark.run_id)))))
    _call(since)


def announce_dossier(dossier_id: int) -> None:
    """After a browser action on one dossier: tell the listeners when it or one of its steps is late."""
    if not _listeners():
        return
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None:
        return
    late = dossier.timeliness == Timeliness.LATE or db.session.scalar(
        select(func.count(StepRun.id)).where(StepRun.dossier_id == dossier_id, StepRun.result == Timeliness.LATE))
    if late:
        _call(dossier.received_at)


def _call(since: datetime | None) -> None:
    if since is None:
        return
    for listener in _listeners():
        try:
            listener(since)
            db.session.commit()
        except Exception:  # noqa: BLE001 - the dossiers are recorded whatever a listener does
            db.session.rollback()
            log.exception("listener %s of recorded dossiers failed", getattr(listener, "__name__", listener))
