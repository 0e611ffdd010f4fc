"""Read-side queries of document control: the master list with its filters, search and sorting."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import aliased

from qms.documents.models import Document, DocumentStatus, Revision, RevisionState
from qms.text import word_patterns

SORTS = {
    "code": lambda eff: [Document.code],
    "title": lambda eff: [Document.title],
    "effective": lambda eff: [eff.effective_at.desc()],
    "review": lambda eff: [Document.next_review_on],
}


@dataclass
class MasterListFilters:
    q: str = ""
    type_id: int | None = None
    unit_id: int | None = None
    status: str = ""  # "" = in force (and drafts for those who draft); "withdrawn"; "all"
    sort: str = "code"
    can_see_drafts: bool = False

    @classmethod
    def from_args(cls, args, *, can_see_drafts: bool) -> MasterListFilters:
        def number(key):
            value = args.get(key, "")
            return int(value) if value.isdigit() else None

        sort = args.get("sort", "code")
        return cls(q=args.get("q", "").strip(), type_id=number("type"), unit_id=number("unit"),
                   status=args.get("status", ""), sort=sort if sort in SORTS else "code",
                   can_see_drafts=can_see_drafts)


def master_list(filters: MasterListFilters) -> Select:
    """Documents, joined to their effective revision for sorting; withdrawn ones only when asked (4.2.3 g)."""
    effective = aliased(Revision)
    query = select(Document).outerjoin(
        effective, and_(effective.document_id == Document.id, effective.state == RevisionState.EFFECTIVE))
    if filters.status == "withdrawn":
        query = query.where(Document.status == DocumentStatus.WITHDRAWN)
    elif filters.status == "draft" and filters.can_see_drafts:
        query = query.where(Document.status == DocumentStatus.DRAFT)
    elif filters.status != "all":
        shown = [DocumentStatus.EFFECTIVE] + ([DocumentStatus.DRAFT] if filters.can_see_drafts else [])
        query = query.where(Document.status.in_(shown))
    elif not filters.can_see_drafts:
        query = query.where(Document.status != DocumentStatus.DRAFT)
    if filters.type_id:
        query = query.where(Document.type_id == filters.type_id)
    if filters.unit_id:
        query = query.where(Document.owner_unit_id == filters.unit_id)
    for pattern in word_patterns(filters.q):
        query = query.where(Document.search_key.like(pattern, escape="\\"))
    return query.order_by(*SORTS[filters.sort](effective), Document.code)


def effective_revisions(document_ids) -> dict[int, Revision]:
    """The revision in force of each document, in one query (for a page of the master list)."""
    from qms.extensions import db

    ids = list(document_ids)
    if not ids:
        return {}
    rows = db.session.scalars(select(Revision).where(Revision.document_id.in_(ids),
                                                     Revision.state == RevisionState.EFFECTIVE))
    return {revision.document_id: revision for revision in rows}


@dataclass
class DocumentTasks:
    """What waits for one person in document control (the "My tasks" page and the home panel)."""

    drafts: list  # drafts they may edit
    reviews: list
    approvals: list
    waiting: list  # approved, waiting for their effective date (the ISO secretary's concern)
    acknowledgements: list  # "read and confirm" tasks not yet confirmed, earliest due first


def tasks_of(user, today) -> DocumentTasks:
    from qms.documents.models import Acknowledgement
    from qms.extensions import db
    from qms.permissions import (Permission, can_approve_revision, can_edit_revision, can_review_revision,
                                 has_permission)

    pending = db.session.scalars(select(Revision).where(Revision.state.in_(
        [RevisionState.DRAFT, RevisionState.SUBMITTED, RevisionState.REVIEWED, RevisionState.APPROVED]))
        .order_by(Revision.updated_at.desc())).all()
    acknowledgements = db.session.scalars(select(Acknowledgement).join(Revision).where(
        Acknowledgement.user_id == user.id, Acknowledgement.confirmed_at.is_(None),
        Revision.state == RevisionState.EFFECTIVE).order_by(Acknowledgement.due_on)).all()
    return DocumentTasks(
        drafts=[r for r in pending if r.state == RevisionState.DRAFT and can_edit_revision(user, r)],
        reviews=[r for r in pending if can_review_revision(user, r)],
        approvals=[r for r in pending if can_approve_revision(user, r, today)],
        waiting=[r for r in pending if r.state == RevisionState.APPROVED]
        if has_permission(user, Permission.DOCUMENTS_MANAGE) else [],
        acknowledgements=acknowledgements,
    )
