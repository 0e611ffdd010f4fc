"""The rows of a process-maps workbook checked against the catalogue and compared with what is recorded,
for ``processes.importers``: reads only (the units, the external register, the procedures and their
versions) and decides, per procedure, what an import would do. Every problem names its cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from processes import import_reading as read
from processes import queries
from processes.durations import compatible, duration_label
from processes.models import (AdministrativeProcedure, BranchKind, OnlineService, ProcedureLevel, ProcedureStatus,
                              ProcessVersion, StepKind, TimeUnit)
from processes.services import CODE_PATTERN, STEP_CODE_PATTERN
from processes.xlsx_layout import (BRANCH_KIND_WORDS, LEVEL_WORDS, LIST_SEPARATOR, ONLINE_WORDS, STATUS_WORDS,
                                   STEP_KIND_WORDS, STEPS, TIME_UNIT_WORDS)
from qms.documents.models import RevisionState
from qms.extensions import db
from qms.external_docs.models import ExternalDocument
from qms.org.models import Unit
from qms.permissions import can_edit_revision
from qms.text import fold

LEVEL, ONLINE, STATUS = read.chooser(LEVEL_WORDS), read.chooser(ONLINE_WORDS), read.chooser(STATUS_WORDS)
STEP_KIND, BRANCH_KIND, TIME = read.chooser(STEP_KIND_WORDS), read.chooser(BRANCH_KIND_WORDS), read.chooser(
    TIME_UNIT_WORDS)


@dataclass
class CatalogueRow:
    row: int
    code: str
    values: dict  # in the model's terms: minutes, enums, ids
    changes: list[str] = field(default_factory=list)  # the keys that differ from the recorded procedure


@dataclass
class ProcedureMap:
    """The steps and branches of one procedure in the file, and what importing them means."""

    code: str
    first_row: int
    step_rows: dict[str, int] = field(default_factory=dict)  # step code → sheet row
    steps: list[dict] = field(default_factory=list)
    branches: list[dict] = field(default_factory=list)
    failed: bool = False
    action: str = ""  # same | new | redraft
    procedure: AdministrativeProcedure | None = None
    version: ProcessVersion | None = None  # the draft to rewrite

    def signature(self) -> tuple:
        return (tuple((s["code"], s["name"], s["description"], s["unit_id"], s["performer"], s["kind"], s["minutes"],
                       s["unit"], s["output"]) for s in self.steps),
                tuple((b["kind"], b["from_step"], b["to_step"], b["party"], b["condition"], b["output"])
                      for b in self.branches))


def version_signature(version: ProcessVersion) -> tuple:
    """The recorded map in the terms of ``ProcedureMap.signature`` (text as the importer reads it)."""
    n = read.normal_text
    return (tuple((s.code, n(s.name), n(s.description), s.unit_id, n(s.performer), s.kind, s.allotted_minutes,
                   s.allotted_unit, n(s.output)) for s in version.steps),
            tuple((b.kind, b.from_step.code, b.to_step.code if b.to_step else "", n(b.party), n(b.condition),
                   n(b.output)) for b in version.branches))


class Planner:
    """Reads the sheets' rows into checked values and decides what each procedure needs."""

    def __init__(self, problems: read.Problems, actor):
        self.problems, self.actor = problems, actor
        self.units = {fold(u.code): u.id for u in db.session.scalars(select(Unit))}
        self.procedures = {p.code.lower(): p for p in db.session.scalars(select(AdministrativeProcedure))}
        self._register: dict[str, int] | None = None
        self.catalogue: dict[str, CatalogueRow] = {}
        self.listed: dict[str, int] = {}  # every code of the catalogue sheet → its row, valid or not
        self.maps: dict[str, ProcedureMap] = {}

    def read(self, catalogue, steps, branches) -> None:
        for sheet, read_row in ((catalogue, self._catalogue_row), (steps, self._step_row),
                                (branches, self._branch_row)):
            for number, cells in sheet.rows:
                read_row(read.RowReader(sheet, number, cells, self.problems))

    # Catalogue -------------------------------------------------------------------------------------------

    def _catalogue_row(self, r: read.RowReader) -> None:
        code = r.take("code", read.code, required=True)
        if code and not CODE_PATTERN.match(code):
            r.fail("code", _("Not a procedure code such as 1.004470 (letters, digits, dots and dashes)."))
        elif code and code.lower() in self.listed:
            r.fail("code", _("This procedure is already on row %(row)d of the sheet.", row=self.listed[code.lower()]))
        elif code:
            self.listed[code.lower()] = r.number
        values = {"name": r.take("name", required=True), "field": r.take("field", required=True),
                  "level": r.take("level", LEVEL) or ProcedureLevel.PROVINCIAL,
                  "fees": r.take("fees") or "", "accepts_in_person": bool(r.take("accepts_in_person", read.mark)),
                  "accepts_post": bool(r.take("accepts_post", read.mark)),
                  "online_service": r.take("online_service", ONLINE) or OnlineService.NONE,
                  "announcement_no": r.take("announcement_no", read.code) or "",
                  "announcement_on": r.take("announcement_on", read.day),
                  "internal_approval_no": r.take("internal_approval_no", read.code) or "",
                  "internal_approval_on": r.take("internal_approval_on", read.day),
                  "owner_unit_id": self._unit(r, "owner_unit"), "legal_basis_ids": self._legal_bases(r),
                  "status": r.take("status", STATUS) or ProcedureStatus.IN_FORCE,
                  "abolished_on": r.take("abolished_on", read.day), "notes": r.take("notes") or ""}
        self._limits(r, values)
        if values["status"] == ProcedureStatus.ABOLISHED and values["abolished_on"] is None:
            r.fail("abolished_on", _("An abolished procedure needs the date it was abolished."))
        elif values["status"] == ProcedureStatus.IN_FORCE and values["abolished_on"] is not None:
            r.fail("abolished_on", _("Only an abolished procedure has a date of abolition: clear it or set the status "
                                     "to abolished."))
        if r.failed:
            return
        row = CatalogueRow(r.number, code, values)
        procedure = self.procedures.get(code.lower())
        if procedure is not None:
            row.changes = [key for key, value in values.items() if _recorded(procedure, key) != value]
        self.catalogue[code.lower()] = row

    def _limits(self, r: read.RowReader, values: dict) -> None:
        legal_unit = r.take("legal_limit_unit", TIME) or TimeUnit.WORKING_DAYS
        legal = self._minutes(r, "legal_limit", r.take("legal_limit", read.amount, required=True), legal_unit)
        committed_amount = r.take("committed_limit", read.amount)
        committed_unit = (r.take("committed_limit_unit", TIME) or legal_unit) if committed_amount is not None else None
        committed = self._minutes(r, "committed_limit", committed_amount, committed_unit)
        values.update(legal_limit_minutes=legal, legal_limit_unit=legal_unit, committed_limit_minutes=committed,
                      committed_limit_unit=committed_unit if committed is not None else None)
        if legal is None or committed is None:
            return
        if not compatible(committed_unit, legal_unit):
            r.fail("committed_limit_unit", _("Working time and calendar days cannot be compared: give both limits in "
                                             "working days or hours, or both in calendar days."))
        elif committed > legal:
            r.fail("committed_limit", _("The committed limit is longer than the legal limit (%(legal)s).",
                                        legal=duration_label(legal, legal_unit)))

    def _minutes(self, r: read.RowReader, key: str, amount, unit) -> int | None:
        if amount is None or unit is None:
            return None
        try:
            return read.minutes_of(amount, unit)
        except read.Bad as bad:
            r.fail(key, bad.message)
            return None

    def _unit(self, r: read.RowReader, key: str) -> int | None:
        code = r.take(key, read.code)
        if code is None:
            return None
        unit_id = self.units.get(fold(code))
        if unit_id is None:
            r.fail(key, _("No unit has this code; the unit codes are listed in the sheet \"Hướng dẫn\" of the "
                          "template."))
        return unit_id

    def _legal_bases(self, r: read.RowReader) -> list[int]:
        cell = r.take("legal_bases")
        if not cell:
            return []
        if self._register is None:
            self._register = {fold(number): ident for ident, number in
                              db.session.execute(select(ExternalDocument.id, ExternalDocument.number))}
        ids = []
        for number in (part.strip() for part in LIST_SEPARATOR.split(cell)):
            ident = self._register.get(fold(number)) if number else None
            if number and ident is None:
                r.fail("legal_bases", _("%(number)s is not in the register of external documents: add it there "
                                        "first, or correct the number.", number=number), value=number)
            elif ident is not None and ident not in ids:
                ids.append(ident)
        return ids

    # Steps and branches ----------------------------------------------------------------------------------

    def _step_row(self, r: read.RowReader) -> None:
        code = r.take("code", read.code, required=True)
        if code and code.lower() not in self.listed and code.lower() not in self.procedures:
            r.fail("code", _("No procedure has this code, neither in the sheet \"Thủ tục\" nor in the catalogue."))
        step = (r.take("step", read.code, required=True) or "").upper()
        if step and not STEP_CODE_PATTERN.match(step):
            r.fail("step", _("Not a step code such as B1."))
        procedure_map = self.maps.setdefault(code.lower(), ProcedureMap(code, r.number)) if code else None
        if procedure_map is not None and step in procedure_map.step_rows:
            r.fail("step", _("The step %(step)s of %(code)s is already on row %(row)d.", step=step, code=code,
                             row=procedure_map.step_rows[step]))
        elif procedure_map is not None and step:
            procedure_map.step_rows[step] = r.number
        unit_id = self._unit(r, "unit")
        performer = r.take("performer") or ""
        if read.blank(r.cells.get("unit")) and not performer:
            r.fail("unit", _("Say who does the step: a unit code, or a performer in the next column."))
        row = {"code": step, "name": r.take("name", required=True), "description": r.take("description") or "",
               "unit_id": unit_id, "performer": performer, "kind": r.take("kind", STEP_KIND) or StepKind.OTHER,
               "unit": r.take("time_unit", TIME) or TimeUnit.WORKING_DAYS, "output": r.take("output") or ""}
        row["minutes"] = self._minutes(r, "amount", r.take("amount", read.amount, required=True), row["unit"])
        if procedure_map is not None:
            procedure_map.failed = procedure_map.failed or r.failed
            procedure_map.steps.append(row)

    def _branch_row(self, r: read.RowReader) -> None:
        code = r.take("code", read.code, required=True)
        kind = r.take("kind", BRANCH_KIND, required=True)
        source = (r.take("from_step", read.code, required=True) or "").upper()
        target = (r.take("to_step", read.code) or "").upper()
        procedure_map = self.maps.get(code.lower()) if code else None
        if code and procedure_map is None:
            r.fail("code", _("Branches are imported with the steps of their procedure: the sheet \"Quy trình\" has no "
                             "step of %(code)s.", code=code))
        elif procedure_map is not None:
            missing = _("The procedure %(code)s has no such step in the sheet \"Quy trình\".", code=code)
            if source and source not in procedure_map.step_rows:
                r.fail("from_step", missing)
            if kind == BranchKind.REFUSAL and target:
                r.fail("to_step", _("A refusal ends the dossier: leave this cell empty."))
            elif kind is not None and kind != BranchKind.REFUSAL:
                if target and target not in procedure_map.step_rows:
                    r.fail("to_step", missing)
                target = target or source  # back to the step it left (already checked)
            procedure_map.failed = procedure_map.failed or r.failed
            procedure_map.branches.append({"kind": kind, "from_step": source, "to_step": target,
                                           "party": r.take("party") or "", "condition": r.take("condition") or "",
                                           "output": r.take("output") or ""})

    # What each procedure needs -------------------------------------------------------------------------

    def decide(self) -> None:
        """Per procedure with steps in the file: unchanged, a new draft version, or its draft rewritten."""
        for key, procedure_map in self.maps.items():
            procedure, row = self.procedures.get(key), self.catalogue.get(key)
            status = row.values["status"] if row is not None else procedure.status
            procedure_map.procedure = procedure
            if procedure is not None:
                current, draft = queries.current_version(procedure), queries.draft_version(procedure)
                if any(v is not None and version_signature(v) == procedure_map.signature() for v in (current, draft)):
                    procedure_map.action = "same"
                    continue
            else:
                draft = None
            if status == ProcedureStatus.ABOLISHED:
                self._refuse(procedure_map, _("%(code)s is abolished: its process is no longer revised. Import it "
                                              "as in force, or leave its steps as they are.", code=procedure_map.code))
            elif draft is not None and draft.revision.state != RevisionState.DRAFT:
                self._refuse(procedure_map, _("Version %(no)d of %(code)s is awaiting review or approval (%(state)s): "
                                              "finish or return it before importing a change.", no=draft.version_no,
                                              code=procedure_map.code, state=draft.revision.state.label))
            elif draft is not None and not can_edit_revision(self.actor, draft.revision):
                self._refuse(procedure_map, _("Version %(no)d of %(code)s is a draft only its drafter or the ISO "
                                              "secretary may edit.", no=draft.version_no, code=procedure_map.code))
            else:
                procedure_map.action, procedure_map.version = ("redraft", draft) if draft is not None else ("new", None)

    def _refuse(self, procedure_map: ProcedureMap, message: str) -> None:
        self.problems.add(STEPS.name, procedure_map.first_row, STEPS.columns[0].header, procedure_map.code, message)


def _recorded(procedure: AdministrativeProcedure, key: str):
    """A catalogue value as recorded, in the terms the importer reads it (text normalised as cells are)."""
    if key == "legal_basis_ids":
        return [basis.external_document_id for basis in procedure.legal_bases]
    value = getattr(procedure, key)
    return read.normal_text(value) if isinstance(value, str) else value
