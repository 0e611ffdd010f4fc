"""The register of external documents and the three-month update rule (ISO 9001:2008 clause 4.2.3 f;
QĐ 19/2014/QĐ-TTg Art. 4.4a).

The ISO secretary keeps the register (danh mục tài liệu có nguồn gốc bên ngoài): laws, decrees,
circulars, decisions and standards the QMS relies on. When a newer text amends or replaces one of
them, every internal document whose effective revision cites the older text gets an ``UpdateFlag``
("cần cập nhật") due three months after the newer text takes effect; the flag is resolved by the next
revision of that document that takes effect.

Services flush, never commit; the caller owns the transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, select

from qms.audit import log as audit
from qms.documents.models import Document, DocumentStatus, Revision, RevisionState
from qms.errors import Conflict, DomainError, Forbidden
from qms.external_docs.models import (
    ExternalDocument,
    ExternalKind,
    ExternalRelation,
    ExternalStatus,
    RelationKind,
    RevisionCitation,
    UpdateFlag,
)
from qms.extensions import db
from qms.permissions import Permission, can_edit_revision, has_permission
from qms.text import fold, like_pattern
from qms.timeutil import add_months, to_local, utcnow

#: The Vietnamese name of each kind, folded into the search key so that "nghi dinh 61" finds
#: 61/2018/NĐ-CP although its trích yếu never says "Nghị định". Domain vocabulary, not UI text.
KIND_SEARCH_TERMS = {
    ExternalKind.LAW: "Luật",
    ExternalKind.DECREE: "Nghị định",
    ExternalKind.CIRCULAR: "Thông tư",
    ExternalKind.DECISION: "Quyết định",
    ExternalKind.STANDARD: "Tiêu chuẩn",
    ExternalKind.OTHER: "",
}

_FIELDS = ("number", "kind", "issuer", "title", "issued_on", "effective_on", "status", "url", "notes")
_SPACES = re.compile(r"\s+")
_SPACES_AROUND_SEPARATORS = re.compile(r"\s*([/:-])\s*")


# Permissions --------------------------------------------------------------------------------------


def can_manage_register(user) -> bool:
    """The ISO secretary keeps the register and records amendments and replacements."""
    return has_permission(user, Permission.EXTERNAL_DOCS_MANAGE)


def can_edit_citations(user) -> bool:
    """Whoever drafts revisions names the texts they rely on; the register's keeper may too."""
    return has_permission(user, Permission.DOCUMENTS_DRAFT) or can_manage_register(user)


def _require_manage(actor) -> None:
    if not can_manage_register(actor):
        raise Forbidden(_("You may not change the register of external documents."))


# The register -----------------------------------------------------------------------------------


def normalise_number(number: str | None) -> str:
    """"61 / 2018 /NĐ-CP " → "61/2018/NĐ-CP": one form per number, whatever was typed."""
    text = _SPACES.sub(" ", number or "").strip()
    return _SPACES_AROUND_SEPARATORS.sub(r"\1", text)


def search_key_of(document: ExternalDocument) -> str:
    """The folded text the register searches: number, kind, trích yếu and issuer."""
    kind_term = KIND_SEARCH_TERMS.get(ExternalKind(document.kind), "") if document.kind else ""
    return fold(" ".join(part for part in (document.number, kind_term, document.title, document.issuer) if part))


def find_by_number(number: str) -> ExternalDocument | None:
    """The document registered under *number*, spaces normalised and case ignored (Đ and đ included)."""
    wanted = normalise_number(number).casefold()
    if not wanted:
        return None
    # The search key starts with the folded number: narrow down in SQL, compare exactly in Python
    # (SQLite's lower() leaves Đ alone).
    prefix = fold(wanted).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    candidates = db.session.scalars(select(ExternalDocument)
                                    .where(ExternalDocument.search_key.like(f"{prefix}%", escape="\\")))
    return next((c for c in candidates if normalise_number(c.number).casefold() == wanted), None)


def _clean_values(values: dict) -> dict:
    cleaned = {key: values[key] for key in _FIELDS if key in values}
    for key in ("issuer", "title", "url", "notes"):
        if key in cleaned:
            cleaned[key] = (cleaned[key] or "").strip()
    if "number" in cleaned:
        cleaned["number"] = normalise_number(cleaned["number"])
    if "kind" in cleaned:
        cleaned["kind"] = ExternalKind(cleaned["kind"])
    if "status" in cleaned:
        cleaned["status"] = ExternalStatus(cleaned["status"] or ExternalStatus.IN_FORCE)
    return cleaned


