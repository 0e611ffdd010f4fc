"""Scheduled jobs of document control (run by ``qms scheduler`` or ``qms run-job NAME``).

Each is a plain function of ``now`` returning a one-line summary; reminders go through
``notify`` with a dedupe key per day or per task, so a job run twice never nags twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from qms.documents import services
from qms.documents.models import Acknowledgement, Document, DocumentStatus, Revision, RevisionState
from qms.extensions import db
from qms.notifications.services import notify
from qms.permissions import Permission, SYSTEM_ACTOR, has_permission
from qms.timeutil import to_local
from qms.users.models import User


def apply_effective_dates(now: datetime) -> str:
    """Approved revisions whose effective date has come take effect by themselves."""
    done = []
    for revision in services.due_for_effect(to_local(now).date()):
        services.make_effective(revision, actor=SYSTEM_ACTOR, now=now)
        done.append(f"{revision.document.code} {revision.numbering}")
    return f"{len(done)} revision(s) put into effect" + (f": {', '.join(done)}" if done else "")


def remind_acknowledgements(now: datetime) -> str:
    """Remind recipients who have not confirmed an effective revision by its due date (once a day)."""
    today = to_local(now).date()
    overdue = db.session.scalars(select(Acknowledgement).join(Revision).where(
        Acknowledgement.confirmed_at.is_(None), Acknowledgement.due_on < today,
        Revision.state == RevisionState.EFFECTIVE)).all()
    sent = 0
    for task in overdue:
        if task.last_reminded_on == today:
            continue
        revision = task.revision
        created = notify(task.user, kind="document.acknowledge_overdue",
                         title=f"Quá hạn xác nhận đã đọc: {revision.document.code} {revision.title}",
                         body=f"Hạn xác nhận: {task.due_on:%d/%m/%Y}.",
                         url=f"/documents/{revision.document_id}/revisions/{revision.id}",
                         dedupe_key=f"ack-overdue:{task.id}:{today.isoformat()}", now=now)
        task.last_reminded_on = today
        sent += created is not None
    db.session.flush()
    return f"{sent} acknowledgement reminder(s) of {len(overdue)} overdue"


def remind_periodic_reviews(now: datetime, *, horizon_days: int = 30) -> str:
    """Tell the ISO secretaries which documents come due for periodic review within the horizon."""
    today = to_local(now).date()
    due = db.session.scalars(select(Document).where(
        Document.status == DocumentStatus.EFFECTIVE, Document.next_review_on <= today + timedelta(days=horizon_days))
        .order_by(Document.next_review_on)).all()
    if not due:
        return "no periodic review due"
    keepers = [u for u in db.session.scalars(select(User).where(User.is_active.is_(True)))
               if has_permission(u, Permission.DOCUMENTS_MANAGE)]
    overdue = [d for d in due if d.next_review_on < today]
    for keeper in keepers:
        for document in due:
            late = document.next_review_on < today
            notify(keeper, kind="document.review_due",
                   title=("Quá hạn xem xét định kỳ: " if late else "Sắp đến hạn xem xét định kỳ: ")
                   + f"{document.code} {document.title}",
                   body=f"Hạn xem xét: {document.next_review_on:%d/%m/%Y}.", url=f"/documents/{document.id}/reviews",
                   dedupe_key=f"review-due:{document.id}:{document.next_review_on.isoformat()}:{'late' if late else 'soon'}",
                   now=now)
    return f"{len(due)} document(s) due for review ({len(overdue)} overdue), {len(keepers)} keeper(s) told"
