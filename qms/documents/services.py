"""Document control services (ISO 9001:2008 clause 4.2.3): codes, revisions, content, workflow.

Every function flushes and never commits; the caller owns the transaction. Each
transition re-checks the object-level predicate of ``qms.permissions`` (views check
it too), writes a ``RevisionEvent`` and an audit-log entry.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime

import nh3
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from qms.audit import log as audit
from qms.documents import hooks
from qms.documents.models import (
    ChangeKind,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentType,
    Revision,
    RevisionEvent,
    RevisionFile,
    RevisionSection,
    RevisionState,
    SectionKey,
    document_search_key,
)
from qms.documents.workflow import COMMENT_REQUIRED, IN_PROGRESS, SIGNED_ACTIONS, Action, next_state
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.permissions import (
    Permission,
    Role,
    can_approve_revision,
    can_cancel_revision,
    can_edit_revision,
    can_manage_documents,
    can_return_revision,
    can_review_revision,
    has_permission,
)
from qms.signatures import services as signatures
from qms.text import fold
from qms.timeutil import add_months, to_local, utcnow

# The seven sections of a Vietnamese procedure (DOMAIN.md 2.4), in order.
PROCEDURE_SECTIONS = [
    (SectionKey.PURPOSE, "Mục đích"),
    (SectionKey.SCOPE, "Phạm vi áp dụng"),
    (SectionKey.REFERENCES, "Tài liệu viện dẫn"),
    (SectionKey.DEFINITIONS, "Định nghĩa và viết tắt"),
    (SectionKey.CONTENT, "Nội dung quy trình"),
    (SectionKey.FORMS, "Biểu mẫu"),
    (SectionKey.RECORDS, "Hồ sơ cần lưu"),
]
SINGLE_SECTION = [(SectionKey.CONTENT, "Nội dung")]

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "ul", "ol", "li", "h3", "h4",
                "blockquote", "table", "thead", "tbody", "tr", "th", "td", "span", "a"}
ALLOWED_ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}, "a": {"href"}}
_TAG = re.compile(r"<[^>]+>")


def sanitise_html(raw: str) -> str:
    """Keep the formatting a procedure needs (paragraphs, lists, tables); drop scripts, styles, handlers."""
    return nh3.clean(raw or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer").strip()


def html_text(body: str) -> str:
    return html.unescape(_TAG.sub(" ", body or ""))


def default_sections(kind: DocumentKind) -> list[tuple[SectionKey, str]]:
    return PROCEDURE_SECTIONS if kind in (DocumentKind.PROCEDURE, DocumentKind.INSTRUCTION) else SINGLE_SECTION


# Codes ----------------------------------------------------------------------------------------------


def format_code(doc_type: DocumentType, number: int, parent: Document | None) -> str:
    """Apply the type's pattern: ``{abbr}``, ``{n}`` (with Python format spec, e.g. ``{n:02}``), ``{parent}``."""
    try:
        return doc_type.code_pattern.format(abbr=doc_type.abbreviation, n=number,
                                            parent=parent.code if parent else "").strip()
    except (KeyError, ValueError, IndexError) as error:
        raise DomainError(_("The code pattern %(pattern)s is not valid: use only {abbr}, {n} (e.g. {n:02}) and "
                            "{parent}.", pattern=doc_type.code_pattern), field="code_pattern") from error


def update_document_type(doc_type: DocumentType, *, pattern: str, next_number: int | None, actor) -> DocumentType:
    """The ISO secretary sets a type's code pattern (and, if needed, its next sequence number)."""
    if not can_manage_documents(actor):
        raise Forbidden(_("Only the ISO secretary sets code patterns."))
    pattern = pattern.strip()
    if not pattern or len(pattern) > 60:
        raise DomainError(_("A code pattern has 1 to 60 characters."), field="code_pattern")
    if doc_type.needs_parent and "{parent}" not in pattern:
        raise DomainError(_("The pattern of %(type)s must contain {parent}: the code of its procedure.",
                            type=doc_type.name), field="code_pattern")
    doc_type.code_pattern = pattern
    format_code(doc_type, 1, None)  # refuses a malformed pattern before anything is saved
    if next_number is not None:
        if next_number < 1:
            raise DomainError(_("The next number is at least 1."), field="next_number")
        doc_type.next_number = next_number
    db.session.flush()
    return doc_type


