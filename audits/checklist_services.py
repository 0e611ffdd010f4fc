"""Services of audit checklists (ISO 9001:2008 clause 8.2.2): build, add, answer, attach evidence; templates.

The team prepares the checklist before and during the audit (built from the scope and templates,
questions added by hand) and answers it while the audit is in progress: a result, evidence notes,
the dossier codes sampled (each must exist in the dossiers table) and attached files (checked by
content, as every upload). Services flush and never commit; every table is audited by the kernel.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from audits import clauses
from audits.checklist_builder import DraftQuestion, Period, build_questions
from audits.checklist_models import (
    ChecklistAttachment,
    ChecklistQuestion,
    ChecklistTemplate,
    ChecklistTemplateQuestion,
    QuestionResult,
    QuestionSource,
)
from audits.checklist_permissions import can_manage_templates, can_work_on, is_on_team
from audits.models import Audit
from processes.dossiers.models import Dossier
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.files.storage import OFFICE_KINDS, store_upload
from qms.permissions import Permission, has_permission
from qms.timeutil import utcnow

PREPARE_STATES = frozenset({"planned", "notified", "in_progress"})
#: A result that states a problem must say what was seen.
RESULTS_NEEDING_NOTES = frozenset({QuestionResult.NONCONFORMITY, QuestionResult.OBSERVATION})
_CODE_SEPARATORS = re.compile(r"[\s,;]+")


def questions_of(audit: Audit) -> list[ChecklistQuestion]:
    return list(db.session.scalars(select(ChecklistQuestion).where(ChecklistQuestion.audit_id == audit.id)
                                   .order_by(ChecklistQuestion.position)))


def can_prepare(user, audit: Audit) -> bool:
    """Build the checklist and add questions: the team or the audit keepers, until the audit is reported."""
    return audit.status in PREPARE_STATES and (is_on_team(user, audit)
                                               or has_permission(user, Permission.AUDITS_MANAGE))


def _require_prepare(audit: Audit, actor) -> None:
    if audit.status not in PREPARE_STATES:
        raise Conflict(_("The checklist of %(code)s can no longer change: the audit is %(state)s.",
                         code=audit.code, state=audit.status.label))
    if not can_prepare(actor, audit):
        raise Forbidden(_("Only the audit team or the audit keepers prepare the checklist of %(code)s.",
                          code=audit.code))


def _require_clause(code: str, field: str = "clause_code") -> str:
    code = (code or "").strip()
    if not clauses.is_clause(code):
        raise DomainError(_("Clause \"%(code)s\" is not a clause of ISO 9001:2008 (4 to 8).", code=code or "—"),
                          field=field)
    return code


def _next_position(audit: Audit) -> int:
    return (db.session.scalar(select(func.max(ChecklistQuestion.position))
                              .where(ChecklistQuestion.audit_id == audit.id)) or 0) + 1


def _key(clause_code, procedure_id, step_id, document_id, text) -> tuple:
    return clause_code, procedure_id, step_id, document_id, text.strip()


def build_checklist(audit: Audit, *, actor, template_ids=(), period: Period | None = None,
                    now: datetime | None = None) -> list[ChecklistQuestion]:
    """Add the questions of the audit's scope (clauses, TTHCs with their measured figures, QT-xx) and of the
    chosen templates. Questions already on the checklist are not added twice; returns the new ones."""
    _require_prepare(audit, actor)
    period = period or Period.year_before(audit.planned_start)
    procedures = [row.procedure for row in audit.process_rows if row.procedure is not None]
    documents = [row.document for row in audit.process_rows if row.document is not None]
    drafts = build_questions(clause_codes=audit.clause_codes, procedures=procedures, documents=documents,
                             period=period)
    sources = {id(d): (QuestionSource.PROCEDURE if d.procedure_id else QuestionSource.DOCUMENT if d.document_id
                       else QuestionSource.CLAUSE, None) for d in drafts}
    for ident in template_ids:
        template = db.session.get(ChecklistTemplate, int(ident))
        if template is None or not template.is_active:
            raise Conflict(_("This template is no longer in use."), field="templates")
        for item in template.questions:
            draft = DraftQuestion(item.clause_code, item.text, item.guidance)
            sources[id(draft)] = (QuestionSource.TEMPLATE, template.id)
            drafts.append(draft)
    existing = {_key(q.clause_code, q.procedure_id, q.step_id, q.document_id, q.text) for q in questions_of(audit)}
    position, added, now = _next_position(audit), [], now or utcnow()
    for draft in drafts:
        key = _key(draft.clause_code, draft.procedure_id, draft.step_id, draft.document_id, draft.text)
        if key in existing:
            continue
        existing.add(key)
        source, template_id = sources[id(draft)]
        question = ChecklistQuestion(
            audit_id=audit.id, position=position, source=source, clause_code=draft.clause_code,
            procedure_id=draft.procedure_id, step_id=draft.step_id, document_id=draft.document_id,
            template_id=template_id, text=draft.text, guidance=draft.guidance, evidence_hint=draft.evidence_hint,
            is_flagged=draft.is_flagged, created_by_id=actor.id, created_at=now)
        db.session.add(question)
        added.append(question)
        position += 1
    db.session.flush()
    return added


def add_question(audit: Audit, *, actor, clause_code: str, text: str, guidance: str = "",
                 procedure_id: int | None = None) -> ChecklistQuestion:
    """Add a question by hand, under a clause of the standard (and a TTHC of the scope, if given)."""
    _require_prepare(audit, actor)
    code = _require_clause(clause_code)
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write the question."), field="text")
    if procedure_id and procedure_id not in {row.procedure_id for row in audit.process_rows}:
        raise DomainError(_("This procedure is not in the audit's scope."), field="procedure_id")
    question = ChecklistQuestion(audit_id=audit.id, position=_next_position(audit), source=QuestionSource.MANUAL,
                                 clause_code=code, procedure_id=procedure_id or None, text=text,
                                 guidance=(guidance or "").strip(), created_by_id=actor.id)
    db.session.add(question)
    db.session.flush()
    return question


def _require_work(question: ChecklistQuestion, actor) -> Audit:
    audit = db.session.get(Audit, question.audit_id)
    if audit.status != "in_progress":
        raise Conflict(_("Questions are answered while the audit is in progress; %(code)s is %(state)s.",
                         code=audit.code, state=audit.status.label))
    if not can_work_on(actor, audit):
        raise Forbidden(_("Only the audit team of %(code)s answers its checklist.", code=audit.code))
    return audit


def parse_codes(text: str) -> list[str]:
    """Dossier codes typed one per line or separated by commas, in order, without repeats."""
    seen: dict[str, None] = {}
    for code in _CODE_SEPARATORS.split(text or ""):
        if code:
            seen.setdefault(code.strip(), None)
    return list(seen)


def check_dossier_codes(codes: list[str]) -> None:
    """Refuse codes that are not in the dossiers table, naming them."""
    if not codes:
        return
    known = set(db.session.scalars(select(Dossier.code).where(Dossier.code.in_(codes))))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise DomainError(_("No dossier has the code %(codes)s: check the sampled codes.", codes=", ".join(unknown)),
                          field="sampled_codes")


def answer_question(question: ChecklistQuestion, *, actor, result: str | None, notes: str = "",
                    sampled_codes: str = "", now: datetime | None = None) -> ChecklistQuestion:
    """Record a question's result, evidence notes and sampled dossier codes; an empty result leaves it open."""
    _require_work(question, actor)
    try:
        chosen = QuestionResult(result) if result else None
    except ValueError:
        raise DomainError(_("Choose a result."), field="result") from None
    notes = (notes or "").strip()
    if chosen in RESULTS_NEEDING_NOTES and not notes:
        raise DomainError(_("A nonconformity or an observation needs evidence notes: what was seen, where."),
                          field="notes")
    codes = parse_codes(sampled_codes)
    check_dossier_codes(codes)
    question.result, question.notes, question.sampled_codes = chosen, notes, "\n".join(codes)
    question.answered_by_id = actor.id if chosen else None
    question.answered_at = (now or utcnow()) if chosen else None
    db.session.flush()
    return question


