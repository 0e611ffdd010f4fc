"""Services of the TTHC catalogue and its process maps (ISO 9001:2008 clauses 4.1, 4.2.3, 7.5.1).

Plain functions ``verb_noun(obj, *, actor, now=None)``: they flush, never commit, raise domain
errors. A process version is content of a document revision: it is created by opening a
revision (``start_version``), edited while that revision is a draft (``replace_steps``) and
signed, put into force and superseded by the document workflow of ``qms.documents``.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from processes.durations import compatible, duration_label, require_minutes
from processes.models import (
    AdministrativeProcedure,
    BranchKind,
    OnlineService,
    ProcedureLegalBasis,
    ProcedureLevel,
    ProcedureStatus,
    ProcessBranch,
    ProcessStep,
    ProcessVersion,
    StepKind,
    TimeUnit,
)
from processes.permissions import can_draft_version, can_manage_catalogue
from qms.audit import log as audit
from qms.documents import services as documents
from qms.documents.models import ChangeKind, Document, DocumentKind, DocumentType, Revision, RevisionState
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.org.models import Unit
from qms.permissions import can_edit_revision
from qms.text import fold

CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,29}$")
STEP_CODE_PATTERN = re.compile(r"^[A-Za-z]{0,3}\d{1,3}[a-z]?$")

_TEXT_FIELDS = ("name", "field", "fees", "announcement_no", "internal_approval_no", "notes")


# Catalogue ------------------------------------------------------------------------------------------


def find_procedure(code: str) -> AdministrativeProcedure | None:
    return db.session.scalar(select(AdministrativeProcedure)
                             .where(func.lower(AdministrativeProcedure.code) == (code or "").strip().lower()))


def _apply_values(procedure: AdministrativeProcedure, values: dict) -> None:
    """Check and set the catalogue fields of *values* (only the keys present)."""
    for key in _TEXT_FIELDS:
        if key in values:
            setattr(procedure, key, (values[key] or "").strip())
    if not procedure.name:
        raise DomainError(_("The name of the procedure is required."), field="name")
    if not procedure.field:
        raise DomainError(_("The field (lĩnh vực) is required."), field="field")
    for key, enum in (("level", ProcedureLevel), ("online_service", OnlineService)):
        if key in values:
            setattr(procedure, key, enum(values[key]))
    for key in ("accepts_in_person", "accepts_post", "owner_unit_id", "announcement_on", "internal_approval_on"):
        if key in values:
            setattr(procedure, key, values[key])
    if "legal_limit" in values or "legal_limit_unit" in values:
        unit = TimeUnit(values.get("legal_limit_unit") or procedure.legal_limit_unit or TimeUnit.WORKING_DAYS)
        procedure.legal_limit_unit = unit
        procedure.legal_limit_minutes = require_minutes(values.get("legal_limit"), unit, field="legal_limit")
    if "committed_limit" in values:
        amount = values.get("committed_limit")
        if amount in (None, ""):
            procedure.committed_limit_minutes = procedure.committed_limit_unit = None
        else:
            unit = TimeUnit(values.get("committed_limit_unit") or procedure.legal_limit_unit)
            procedure.committed_limit_unit = unit
            procedure.committed_limit_minutes = require_minutes(amount, unit, field="committed_limit")
    _check_limits(procedure)
    procedure.search_key = fold(f"{procedure.code} {procedure.name} {procedure.field}")


def _check_limits(procedure: AdministrativeProcedure) -> None:
    if procedure.legal_limit_minutes is None:
        raise DomainError(_("The legal time limit is required."), field="legal_limit")
    if procedure.committed_limit_minutes is None:
        return
    if not compatible(procedure.committed_limit_unit, procedure.legal_limit_unit):
        raise DomainError(_("The committed limit is in %(unit)s but the legal limit in %(legal)s: working time and "
                            "calendar days cannot be compared.", unit=procedure.committed_limit_unit.label,
                            legal=procedure.legal_limit_unit.label), field="committed_limit")
    if procedure.committed_limit_minutes > procedure.legal_limit_minutes:
        raise DomainError(_("The committed limit (%(committed)s) is longer than the legal limit (%(legal)s).",
                            committed=duration_label(procedure.committed_limit_minutes,
                                                     procedure.committed_limit_unit),
                            legal=duration_label(procedure.legal_limit_minutes, procedure.legal_limit_unit)),
                          field="committed_limit")


def create_procedure(values: dict, *, actor) -> AdministrativeProcedure:
    """Add a procedure to the catalogue; its national code is unique."""
    if not can_manage_catalogue(actor):
        raise Forbidden(_("Only the ISO secretary keeps the catalogue of administrative procedures."))
    code = (values.get("code") or "").strip()
    if not CODE_PATTERN.match(code):
        raise DomainError(_("The code %(code)s is not a procedure code such as 1.004470.", code=code or "—"),
                          field="code")
    if find_procedure(code) is not None:
        raise Conflict(_("The procedure %(code)s is already in the catalogue.", code=code), field="code")
    procedure = AdministrativeProcedure(code=code, name="", field="", status=ProcedureStatus.IN_FORCE)
    _apply_values(procedure, values)
    db.session.add(procedure)
    db.session.flush()
    if "legal_basis_ids" in values:
        set_legal_bases(procedure, values["legal_basis_ids"], actor=actor)
    return procedure


def update_procedure(procedure: AdministrativeProcedure, values: dict, *, actor) -> AdministrativeProcedure:
    """Change the catalogue data of a procedure (its code never changes)."""
    if not can_manage_catalogue(actor):
        raise Forbidden(_("Only the ISO secretary keeps the catalogue of administrative procedures."))
    _apply_values(procedure, values)
    if "legal_basis_ids" in values:
        set_legal_bases(procedure, values["legal_basis_ids"], actor=actor)
    db.session.flush()
    for version in db.session.scalars(select(ProcessVersion).join(Revision, Revision.id == ProcessVersion.revision_id)
                                      .where(ProcessVersion.procedure_id == procedure.id,
                                             Revision.state == RevisionState.DRAFT)):
        refresh_limit(version)  # a draft follows the catalogue; a submitted one is returned if it must change
    return procedure


def set_legal_bases(procedure: AdministrativeProcedure, external_ids: list[int], *, actor) -> None:
    """The legal documents the procedure rests on, in the order given (from the external register)."""
    if not can_manage_catalogue(actor):
        raise Forbidden(_("Only the ISO secretary keeps the catalogue of administrative procedures."))
    wanted = list(dict.fromkeys(int(i) for i in external_ids))
    current = {basis.external_document_id: basis for basis in procedure.legal_bases}
    for basis in list(procedure.legal_bases):
        if basis.external_document_id not in wanted:
            procedure.legal_bases.remove(basis)
    db.session.flush()
    for position, external_id in enumerate(wanted):
        basis = current.get(external_id)
        if basis is None:
            procedure.legal_bases.append(ProcedureLegalBasis(external_document_id=external_id, position=position))
        elif basis.position != position:
            basis.position = position
    db.session.flush()


def abolish_procedure(procedure: AdministrativeProcedure, *, actor, on: date, reason: str = "") -> None:
    """Mark a procedure abolished (bãi bỏ) from a date; it stays in the catalogue with its history."""
    if not can_manage_catalogue(actor):
        raise Forbidden(_("Only the ISO secretary keeps the catalogue of administrative procedures."))
    if procedure.status == ProcedureStatus.ABOLISHED:
        raise Conflict(_("%(code)s is already abolished.", code=procedure.code))
    if on is None:
        raise DomainError(_("Give the date from which the procedure is abolished."), field="abolished_on")
    procedure.status, procedure.abolished_on = ProcedureStatus.ABOLISHED, on
    if reason.strip():
        procedure.notes = (procedure.notes + "\n" if procedure.notes else "") + reason.strip()
    audit.tag(db.session, procedure, "procedure.abolished", f"{procedure.code}: {reason.strip()[:200]}")
    db.session.flush()


def reinstate_procedure(procedure: AdministrativeProcedure, *, actor) -> None:
    """Undo an abolition recorded by mistake."""
    if not can_manage_catalogue(actor):
        raise Forbidden(_("Only the ISO secretary keeps the catalogue of administrative procedures."))
    procedure.status, procedure.abolished_on = ProcedureStatus.IN_FORCE, None
    db.session.flush()


# Versions -------------------------------------------------------------------------------------------


def version_of(revision: Revision) -> ProcessVersion | None:
    return db.session.scalar(select(ProcessVersion).where(ProcessVersion.revision_id == revision.id))


def procedure_of_document(document_id: int) -> AdministrativeProcedure | None:
    return db.session.scalar(select(AdministrativeProcedure).where(AdministrativeProcedure.document_id == document_id))


def _next_version_no(procedure: AdministrativeProcedure) -> int:
    return (db.session.scalar(select(func.max(ProcessVersion.version_no))
                              .where(ProcessVersion.procedure_id == procedure.id)) or 0) + 1


def procedure_document_title(procedure: AdministrativeProcedure) -> str:
    """ "Cấp giấy phép bưu chính" → "Quy trình cấp giấy phép bưu chính"."""
    name = procedure.name.strip()
    return f"Quy trình {name[:1].lower()}{name[1:]}" if name else "Quy trình"


def start_version(procedure: AdministrativeProcedure, *, actor, values: dict | None = None,
                  now: datetime | None = None) -> ProcessVersion:
    """Open the next process version of *procedure* as a draft revision of its procedure document.

    The first time, the controlled document (QT-xx) is created; afterwards an amendment is opened
    from the revision in force and its process map is copied into the new draft.
    """
    if not can_draft_version(actor):
        raise Forbidden(_("You may not draft process versions."))
    if procedure.status == ProcedureStatus.ABOLISHED:
        raise Conflict(_("%(code)s is abolished; its process is no longer revised.", code=procedure.code))
    values = values or {}
    if procedure.document_id is None:
        doc_type = db.session.scalar(select(DocumentType).where(DocumentType.kind == DocumentKind.PROCEDURE))
        document = documents.create_document({"type_id": doc_type.id, "code": values.get("document_code", ""),
                                              "title": procedure_document_title(procedure),
                                              "owner_unit_id": procedure.owner_unit_id}, actor=actor, now=now)
        procedure.document_id = document.id
        db.session.flush()
        return create_version(procedure, document.latest_revision, actor=actor)
    document = db.session.get(Document, procedure.document_id)
    pending = documents.revision_in_progress(document)
    if pending is not None:
        existing = version_of(pending)
        if existing is not None and pending.state == RevisionState.DRAFT:
            return existing
        raise Conflict(_("Revision %(numbering)s of %(code)s is in progress (%(state)s): finish or cancel it first.",
                         numbering=pending.numbering, code=document.code, state=pending.state.label))
    if documents.effective_revision_of(document) is None:
        raise Conflict(_("%(code)s has no revision in force yet: finish its first issue.", code=document.code))
    revision = documents.open_revision(document, ChangeKind(values.get("change_kind") or ChangeKind.AMENDMENT),
                                       actor=actor, values=values, now=now)
    version = version_of(revision)
    return version if version is not None else create_version(procedure, revision, actor=actor)


def create_version(procedure: AdministrativeProcedure, revision: Revision, *, actor) -> ProcessVersion:
    """An empty process version carried by the draft *revision*."""
    if revision.state != RevisionState.DRAFT:
        raise Conflict(_("A process version can only be added to a draft revision."))
    if version_of(revision) is not None:
        raise Conflict(_("This revision already carries a process version."))
    if procedure.document_id is None:
        procedure.document_id = revision.document_id
    elif procedure.document_id != revision.document_id:
        raise Conflict(_("The procedure %(code)s is described by another document.", code=procedure.code))
    version = ProcessVersion(procedure_id=procedure.id, revision_id=revision.id,
                             version_no=_next_version_no(procedure), limit_minutes=procedure.target_minutes,
                             limit_unit=procedure.target_unit)
    db.session.add(version)
    db.session.flush()
    return version


def copy_version(base: ProcessVersion, revision: Revision) -> ProcessVersion:
    """The map of *base* copied into a new draft revision, for editing there."""
    procedure = base.procedure
    version = ProcessVersion(procedure_id=procedure.id, revision_id=revision.id,
                             version_no=_next_version_no(procedure), limit_minutes=procedure.target_minutes,
                             limit_unit=procedure.target_unit, notes=base.notes)
    db.session.add(version)
    db.session.flush()
    _write_steps(version, [_step_values(s) for s in base.steps], [_branch_values(b) for b in base.branches])
    return version


def _step_values(step: ProcessStep) -> dict:
    return {"code": step.code, "name": step.name, "description": step.description, "unit_id": step.unit_id,
            "performer": step.performer, "kind": step.kind, "minutes": step.allotted_minutes,
            "unit": step.allotted_unit, "output": step.output}


def _branch_values(branch: ProcessBranch) -> dict:
    return {"kind": branch.kind, "from_step": branch.from_step.code,
            "to_step": branch.to_step.code if branch.to_step is not None else "", "party": branch.party,
            "condition": branch.condition, "output": branch.output}


def replace_steps(version: ProcessVersion, steps: list[dict], branches: list[dict] | None = None, *, actor,
                  notes: str | None = None) -> ProcessVersion:
    """Replace the steps (and branches) of a draft version with the rows given, checked row by row.

    A step row: code, name, description, unit_id, performer, kind, amount (or minutes), unit, output.
    A branch row: kind, from_step and to_step (step codes), party, condition, output.
    Errors name the row and the field; nothing is changed unless every row is right.
    """
    revision = version.revision
    if not can_edit_revision(actor, revision):
        if revision.state != RevisionState.DRAFT:
            raise Conflict(_("Only a draft can be edited; this revision is %(state)s. A change needs a new "
                             "version.", state=revision.state.label))
        raise Forbidden(_("Only the drafter or the ISO secretary edits this draft."))
    checked_steps = [_check_step(row, number) for number, row in enumerate(steps, start=1)]
    codes = [row["code"] for row in checked_steps]
    for number, code in enumerate(codes, start=1):
        if codes.index(code) != number - 1:
            raise DomainError(_("Step row %(n)d: the code %(code)s is used twice.", n=number, code=code),
                              field="steps")
    checked_branches = [_check_branch(row, number, set(codes)) for number, row in enumerate(branches or [], 1)]
    if notes is not None:
        version.notes = notes.strip()
    _write_steps(version, checked_steps, checked_branches)
    return version


def _check_step(row: dict, number: int) -> dict:
    where = _("Step row %(n)d", n=number)
    code = (row.get("code") or "").strip().upper()
    if not STEP_CODE_PATTERN.match(code):
        raise DomainError(_("%(where)s: the code %(code)s is not a step code such as B1.", where=where,
                            code=code or "—"), field="steps")
    name = (row.get("name") or "").strip()
    if not name:
        raise DomainError(_("%(where)s: the name of the step is required.", where=where), field="steps")
    unit_id = row.get("unit_id") or None
    performer = (row.get("performer") or "").strip()
    if unit_id is not None and db.session.get(Unit, int(unit_id)) is None:
        raise DomainError(_("%(where)s: the unit does not exist.", where=where), field="steps")
    if unit_id is None and not performer:
        raise DomainError(_("%(where)s: say who is responsible: a unit or a performer.", where=where),
                          field="steps")
    try:
        kind = StepKind(row.get("kind") or StepKind.OTHER)
        unit = TimeUnit(row.get("unit") or TimeUnit.WORKING_DAYS)
    except ValueError:
        raise DomainError(_("%(where)s: unknown step kind or time unit.", where=where), field="steps") from None
    minutes = row["minutes"] if row.get("minutes") is not None else \
        require_minutes(row.get("amount"), unit, field="steps", where=f"{where} ({code})")
    return {"code": code, "name": name, "description": (row.get("description") or "").strip(),
            "unit_id": int(unit_id) if unit_id is not None else None, "performer": performer, "kind": kind,
            "minutes": int(minutes), "unit": unit, "output": (row.get("output") or "").strip()}


def _check_branch(row: dict, number: int, codes: set[str]) -> dict:
    where = _("Branch row %(n)d", n=number)
    try:
        kind = BranchKind(row.get("kind"))
    except ValueError:
        raise DomainError(_("%(where)s: choose supplement request, refusal or consultation.", where=where),
                          field="branches") from None
    source = (row.get("from_step") or "").strip().upper()
    target = (row.get("to_step") or "").strip().upper()
    if source not in codes:
        raise DomainError(_("%(where)s: the step %(code)s does not exist.", where=where, code=source or "—"),
                          field="branches")
    if kind == BranchKind.REFUSAL and target:
        raise DomainError(_("%(where)s: a refusal ends the dossier; it returns to no step.", where=where),
                          field="branches")
    if kind != BranchKind.REFUSAL:
        target = target or source
        if target not in codes:
            raise DomainError(_("%(where)s: the step %(code)s does not exist.", where=where, code=target),
                              field="branches")
    return {"kind": kind, "from_step": source, "to_step": target, "party": (row.get("party") or "").strip(),
            "condition": (row.get("condition") or "").strip(), "output": (row.get("output") or "").strip()}


def _write_steps(version: ProcessVersion, steps: list[dict], branches: list[dict]) -> None:
    """Write checked rows, reusing existing step rows by position so that unchanged steps stay unchanged."""
    for branch in list(version.branches):
        version.branches.remove(branch)
    db.session.flush()
    existing = {step.position: step for step in version.steps}
    for step in existing.values():
        step.code = f"~{step.id}"  # free the codes first: B2 may become B3 in the same change
    db.session.flush()
    by_code: dict[str, ProcessStep] = {}
    for position, row in enumerate(steps):
        step = existing.pop(position, None) or ProcessStep(position=position)
        step.code, step.name, step.description = row["code"], row["name"], row["description"]
        step.unit_id, step.performer, step.kind = row["unit_id"], row["performer"], row["kind"]
        step.allotted_minutes, step.allotted_unit, step.output = row["minutes"], row["unit"], row["output"]
        if step.id is None:
            version.steps.append(step)
        by_code[row["code"]] = step
    for step in existing.values():
        version.steps.remove(step)
    db.session.flush()
    for position, row in enumerate(branches):
        version.branches.append(ProcessBranch(
            position=position, kind=row["kind"], from_step_id=by_code[row["from_step"]].id,
            to_step_id=by_code[row["to_step"]].id if row["to_step"] else None, party=row["party"],
            condition=row["condition"], output=row["output"]))
    db.session.flush()
    db.session.expire(version, ["steps", "branches"])


# Time limits -----------------------------------------------------------------------------------------


def time_problems(version: ProcessVersion, procedure: AdministrativeProcedure | None = None) -> list[str]:
    """What stops the version from being approved: its steps must add up to the limit, never past the legal one.

    Each message says by how much and where (the step at which the legal limit is passed).
    """
    procedure = procedure or version.procedure
    limit, limit_unit = version.limit_minutes, version.limit_unit
    problems = []
    if not version.steps:
        return [_("The process has no steps yet.")]
    for step in version.steps:
        if not compatible(step.allotted_unit, limit_unit):
            problems.append(_("Step %(code)s is counted in %(unit)s but the limit in %(limit)s: working time and "
                              "calendar days cannot be added up.", code=step.code, unit=step.allotted_unit.label,
                              limit=limit_unit.label))
    if problems:
        return problems
    total = version.total_minutes
    if compatible(limit_unit, procedure.legal_limit_unit) and total > procedure.legal_limit_minutes:
        running = 0
        for step in version.steps:
            running += step.allotted_minutes
            if running > procedure.legal_limit_minutes:
                problems.append(_("The steps add up to %(total)s, %(excess)s more than the legal limit of %(legal)s; "
                                  "the limit is passed at step %(code)s.",
                                  total=duration_label(total, limit_unit),
                                  excess=duration_label(total - procedure.legal_limit_minutes, limit_unit),
                                  legal=duration_label(procedure.legal_limit_minutes, procedure.legal_limit_unit),
                                  code=step.code))
                break
    if total != limit:
        difference = duration_label(abs(total - limit), limit_unit)
        steps = "; ".join(f"{s.code} {duration_label(s.allotted_minutes, s.allotted_unit)}" for s in version.steps)
        if total < limit:
            problems.append(_("The steps add up to %(total)s, %(difference)s less than the limit of %(limit)s "
                              "(%(steps)s).", total=duration_label(total, limit_unit), difference=difference,
                              limit=duration_label(limit, limit_unit), steps=steps))
        else:
            problems.append(_("The steps add up to %(total)s, %(difference)s more than the limit of %(limit)s "
                              "(%(steps)s).", total=duration_label(total, limit_unit), difference=difference,
                              limit=duration_label(limit, limit_unit), steps=steps))
    return problems


def refresh_limit(version: ProcessVersion) -> None:
    """While a draft, the version follows the procedure's current committed (or legal) limit."""
    procedure = version.procedure
    if version.revision.state == RevisionState.DRAFT and \
            (version.limit_minutes, version.limit_unit) != (procedure.target_minutes, procedure.target_unit):
        version.limit_minutes, version.limit_unit = procedure.target_minutes, procedure.target_unit
        db.session.flush()


def check_version_ready(version: ProcessVersion, action: str) -> None:
    """Refuse to submit or approve a version whose times do not add up; at approval, also one whose limit
    is no longer the procedure's (the catalogue changed after the drafter signed)."""
    procedure = version.procedure
    if action == "submit":
        refresh_limit(version)
    elif (version.limit_minutes, version.limit_unit) != (procedure.target_minutes, procedure.target_unit):
        raise DomainError(_("The limit of %(code)s changed to %(limit)s after this version was submitted (it counts "
                            "%(old)s): return it to the drafter to adjust the steps.", code=procedure.code,
                            limit=duration_label(procedure.target_minutes, procedure.target_unit),
                            old=duration_label(version.limit_minutes, version.limit_unit)))
    problems = time_problems(version, procedure)
    if problems and action == "submit":
        raise DomainError(_("Process version %(no)d of %(code)s cannot be submitted: %(problems)s",
                            no=version.version_no, code=procedure.code, problems=" ".join(problems)))
    if problems:
        raise DomainError(_("Process version %(no)d of %(code)s cannot be approved: %(problems)s",
                            no=version.version_no, code=procedure.code, problems=" ".join(problems)))