def propose_code(doc_type: DocumentType, parent: Document | None = None) -> str | None:
    """The next free code of a type, skipping codes already taken (a code is never reused).

    None when the pattern has no sequence number (e.g. "{abbr}": CSCL) and its one code is taken.
    """
    number = doc_type.next_number
    while True:
        code = format_code(doc_type, number, parent)
        if not _code_taken(code):
            return code
        if format_code(doc_type, number + 1, parent) == code:
            return None  # the pattern does not depend on the number: there is no next code
        number += 1


def _code_taken(code: str) -> bool:
    return db.session.scalar(select(Document.id).where(func.lower(Document.code) == code.lower())) is not None


# Documents ------------------------------------------------------------------------------------------


def create_document(values: dict, *, actor, now: datetime | None = None) -> Document:
    """Register a new document with its first draft revision (first issue: 01, revision 00)."""
    if not has_permission(actor, Permission.DOCUMENTS_DRAFT):
        raise Forbidden(_("You may not draft documents."))
    doc_type: DocumentType = db.session.get(DocumentType, values["type_id"])
    if doc_type is None or not doc_type.is_active:
        raise DomainError(_("Choose a document type."), field="type_id")
    parent = db.session.get(Document, values["parent_id"]) if values.get("parent_id") else None
    if doc_type.needs_parent and parent is None:
        raise DomainError(_("Documents of the type %(type)s belong to a procedure: choose it.", type=doc_type.name),
                          field="parent_id")
    code = (values.get("code") or "").strip() or propose_code(doc_type, parent)
    if not code:
        raise DomainError(_("Every code of the pattern %(pattern)s is taken: type the code of the new document.",
                            pattern=doc_type.code_pattern), field="code")
    if _code_taken(code):
        raise Conflict(_("The code %(code)s is already used; a code is never reused.", code=code), field="code")
    title = (values.get("title") or "").strip()
    if not title:
        raise DomainError(_("The title is required."), field="title")
    document = Document(code=code, title=title, type_id=doc_type.id, owner_unit_id=values.get("owner_unit_id"),
                        parent_id=parent.id if parent else None, created_by_id=actor.id,
                        review_interval_months=values.get("review_interval_months")
                        or int(current_app.config["DOCUMENT_REVIEW_MONTHS"]))
    document.search_key = document_search_key(document, None)
    db.session.add(document)
    number = _number_in(code, doc_type, parent)
    if number is not None and number >= doc_type.next_number:
        doc_type.next_number = number + 1
    db.session.flush()
    revision = Revision(document_id=document.id, issue_no=1, revision_no=0, change_kind=ChangeKind.FIRST_ISSUE,
                        title=title, drafted_by_id=actor.id, change_summary=_("First issue"),
                        requested_by=values.get("requested_by", ""))
    revision.sections = [RevisionSection(key=key, title=section_title, position=index, body_html="")
                         for index, (key, section_title) in enumerate(default_sections(doc_type.kind))]
    db.session.add(revision)
    db.session.flush()
    db.session.expire(document, ["revisions"])
    _event(revision, "create", None, RevisionState.DRAFT, actor, now=now)
    return document


def _number_in(code: str, doc_type: DocumentType, parent: Document | None) -> int | None:
    """The sequence number a code carries under the type's pattern, if it follows it."""
    for number in range(1, 1000):
        if format_code(doc_type, number, parent).lower() == code.lower():
            return number
    return None


def update_document(document: Document, values: dict, *, actor) -> Document:
    """Change the master-list data of a document (owner unit, review interval); codes never change."""
    if not can_manage_documents(actor):
        raise Forbidden(_("Only the ISO secretary keeps the master list."))
    for key in ("owner_unit_id", "review_interval_months"):
        if key in values:
            setattr(document, key, values[key])
    db.session.flush()
    return document


# Revisions ------------------------------------------------------------------------------------------