def attach_evidence(question: ChecklistQuestion, file_storage, *, actor) -> ChecklistAttachment:
    """Attach a file of evidence (.docx, .xlsx, .pdf, .png, .jpg), checked by content and size."""
    _require_work(question, actor)
    stored, filename = store_upload(file_storage, actor=actor, allowed_kinds=OFFICE_KINDS)
    if any(item.file_id == stored.id for item in question.attachments):
        raise Conflict(_("%(name)s is already attached to this question.", name=filename), field="file")
    attachment = ChecklistAttachment(file_id=stored.id, filename=filename, uploaded_by_id=actor.id)
    question.attachments.append(attachment)
    db.session.flush()
    return attachment


def detach_evidence(question: ChecklistQuestion, attachment: ChecklistAttachment, *, actor) -> None:
    """Remove an attached file from a question (the stored bytes stay)."""
    _require_work(question, actor)
    if attachment.question_id != question.id:
        raise Conflict(_("This file is not attached to this question."))
    question.attachments.remove(attachment)
    db.session.flush()


# Templates ------------------------------------------------------------------------------------------------


def _require_templates(actor) -> None:
    if not can_manage_templates(actor):
        raise Forbidden(_("Only the audit keepers manage checklist templates."))


def create_template(*, actor, name: str, description: str = "") -> ChecklistTemplate:
    """A new, empty template; its name is unique."""
    _require_templates(actor)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the template a name."), field="name")
    if db.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.name == name)) is not None:
        raise Conflict(_("A template named \"%(name)s\" already exists.", name=name), field="name")
    template = ChecklistTemplate(name=name, description=(description or "").strip(), created_by_id=actor.id)
    db.session.add(template)
    db.session.flush()
    return template


def add_template_question(template: ChecklistTemplate, *, actor, clause_code: str, text: str,
                          guidance: str = "") -> ChecklistTemplateQuestion:
    """Add a question at the end of a template."""
    _require_templates(actor)
    code = _require_clause(clause_code)
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write the question."), field="text")
    position = max((q.position for q in template.questions), default=0) + 1
    question = ChecklistTemplateQuestion(clause_code=code, text=text, guidance=(guidance or "").strip(),
                                         position=position)
    template.questions.append(question)
    db.session.flush()
    return question


def remove_template_question(template: ChecklistTemplate, question: ChecklistTemplateQuestion, *, actor) -> None:
    _require_templates(actor)
    if question.template_id != template.id:
        raise Conflict(_("This question is not in this template."))
    template.questions.remove(question)
    db.session.flush()


def set_template_active(template: ChecklistTemplate, active: bool, *, actor) -> None:
    """Retire a template (kept for the checklists built from it) or bring it back."""
    _require_templates(actor)
    template.is_active = bool(active)
    db.session.flush()
