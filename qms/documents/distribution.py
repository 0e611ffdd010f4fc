"""Distribution lists and "read and confirm" acknowledgements of effective revisions (clause 4.2.3 d)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from qms.documents.models import Acknowledgement, DistributionEntry, Revision, RevisionState
from qms.errors import Conflict, Forbidden
from qms.extensions import db
from qms.permissions import can_manage_documents
from qms.calendar.services import add_working_days
from qms.timeutil import to_local, utcnow
from qms.users.models import User


def set_distribution(revision: Revision, *, unit_ids, user_ids, actor) -> None:
    """Replace the distribution list (nơi nhận) of a revision not yet in force."""
    if not can_manage_documents(actor) and actor.id != revision.drafted_by_id:
        raise Forbidden(_("Only the ISO secretary or the drafter sets the distribution list."))
    if revision.state not in (RevisionState.DRAFT, RevisionState.SUBMITTED, RevisionState.REVIEWED,
                              RevisionState.APPROVED):
        raise Conflict(_("The distribution of a revision in force is fixed; open a new revision to change it."))
    current = db.session.scalars(select(DistributionEntry).where(DistributionEntry.revision_id == revision.id)).all()
    wanted = {("unit", int(i)) for i in unit_ids} | {("user", int(i)) for i in user_ids}
    have = {("unit", e.unit_id) if e.unit_id else ("user", e.user_id): e for e in current}
    for key, entry in have.items():
        if key not in wanted:
            db.session.delete(entry)
    for kind, ident in wanted - set(have):
        db.session.add(DistributionEntry(revision_id=revision.id, **{f"{kind}_id": ident}))
    db.session.flush()


def entries(revision: Revision) -> list[DistributionEntry]:
    return db.session.scalars(select(DistributionEntry).where(DistributionEntry.revision_id == revision.id)).all()


def recipients(revision: Revision) -> list[User]:
    """Active users named directly or belonging to a listed unit, each once."""
    entries = db.session.scalars(select(DistributionEntry).where(DistributionEntry.revision_id == revision.id)).all()
    unit_ids = [e.unit_id for e in entries if e.unit_id]
    user_ids = {e.user_id for e in entries if e.user_id}
    query = select(User).where(User.is_active.is_(True))
    people = db.session.scalars(query.where(User.unit_id.in_(unit_ids))).all() if unit_ids else []
    if user_ids:
        people += db.session.scalars(query.where(User.id.in_(user_ids))).all()
    unique = {p.id: p for p in people}
    return sorted(unique.values(), key=lambda u: u.full_name)


def assign_acknowledgements(revision: Revision, *, now: datetime | None = None) -> int:
    """When a revision takes effect, every recipient gets a "read and confirm" task (once)."""
    now = now or utcnow()
    due = add_working_days(to_local(now).date(), int(current_app.config["ACKNOWLEDGE_WORKING_DAYS"]))
    existing = set(db.session.scalars(select(Acknowledgement.user_id)
                                      .where(Acknowledgement.revision_id == revision.id)))
    created = 0
    for person in recipients(revision):
        if person.id in existing:
            continue
        db.session.add(Acknowledgement(revision_id=revision.id, user_id=person.id, assigned_at=now, due_on=due))
        _notify(person, revision, now)
        created += 1
    db.session.flush()
    return created


def _notify(person: User, revision: Revision, now: datetime) -> None:
    try:
        from qms.notifications.services import notify
    except ImportError:  # notifications are optional for the workflow
        return
    notify(person, kind="document.acknowledge",
           title=_("Read and confirm: %(code)s %(title)s", code=revision.document.code, title=revision.title),
           url=f"/documents/{revision.document_id}/revisions/{revision.id}",
           dedupe_key=f"ack:{revision.id}", now=now)


def acknowledge(revision: Revision, *, actor, now: datetime | None = None) -> Acknowledgement:
    """The recipient confirms they have read the revision in force."""
    task = db.session.scalar(select(Acknowledgement).where(Acknowledgement.revision_id == revision.id,
                                                           Acknowledgement.user_id == actor.id))
    if task is None:
        raise Forbidden(_("This revision was not distributed to you."))
    if task.confirmed_at is not None:
        raise Conflict(_("You already confirmed on %(date)s.", date=to_local(task.confirmed_at).strftime("%d/%m/%Y")))
    task.confirmed_at = now or utcnow()
    db.session.flush()
    return task