def effective_revision_of(document: Document) -> Revision | None:
    """The revision in force, read from the database (never from a cached collection)."""
    return db.session.scalar(select(Revision).where(Revision.document_id == document.id,
                                                    Revision.state == RevisionState.EFFECTIVE))


def revision_in_progress(document: Document) -> Revision | None:
    return db.session.scalar(select(Revision).where(Revision.document_id == document.id,
                                                    Revision.state.in_(list(IN_PROGRESS))))


def open_revision(document: Document, change_kind: ChangeKind, *, actor, values: dict | None = None,
                  change_request=None, now: datetime | None = None) -> Revision:
    """Open the next revision, starting from the text in force.

    An amendment raises the revision number; a reissue raises the issue number and resets the
    revision number to 00 (DOMAIN.md 2.1). At most one revision is in progress per document.
    """
    if not has_permission(actor, Permission.DOCUMENTS_DRAFT):
        raise Forbidden(_("You may not draft documents."))
    if document.status == DocumentStatus.WITHDRAWN:
        raise Conflict(_("%(code)s has been withdrawn; it can no longer be revised.", code=document.code))
    current = revision_in_progress(document)
    if current is not None:
        raise Conflict(_("Revision %(numbering)s of %(code)s is still in progress: finish or cancel it first.",
                         numbering=current.numbering, code=document.code))
    base = effective_revision_of(document)
    if base is None:
        raise Conflict(_("%(code)s has no revision in force yet: finish its first issue.", code=document.code))
    if change_kind == ChangeKind.REISSUE:
        issue_no, revision_no = base.issue_no + 1, 0
    elif change_kind == ChangeKind.AMENDMENT:
        issue_no, revision_no = base.issue_no, base.revision_no + 1
    else:
        raise DomainError(_("Choose amendment or reissue."), field="change_kind")
    values = values or {}
    revision = Revision(document_id=document.id, issue_no=issue_no, revision_no=revision_no,
                        change_kind=change_kind, title=base.title, drafted_by_id=actor.id,
                        change_summary=values.get("change_summary", ""),
                        change_location=values.get("change_location", ""),
                        change_basis=values.get("change_basis", ""), requested_by=values.get("requested_by", ""),
                        change_request_id=change_request.id if change_request is not None else None)
    revision.sections = [RevisionSection(key=s.key, title=s.title, position=s.position, body_html=s.body_html)
                         for s in base.sections]
    revision.search_text = base.search_text
    db.session.add(revision)
    db.session.flush()
    db.session.expire(document, ["revisions"])
    _copy_citations(base, revision)
    hooks.copy_content(base, revision)
    _event(revision, "create", None, RevisionState.DRAFT, actor, now=now,
           comment=f"{change_kind.label} ← {base.numbering}")
    return revision


def _copy_citations(source: Revision, target: Revision) -> None:
    from qms.external_docs.models import RevisionCitation

    for citation in db.session.scalars(select(RevisionCitation).where(RevisionCitation.revision_id == source.id)):
        db.session.add(RevisionCitation(revision_id=target.id, external_document_id=citation.external_document_id,
                                        note=citation.note))
    db.session.flush()


def update_draft(revision: Revision, values: dict, sections: list[dict] | None, *, actor) -> Revision:
    """Edit a draft: the change record and the sections (sanitised). Anything but a draft is refused."""
    if not can_edit_revision(actor, revision):
        if revision.state != RevisionState.DRAFT:
            raise Conflict(_("Only a draft can be edited; this revision is %(state)s. A change needs a new "
                             "revision.", state=revision.state.label))
        raise Forbidden(_("Only the drafter or the ISO secretary edits this draft."))
    for key in ("title", "change_summary", "change_location", "change_basis", "requested_by",
                "planned_effective_on"):
        if key in values:
            value = values[key]
            setattr(revision, key, value.strip() if isinstance(value, str) else value)
    if not (revision.title or "").strip():
        raise DomainError(_("The title is required."), field="title")
    if sections is not None:
        _replace_sections(revision, sections)
    revision.search_text = fold(" ".join([revision.title] + [f"{s.title} {html_text(s.body_html)}"
                                                              for s in revision.sections]))
    db.session.flush()
    return revision