def _validate(document: ExternalDocument, values: dict) -> None:
    number = values.get("number", document.number)
    if not number:
        raise DomainError(_("The number is required."), field="number")
    clash = find_by_number(number)
    if clash is not None and clash.id != document.id:
        raise Conflict(_("The number %(number)s is already in the register.", number=clash.number), field="number")
    for key, message in (("kind", _("Choose the kind of text.")), ("issuer", _("The issuing body is required.")),
                         ("title", _("The title is required."))):
        if not values.get(key, getattr(document, key)):
            raise DomainError(message, field=key)
    issued, effective = values.get("issued_on", document.issued_on), values.get("effective_on", document.effective_on)
    if issued and effective and effective < issued:
        raise DomainError(_("A text cannot take effect before it is issued."), field="effective_on")
    url = values.get("url", document.url) or ""
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        raise DomainError(_("Give a web address starting with http:// or https://."), field="url")


def create_external_document(values: dict, *, actor, now: datetime | None = None) -> ExternalDocument:
    """Register a law, decree, circular, decision or standard; its number is unique in the register."""
    _require_manage(actor)
    values = _clean_values(values)
    document = ExternalDocument(status=ExternalStatus.IN_FORCE, url="", notes="")
    _validate(document, values)
    for key, value in values.items():
        setattr(document, key, value)
    document.search_key = search_key_of(document)
    document.created_at = document.updated_at = now or utcnow()
    db.session.add(document)
    audit.tag(db.session, document, "external.created", document.number)
    db.session.flush()
    return document


def update_external_document(document: ExternalDocument, values: dict, *, actor,
                             now: datetime | None = None) -> ExternalDocument:
    """Correct an entry of the register (number, dates, status after a repeal, link, notes)."""
    _require_manage(actor)
    values = _clean_values(values)
    _validate(document, values)
    for key, value in values.items():
        setattr(document, key, value)
    document.search_key = search_key_of(document)
    document.updated_at = now or utcnow()
    audit.tag(db.session, document, "external.updated", document.number)
    db.session.flush()
    return document


# Amendments, replacements and the flags they raise ---------------------------------------------------


def update_due_on(effective_on: date) -> date:
    """The day by which the QMS must follow a legal change: its entry into force + three months."""
    return add_months(effective_on, int(current_app.config["EXTERNAL_UPDATE_MONTHS"]))


def _status_after(current: ExternalStatus, kind: RelationKind) -> ExternalStatus:
    # A text that is no longer in force stays so when an amendment to it is recorded later.
    if kind == RelationKind.REPLACES or current == ExternalStatus.EXPIRED:
        return ExternalStatus.EXPIRED
    return ExternalStatus.AMENDED


def documents_citing(external: ExternalDocument) -> list[Document]:
    """The internal documents in force whose effective revision cites *external*."""
    return list(db.session.scalars(
        select(Document).join(Revision, Revision.document_id == Document.id)
        .join(RevisionCitation, RevisionCitation.revision_id == Revision.id)
        .where(RevisionCitation.external_document_id == external.id, Revision.state == RevisionState.EFFECTIVE,
               Document.status != DocumentStatus.WITHDRAWN)
        .order_by(Document.code)).unique())


def _written_after(document: Document, day: date) -> bool:
    """True when the document's revision in force took effect on or after *day* (agency time)."""
    effective = db.session.scalar(select(Revision.effective_at).where(
        Revision.document_id == document.id, Revision.state == RevisionState.EFFECTIVE))
    return effective is not None and to_local(effective).date() >= day


def record_relation(source: ExternalDocument, target: ExternalDocument, kind, *, actor,
                    effective_on: date | None = None, now: datetime | None = None) -> ExternalRelation:
    """Record that *source* amends or replaces *target* from *effective_on* (default: the source's
    effective date), mark *target* amended or no longer in force, and flag every internal document
    whose effective revision cites *target*: it must be updated within three months.

    Recording the same relation again changes nothing and returns the existing one.
    """
    _require_manage(actor)
    kind = RelationKind(kind)
    if source.id == target.id:
        raise DomainError(_("A text cannot amend or replace itself."), field="target_id")
    existing = db.session.scalar(select(ExternalRelation).where(
        ExternalRelation.source_id == source.id, ExternalRelation.target_id == target.id,
        ExternalRelation.kind == kind))
    if existing is not None:
        return existing
    effective_on = effective_on or source.effective_on
    if effective_on is None:
        raise DomainError(_("Enter the date from which %(number)s applies: it has no effective date in the "
                            "register.", number=source.number), field="effective_on")
    now = now or utcnow()
    relation = ExternalRelation(source_id=source.id, target_id=target.id, kind=kind, effective_on=effective_on,
                                recorded_at=now, recorded_by_id=getattr(actor, "id", None))
    db.session.add(relation)
    summary = f"{source.number} {kind.value} {target.number} ({effective_on:%d/%m/%Y})"
    audit.tag(db.session, relation, f"external.{kind.value}", summary)
    new_status = _status_after(target.status, kind)
    if new_status != target.status:
        target.status = new_status
        audit.tag(db.session, target, "external.amended" if new_status == ExternalStatus.AMENDED
                  else "external.expired", summary)
    db.session.flush()
    due_on = update_due_on(effective_on)
    for document in documents_citing(target):
        if kind == RelationKind.AMENDS and _written_after(document, effective_on):
            continue  # its revision in force was written under the amended text already
        flag = UpdateFlag(document_id=document.id, relation_id=relation.id, raised_at=now, due_on=due_on)
        db.session.add(flag)
        audit.tag(db.session, flag, "update_flag.raised",
                  f"{document.code}: {summary}, due {due_on:%d/%m/%Y}")
    db.session.flush()
    return relation


