"""Demo documents: every revision goes through the real workflow, signed by the demo users on its dates.

Idempotent: a document whose code exists is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from qms.documents import distribution, hooks, services
from qms.documents.models import Acknowledgement, ChangeKind, Document, DocumentKind, DocumentType
from qms.extensions import db
from qms.notifications.models import Notification
from qms.org.models import Unit
from qms.timeutil import agency_zone
from qms.users.models import User


def _at(text: str) -> datetime:
    """"2026-03-05 15:00" (or a date alone, at 08:00) in the agency's time zone, as UTC."""
    stamp = datetime.fromisoformat(text if " " in text else f"{text} 08:00")
    return stamp.replace(tzinfo=agency_zone()).astimezone(timezone.utc)


def load_documents_demo(data: dict, password: str) -> tuple[int, int]:
    """Create the demo documents of *data* ("documents" list); return (created, unchanged)."""
    created = unchanged = 0
    users = {u.username: u for u in db.session.scalars(select(User))}
    for spec in data.get("documents", []):
        if db.session.scalar(select(Document.id).where(Document.code == spec["code"])) is not None:
            unchanged += 1
            continue
        _load_document(spec, users, password)
        created += 1
    return created, unchanged


def _load_document(spec: dict, users: dict, password: str) -> Document:
    doc_type = db.session.scalar(select(DocumentType).where(DocumentType.kind == DocumentKind(spec["kind"])))
    unit_id = db.session.scalar(select(Unit.id).where(Unit.code == spec.get("unit")))
    parent_id = db.session.scalar(select(Document.id).where(Document.code == spec["parent"])) \
        if spec.get("parent") else None
    unit_ids = list(db.session.scalars(select(Unit.id).where(Unit.code.in_(spec.get("distribute", [])))))
    document = None
    revisions = spec["revisions"]
    for index, rev in enumerate(revisions):
        approved = _at(rev["approved"])
        drafter, reviewer, approver = users[rev["drafter"]], users[rev["reviewer"]], users[rev["approver"]]
        values = {"change_summary": rev.get("summary", ""), "change_location": rev.get("location", ""),
                  "change_basis": rev.get("basis", ""), "requested_by": rev.get("requested_by", "")}
        if index == 0:
            document = services.create_document({"type_id": doc_type.id, "title": spec["title"], "code": spec["code"],
                                                 "owner_unit_id": unit_id, "parent_id": parent_id},
                                                actor=drafter, now=approved - timedelta(days=7))
            revision = document.latest_revision
            _cite(revision, spec.get("cites", []))
        else:
            revision = services.open_revision(document, ChangeKind(rev.get("kind", "amendment")), actor=drafter,
                                              values=values, now=approved - timedelta(days=7))
        sections = [{"key": key, "title": title, "body_html": body} for key, title, body in rev["sections"]] \
            if "sections" in rev else [{"key": s.key.value, "title": s.title, "body_html": _replace(s.body_html, rev)}
                                       for s in revision.sections]
        services.update_draft(revision, values, sections, actor=drafter)
        hooks.seed(revision, rev, spec)  # e.g. the process map of a procedure
        distribution.set_distribution(revision, unit_ids=unit_ids, user_ids=[], actor=drafter)
        services.submit_revision(revision, actor=drafter, password=password, now=approved - timedelta(days=3))
        services.review_revision(revision, actor=reviewer, password=password, comment="Đồng ý trình phê duyệt.",
                                 now=approved - timedelta(days=1))
        effective = _at(rev["effective"])
        services.approve_revision(revision, actor=approver, password=password, now=approved,
                                  effective_on=effective.astimezone(agency_zone()).date())
        if revision.state.value == "approved":
            services.make_effective(revision, actor=users["huong.nt"], now=effective)
        last = index == len(revisions) - 1
        _confirm_reading(revision, effective + timedelta(days=2), rev.get("leave_unconfirmed", []) if last else [])
    if spec.get("withdrawn"):
        withdrawal = spec["withdrawn"]
        services.withdraw_document(document, actor=users[withdrawal["by"]], reason=withdrawal["reason"],
                                   now=_at(withdrawal["at"]))
    db.session.flush()
    return document


def _replace(body: str, rev: dict) -> str:
    for old, new in rev.get("replace", []):
        body = body.replace(old, new)
    return body


def _cite(revision, numbers: list[str]) -> None:
    from qms.external_docs.models import ExternalDocument, RevisionCitation

    for number in numbers:
        external_id = db.session.scalar(select(ExternalDocument.id).where(ExternalDocument.number == number))
        if external_id is not None:
            db.session.add(RevisionCitation(revision_id=revision.id, external_document_id=external_id,
                                            note="Tài liệu viện dẫn"))
    db.session.flush()


def _confirm_reading(revision, when: datetime, leave: list[str]) -> None:
    """Most recipients confirmed two days after the effective date; some are left to show the register."""
    tasks = db.session.scalars(select(Acknowledgement).where(Acknowledgement.revision_id == revision.id)).all()
    confirmed = []
    for task in tasks:
        if task.user.username in leave:
            continue
        task.confirmed_at = when
        confirmed.append(task.user_id)
    if confirmed:
        db.session.execute(update(Notification).where(Notification.user_id.in_(confirmed),
                                                      Notification.dedupe_key == f"ack:{revision.id}")
                           .values(read_at=when))
    db.session.flush()