def _replace_sections(revision: Revision, sections: list[dict]) -> None:
    existing = {s.position: s for s in revision.sections}
    keep = set()
    for position, data in enumerate(sections):
        title = (data.get("title") or "").strip()
        if not title:
            raise DomainError(_("Section %(n)d needs a title.", n=position + 1), field="sections")
        body = sanitise_html(data.get("body_html", ""))
        key = SectionKey(data.get("key") or SectionKey.CUSTOM)
        section = existing.get(position)
        if section is None:
            revision.sections.append(RevisionSection(key=key, title=title, position=position, body_html=body))
        else:
            section.key, section.title, section.body_html = key, title, body
        keep.add(position)
    for position, section in existing.items():
        if position not in keep:
            revision.sections.remove(section)


REVISION_FILE_KINDS = frozenset({"docx", "xlsx", "pdf"})


def attach_file(revision: Revision, file_storage, *, actor) -> RevisionFile:
    """Attach a .docx, .xlsx or .pdf to a draft, checked by content and stored under its SHA-256."""
    from qms.files.storage import store_upload

    if not can_edit_revision(actor, revision):
        raise Forbidden(_("Only the drafter or the ISO secretary changes this draft."))
    stored, filename = store_upload(file_storage, actor=actor, allowed_kinds=REVISION_FILE_KINDS)
    if any(f.file_id == stored.id for f in revision.files):
        raise Conflict(_("%(name)s is already attached to this revision.", name=filename), field="file")
    attached = RevisionFile(file_id=stored.id, filename=filename, uploaded_by_id=actor.id,
                            position=len(revision.files))
    revision.files.append(attached)
    db.session.flush()
    return attached


def detach_file(revision: Revision, attached: RevisionFile, *, actor) -> None:
    """Remove an attached file from a draft (the stored bytes stay: another revision may use them)."""
    if not can_edit_revision(actor, revision):
        raise Forbidden(_("Only the drafter or the ISO secretary changes this draft."))
    if attached.revision_id != revision.id:
        raise Conflict(_("This file is not attached to this revision."))
    revision.files.remove(attached)
    db.session.flush()


def revision_content(revision: Revision) -> dict:
    """Exactly what is signed: numbering, change record, sections, attached files and citations."""
    from qms.external_docs.models import RevisionCitation

    citations = db.session.scalars(select(RevisionCitation).where(RevisionCitation.revision_id == revision.id)
                                   .order_by(RevisionCitation.external_document_id)).all()
    content = {
        "document": revision.document.code,
        "title": revision.title,
        "issue_no": revision.issue_no,
        "revision_no": revision.revision_no,
        "change": [revision.change_summary, revision.change_location, revision.change_basis,
                   revision.requested_by],
        "sections": [[s.key.value, s.title, s.body_html] for s in revision.sections],
        "files": [[f.filename, f.file.sha256] for f in revision.files],
        "citations": [[c.external_document.number, c.note] for c in citations],
    }
    content.update(hooks.extra_content(revision))  # e.g. the process map of a procedure
    return content


def revision_hash(revision: Revision) -> str:
    return signatures.content_sha256(revision_content(revision))


# Workflow -------------------------------------------------------------------------------------------


def _event(revision: Revision, action: str, source, target, actor, *, comment: str = "",
           now: datetime | None = None) -> None:
    db.session.add(RevisionEvent(revision_id=revision.id, action=action,
                                 from_state=source.value if source else None, to_state=target.value,
                                 actor_id=getattr(actor, "id", None),
                                 actor_name=getattr(actor, "full_name", "system"), at=now or utcnow(),
                                 comment=comment))


def _move(revision: Revision, action: Action, actor, *, comment: str = "", now: datetime | None = None):
    source = revision.state
    target = next_state(action, source)
    if action in COMMENT_REQUIRED and not comment.strip():
        raise DomainError(_("Give a reason."), field="comment")
    revision.state = target
    audit.tag(db.session, revision, f"revision.{action.value}", f"{revision.document.code} {revision.numbering}")
    _event(revision, action.value, source, target, actor, comment=comment, now=now)
    return source, target