def resolve_flags_for(document: Document, revision: Revision, *, now: datetime | None = None) -> list[UpdateFlag]:
    """Close the open flags of *document*: *revision*, which has just taken effect, answers them.

    Called by the documents workflow when a revision becomes effective.
    """
    if revision.document_id != document.id:
        raise DomainError(_("Revision %(numbering)s does not belong to %(code)s.",
                            numbering=revision.numbering, code=document.code))
    if revision.state != RevisionState.EFFECTIVE:
        raise Conflict(_("Only a revision in force resolves the update flags of its document."))
    now = now or utcnow()
    flags = db.session.scalars(select(UpdateFlag).where(UpdateFlag.document_id == document.id,
                                                        UpdateFlag.resolved_at.is_(None))).all()
    still_cited = set(db.session.scalars(select(RevisionCitation.external_document_id)
                                         .where(RevisionCitation.revision_id == revision.id)))
    answered = []
    for flag in flags:
        if flag.relation.kind == RelationKind.REPLACES and flag.relation.target_id in still_cited:
            continue  # the new revision still relies on the replaced text: the duty stays open
        answered.append(flag)
        flag.resolved_at = now
        flag.resolved_by_revision_id = revision.id
        audit.tag(db.session, flag, "update_flag.resolved", f"{document.code} {revision.numbering}")
    db.session.flush()
    return answered


@dataclass(frozen=True)
class OpenFlag:
    """An open flag as seen on a given day."""

    flag: UpdateFlag
    days_left: int  # negative when overdue

    @property
    def is_overdue(self) -> bool:
        return self.days_left < 0

    @property
    def tone(self) -> str:
        if self.is_overdue:
            return "danger"
        return "warning" if self.days_left <= 30 else "default"


def open_flags_query(document_id: int | None = None):
    """Open flags of documents not withdrawn, earliest due date (so overdue) first."""
    query = (select(UpdateFlag).join(Document, Document.id == UpdateFlag.document_id)
             .where(UpdateFlag.resolved_at.is_(None), Document.status != DocumentStatus.WITHDRAWN)
             .order_by(UpdateFlag.due_on, Document.code, UpdateFlag.id))
    if document_id is not None:
        query = query.where(UpdateFlag.document_id == document_id)
    return query


def open_flags(today: date, *, document_id: int | None = None, limit: int | None = None) -> list[OpenFlag]:
    """The "cần cập nhật" list on *today*: overdue flags first, then by due date."""
    query = open_flags_query(document_id)
    if limit is not None:
        query = query.limit(limit)
    return [OpenFlag(flag, (flag.due_on - today).days) for flag in db.session.scalars(query).unique()]


# Citations by internal revisions ------------------------------------------------------------------


def _require_citable(revision: Revision, actor) -> None:
    """References are part of the signed content: like the sections, they change only in a draft."""
    if not can_edit_citations(actor):
        raise Forbidden(_("You may not change the references of a revision."))
    if revision.state != RevisionState.DRAFT:
        raise Conflict(_("Revision %(numbering)s is signed or closed: its references can no longer change.",
                         numbering=revision.numbering))
    if not can_edit_revision(actor, revision):
        raise Forbidden(_("Only the drafter or the ISO secretary changes this draft."))


def cite(revision: Revision, external_document: ExternalDocument, *, actor, note: str = "") -> RevisionCitation:
    """Record that *revision* relies on *external_document* (tài liệu viện dẫn, căn cứ); citing twice
    only updates the note."""
    _require_citable(revision, actor)
    note = (note or "").strip()[:300]
    citation = db.session.scalar(select(RevisionCitation).where(
        RevisionCitation.revision_id == revision.id,
        RevisionCitation.external_document_id == external_document.id))
    if citation is None:
        citation = RevisionCitation(revision_id=revision.id, external_document_id=external_document.id, note=note)
        db.session.add(citation)
        audit.tag(db.session, citation, "external.cited", f"{revision.document.code} {revision.numbering} → "
                  f"{external_document.number}")
    else:
        citation.note = note
    db.session.flush()
    return citation


