"""The last line of defence for ended nonconformities (ISO 9001:2008 clause 4.2.4: records stay legible
and unchanged): once closed, rejected or marked duplicate, neither the nonconformity nor anything of it
(evidence, analysis, actions, progress, checks, history) changes by any path.

Services refuse first and explain; this session hook refuses whatever slips past them. The status that
counts is the one last written to the database, so the flush that closes a record still passes.
"""

from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from nonconformities.models import (
    ENDED_STATUSES,
    ActionProgress,
    CorrectiveAction,
    EffectivenessCheck,
    Nonconformity,
    NonconformityCause,
    NonconformityEvidence,
    NonconformityTransition,
    NonconformityWhy,
)

_CHILDREN = (NonconformityEvidence, NonconformityWhy, NonconformityCause, CorrectiveAction, EffectivenessCheck,
             NonconformityTransition)


class ClosedRecordError(Exception):
    """A closed nonconformity was about to change."""


def _stored_status(nc: Nonconformity):
    """The status as last flushed: a pending change does not count."""
    state = inspect(nc)
    if state.pending or state.transient:
        return None
    history = state.attrs.status.history
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else nc.status


def _nc_of(session: Session, obj) -> Nonconformity | None:
    if isinstance(obj, Nonconformity):
        return obj
    if isinstance(obj, ActionProgress):
        action = obj.__dict__.get("action") or (session.get(CorrectiveAction, obj.action_id)
                                                if obj.action_id is not None else None)
        return _nc_of(session, action) if action is not None else None
    parent = obj.__dict__.get("nonconformity")
    if parent is not None:
        return parent
    return session.get(Nonconformity, obj.nc_id) if obj.nc_id is not None else None


def _refuse_changes_to_ended(session: Session, flush_context, instances) -> None:
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, (Nonconformity, ActionProgress) + _CHILDREN):
            continue
        if obj in session.dirty and not session.is_modified(obj):
            continue
        with session.no_autoflush:
            nc = _nc_of(session, obj)
            if nc is not None and _stored_status(nc) in ENDED_STATUSES:
                raise ClosedRecordError(f"nonconformity {nc.code} is {_stored_status(nc)}; it cannot change")


def install() -> None:
    if not event.contains(Session, "before_flush", _refuse_changes_to_ended):
        event.listen(Session, "before_flush", _refuse_changes_to_ended)


def init_app(app) -> None:
    install()