def _sign(revision: Revision, action: Action, actor, password: str, *, capacity: str = "", comment: str = "",
          now: datetime | None = None):
    return signatures.sign(revision, SIGNED_ACTIONS[action], signer=actor, password=password,
                           content_hash=revision_hash(revision), capacity=capacity, comment=comment, now=now)


def submit_revision(revision: Revision, *, actor, password: str, comment: str = "",
                    now: datetime | None = None) -> None:
    """The drafter signs "Soạn thảo" and submits the draft for review."""
    if not can_edit_revision(actor, revision):
        raise Forbidden(_("Only the drafter or the ISO secretary submits this draft."))
    if not any(html_text(s.body_html).strip() for s in revision.sections) and not revision.files:
        raise DomainError(_("The revision has no content yet: write its sections or attach its files."))
    hooks.check_ready(revision, "submit")
    now = now or utcnow()
    _sign(revision, Action.SUBMIT, actor, password, comment=comment, now=now)
    revision.submitted_at = now
    _move(revision, Action.SUBMIT, actor, comment=comment, now=now)
    db.session.flush()


def review_revision(revision: Revision, *, actor, password: str, comment: str = "",
                    now: datetime | None = None) -> None:
    """The reviewer (never the drafter) signs "Xem xét"."""
    if not can_review_revision(actor, revision):
        if actor.id == revision.drafted_by_id:
            raise Forbidden(_("The drafter cannot review their own revision."))
        raise Forbidden(_("You may not review this revision."))
    now = now or utcnow()
    _sign(revision, Action.REVIEW, actor, password, comment=comment, now=now)
    revision.reviewed_by_id, revision.reviewed_at = actor.id, now
    _move(revision, Action.REVIEW, actor, comment=comment, now=now)
    db.session.flush()


def return_revision(revision: Revision, *, actor, comment: str, now: datetime | None = None) -> None:
    """Send a submitted or reviewed revision back to its drafter with comments; earlier signatures lapse."""
    now = now or utcnow()
    if not can_return_revision(actor, revision, to_local(now).date()):
        raise Forbidden(_("You may not return this revision."))
    revision.reviewed_by_id = None
    revision.reviewed_at = None
    revision.submitted_at = None
    _move(revision, Action.RETURN, actor, comment=comment, now=now)
    db.session.flush()


def approve_revision(revision: Revision, *, actor, password: str, effective_on: date | None = None,
                     comment: str = "", now: datetime | None = None) -> None:
    """The director (or a deputy signing "KT. Giám đốc" under a delegation) signs "Phê duyệt".

    The content hash is frozen with the signature: from now on nothing of the content changes.
    If the effective date has come, the revision takes effect at once.
    """
    now = now or utcnow()
    today = to_local(now).date()
    if not can_approve_revision(actor, revision, today):
        if actor.id == revision.drafted_by_id:
            raise Forbidden(_("The drafter cannot approve their own revision."))
        if actor.id == revision.reviewed_by_id:
            raise Forbidden(_("The reviewer cannot also approve the same revision."))
        raise Forbidden(_("Only the director, or a deputy holding a delegation today, approves revisions."))
    capacity = "" if actor.has_role(Role.DIRECTOR) else "KT. Giám đốc"
    effective_on = effective_on or revision.planned_effective_on or today
    if effective_on < today:
        raise DomainError(_("The effective date cannot be in the past."), field="effective_on")
    hooks.check_ready(revision, "approve")
    signature = _sign(revision, Action.APPROVE, actor, password, capacity=capacity, comment=comment, now=now)
    revision.approved_by_id, revision.approved_at = actor.id, now
    revision.approver_capacity = capacity
    revision.content_sha256 = signature.content_sha256
    revision.issued_on = today
    revision.planned_effective_on = effective_on
    _move(revision, Action.APPROVE, actor, comment=comment, now=now)
    db.session.flush()
    if effective_on <= today:
        make_effective(revision, actor=actor, now=now)