def uncite(revision: Revision, external_document: ExternalDocument, *, actor) -> bool:
    """Remove a reference from a revision still being drafted; False when it was not cited."""
    _require_citable(revision, actor)
    citation = db.session.scalar(select(RevisionCitation).where(
        RevisionCitation.revision_id == revision.id,
        RevisionCitation.external_document_id == external_document.id))
    if citation is None:
        return False
    audit.tag(db.session, citation, "external.uncited", f"{revision.document.code} {revision.numbering} → "
              f"{external_document.number}")
    db.session.delete(citation)
    db.session.flush()
    return True


# Reading ----------------------------------------------------------------------------------------------


def register_query(*, q: str = "", kind: str = "", status: str = ""):
    """The register filtered: every word of *q* must appear (diacritics and case ignored), newest first."""
    query = select(ExternalDocument)
    words = fold(q).split()[:10]
    for word in words:
        query = query.where(ExternalDocument.search_key.like(like_pattern(word), escape="\\"))
    if kind in {k.value for k in ExternalKind}:
        query = query.where(ExternalDocument.kind == ExternalKind(kind))
    if status in {s.value for s in ExternalStatus}:
        query = query.where(ExternalDocument.status == ExternalStatus(status))
    numbers = [word for word in words if any(ch.isdigit() for ch in word)]
    if numbers:  # "nghi dinh 61": the text numbered 61/... comes before those that merely mention it
        starts = ExternalDocument.search_key.like(like_pattern(numbers[0])[1:], escape="\\")
        query = query.order_by(case((starts, 0), else_=1))
    return query.order_by(ExternalDocument.issued_on.is_(None), ExternalDocument.issued_on.desc(),
                          ExternalDocument.number)


def relations_of(document: ExternalDocument) -> tuple[list[ExternalRelation], list[ExternalRelation]]:
    """(what *document* amends or replaces, what amends or replaces it), oldest effect first."""
    def query(column):
        return list(db.session.scalars(select(ExternalRelation).where(column == document.id)
                                       .order_by(ExternalRelation.effective_on, ExternalRelation.id)))

    return query(ExternalRelation.source_id), query(ExternalRelation.target_id)


def superseding_relations(document_ids) -> dict[int, list[ExternalRelation]]:
    """For a page of the register: target id → the relations that amend or replace it."""
    ids = list(document_ids)
    found: dict[int, list[ExternalRelation]] = {i: [] for i in ids}
    if not ids:
        return found
    for relation in db.session.scalars(select(ExternalRelation).where(ExternalRelation.target_id.in_(ids))
                                       .order_by(ExternalRelation.effective_on, ExternalRelation.id)):
        found[relation.target_id].append(relation)
    return found


def citations_of(external: ExternalDocument) -> list[tuple[RevisionCitation, Revision]]:
    """The revisions in force or in progress that cite *external*, in force first (obsolete ones left out)."""
    live = (RevisionState.EFFECTIVE, RevisionState.APPROVED, RevisionState.REVIEWED, RevisionState.SUBMITTED,
            RevisionState.DRAFT)
    rows = db.session.execute(
        select(RevisionCitation, Revision).join(Revision, Revision.id == RevisionCitation.revision_id)
        .join(Document, Document.id == Revision.document_id)
        .where(RevisionCitation.external_document_id == external.id, Revision.state.in_(live))
        .order_by(Document.code, Revision.id)).unique().all()
    return sorted(((c, r) for c, r in rows), key=lambda row: row[1].state != RevisionState.EFFECTIVE)


def flags_of_relations(relation_ids) -> list[UpdateFlag]:
    """Every flag (open or resolved) raised by these relations, by due date."""
    ids = list(relation_ids)
    if not ids:
        return []
    return list(db.session.scalars(select(UpdateFlag).where(UpdateFlag.relation_id.in_(ids))
                                   .order_by(UpdateFlag.due_on, UpdateFlag.id)).unique())


def resolved_flags(limit: int = 50) -> list[UpdateFlag]:
    """The flags resolved most recently, for the evidence that legal changes entered the QMS in time."""
    return list(db.session.scalars(select(UpdateFlag).where(UpdateFlag.resolved_at.is_not(None))
                                   .order_by(UpdateFlag.resolved_at.desc(), UpdateFlag.id.desc())
                                   .limit(limit)).unique())