def make_effective(revision: Revision, *, actor, now: datetime | None = None) -> None:
    """Put an approved revision into force and supersede the previous one in the same transaction.

    The document row is locked first (PostgreSQL), and a partial unique index guarantees that a
    document never has two effective revisions, whatever runs concurrently.
    """
    now = now or utcnow()
    db.session.execute(select(Document.id).where(Document.id == revision.document_id).with_for_update())
    db.session.refresh(revision)
    if revision.state != RevisionState.APPROVED:
        raise Conflict(_("Only an approved revision can take effect; this one is %(state)s.",
                         state=revision.state.label))
    if revision.planned_effective_on and revision.planned_effective_on > to_local(now).date():
        raise Conflict(_("This revision takes effect on %(date)s.",
                         date=revision.planned_effective_on.strftime("%d/%m/%Y")))
    document = revision.document
    previous = db.session.scalar(select(Revision).where(Revision.document_id == document.id,
                                                        Revision.state == RevisionState.EFFECTIVE))
    if previous is not None:
        previous.ended_at = now
        _move(previous, Action.SUPERSEDE, actor, comment=f"→ {revision.numbering}", now=now)
        db.session.flush()  # the old one leaves the index before the new one enters it
    revision.effective_at = now
    _move(revision, Action.MAKE_EFFECTIVE, actor, now=now)
    document.status = DocumentStatus.EFFECTIVE
    document.title = revision.title
    document.next_review_on = add_months(to_local(now).date(), document.review_interval_months)
    document.search_key = document_search_key(document, revision)
    db.session.flush()
    db.session.expire(document, ["revisions"])
    _after_effective(document, revision, now)


def _after_effective(document: Document, revision: Revision, now: datetime) -> None:
    """Resolve the external-change flags this revision answers; hand out "read and confirm" tasks."""
    from qms.documents import distribution

    from qms.external_docs.services import resolve_flags_for

    resolve_flags_for(document, revision, now=now)
    distribution.assign_acknowledgements(revision, now=now)


def cancel_revision(revision: Revision, *, actor, comment: str, now: datetime | None = None) -> None:
    """Abandon a revision before approval; its number becomes free again."""
    if not can_cancel_revision(actor, revision):
        raise Forbidden(_("Only the drafter or the ISO secretary cancels this revision."))
    revision.ended_at = now or utcnow()
    _move(revision, Action.CANCEL, actor, comment=comment, now=now)
    db.session.flush()


def withdraw_document(document: Document, *, actor, reason: str, now: datetime | None = None) -> None:
    """Withdraw a whole document (hết hiệu lực): its effective revision becomes obsolete; the code stays taken."""
    if not can_manage_documents(actor):
        raise Forbidden(_("Only the ISO secretary withdraws documents."))
    if document.status == DocumentStatus.WITHDRAWN:
        raise Conflict(_("%(code)s is already withdrawn.", code=document.code))
    if not reason.strip():
        raise DomainError(_("Give a reason."), field="reason")
    now = now or utcnow()
    in_progress = revision_in_progress(document)
    if in_progress is not None and in_progress.state != RevisionState.APPROVED:
        cancel_revision(in_progress, actor=actor, comment=reason, now=now)
    elif in_progress is not None:
        raise Conflict(_("Revision %(numbering)s is approved and waiting to take effect; it cannot be "
                         "withdrawn with the document.", numbering=in_progress.numbering))
    effective = effective_revision_of(document)
    if effective is not None:
        effective.ended_at = now
        _move(effective, Action.WITHDRAW, actor, comment=reason, now=now)
    document.status = DocumentStatus.WITHDRAWN
    document.withdrawn_at, document.withdrawn_by_id, document.withdrawn_reason = now, actor.id, reason.strip()
    audit.tag(db.session, document, "document.withdrawn", f"{document.code}: {reason.strip()[:200]}")
    db.session.flush()


def due_for_effect(today: date) -> list[Revision]:
    """Approved revisions whose effective date has come (for the scheduler)."""
    return db.session.scalars(select(Revision).where(Revision.state == RevisionState.APPROVED,
                                                     Revision.planned_effective_on <= today)
                              .order_by(Revision.planned_effective_on, Revision.id)).all()
