"""Importing the TTHC catalogue and its process maps from an .xlsx workbook (ISO 9001:2008 clauses 4.2.3,
7.5.1), all or nothing.

``import_workbook`` reads the whole file first and collects every problem (sheet, row, column, value,
rule); if there is one, nothing is written. Otherwise, inside one savepoint: new procedures are added,
changed catalogue rows updated, and each procedure whose map in the file differs from its current
version gets a new draft version (or its draft in progress is rewritten): an approved version is never
edited. A re-import of the same file changes nothing and the report says so. The caller commits.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import select

from processes import services
from processes.import_reading import ImportProblem, Problems, TooManyProblems, find_sheet, open_workbook, read_sheet
from processes.import_rows import Planner, ProcedureMap
from processes.models import ProcedureStatus
from processes.permissions import can_import_maps
from processes.xlsx_layout import BRANCHES, CATALOGUE, DATA_SHEETS, STEPS
from qms.audit import log as audit
from qms.documents.models import DocumentKind, DocumentType
from qms.errors import DomainError, Forbidden
from qms.extensions import db
from qms.files.storage import UploadRefused, check_kind, sanitise_filename

MAX_BYTES = 20 * 1024 * 1024

__all__ = ["ImportProblem", "ImportReport", "import_workbook"]


@dataclass(frozen=True)
class DraftedVersion:
    code: str
    procedure_id: int
    version_id: int
    version_no: int
    is_new: bool  # a new version; False: the draft in progress was rewritten


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do), or the problems that stopped it."""

    filename: str
    dry_run: bool = False
    problems: list[ImportProblem] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    drafted: list[DraftedVersion] = field(default_factory=list)
    maps_unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.drafted)

    def summary(self) -> str:
        if not self.ok:
            return _("%(count)d errors: nothing was imported.", count=len(self.problems))
        if not self.changed:
            return _("The file changes nothing: it matches the data already recorded.")
        new = sum(1 for d in self.drafted if d.is_new)
        return _("Procedures: %(created)d added, %(updated)d updated, %(unchanged)d unchanged. Process maps: "
                 "%(new)d new draft versions, %(rewritten)d drafts rewritten, %(same)d unchanged.",
                 created=len(self.created), updated=len(self.updated), unchanged=len(self.unchanged), new=new,
                 rewritten=len(self.drafted) - new, same=len(self.maps_unchanged))

    def lines(self) -> list[str]:
        """The report as text lines (the CLI prints them)."""
        lines = [str(p) for p in self.problems] + [self.summary()]
        lines += [_("Draft version %(no)d of %(code)s.", no=d.version_no, code=d.code) for d in self.drafted]
        lines += self.warnings
        if self.dry_run and self.ok:
            lines.append(_("Check only: nothing was written."))
        return lines


def import_workbook(source, filename: str = "", *, actor, dry_run: bool = False,
                    now: datetime | None = None) -> ImportReport:
    """Import the catalogue and process maps of an .xlsx workbook (bytes or a binary stream) as *actor*.

    Every problem of the file is reported and then nothing is written; otherwise the changes are made in
    a savepoint (rolled back for a dry run) and the caller commits.
    """
    if not can_import_maps(actor):
        raise Forbidden(_("Only the ISO secretary imports process maps."))
    data = source if isinstance(source, bytes) else source.read(MAX_BYTES + 1)
    filename = sanitise_filename(filename) or "quy-trinh.xlsx"
    report = ImportReport(filename=filename, dry_run=dry_run)
    problems = Problems()
    planner = None
    try:
        if _readable(data, filename, problems):
            planner = _read(data, problems, actor)
    except TooManyProblems:
        pass
    if problems or planner is None:
        report.problems = list(problems)
        return report
    _apply(planner, report, actor=actor, now=now)
    return report


def _readable(data: bytes, filename: str, problems: Problems) -> bool:
    """The upload is an .xlsx workbook by its content (a renamed text or Word file is refused), of sane size."""
    if len(data) > MAX_BYTES:
        problems.add("", None, "", filename, _("The file is larger than %(size)d MB; a catalogue workbook is far "
                                               "smaller.", size=MAX_BYTES // (1024 * 1024)))
        return False
    if not data:
        problems.add("", None, "", filename, _("The file is empty."))
        return False
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        check_kind(path, filename, {"xlsx"})
    except UploadRefused as refused:
        problems.add("", None, "", filename, refused.message)
        return False
    finally:
        os.unlink(path)
    return True


def _read(data: bytes, problems: Problems, actor) -> Planner | None:
    """Read every sheet and check every row; the planner says what each procedure needs (None: unreadable)."""
    try:
        workbook = open_workbook(data)
    except Exception:  # openpyxl raises many kinds for a damaged package
        problems.add("", None, "", "", _("The file cannot be read as an Excel workbook: open it in Excel and save "
                                         "it again as .xlsx."))
        return None
    try:
        sheets = {layout.name: find_sheet(workbook, layout) for layout in DATA_SHEETS}
        for name in (name for name, sheet in sheets.items() if sheet is None):
            problems.add(name, None, "", "", _("The sheet \"%(sheet)s\" is missing: the workbook must have the sheets "
                                               "of the template (%(sheets)s).", sheet=name, sheets=", ".join(sheets)))
        if problems:
            return None
        read = {layout.name: read_sheet(sheets[layout.name], layout, problems) for layout in DATA_SHEETS}
    finally:
        workbook.close()
    if problems:
        return None
    planner = Planner(problems, actor)
    planner.read(read[CATALOGUE.name], read[STEPS.name], read[BRANCHES.name])
    if not problems and not planner.catalogue and not planner.maps:
        problems.add("", None, "", "", _("There is nothing to import: the sheets have headers but no rows."))
    if not problems:
        planner.decide()
        _check_document_type(planner, problems)
    return planner


def _check_document_type(planner: Planner, problems: Problems) -> None:
    needs_document = [m for m in planner.maps.values() if m.action == "new"
                      and (m.procedure is None or m.procedure.document_id is None)]
    if needs_document and db.session.scalar(select(DocumentType.id)
                                            .where(DocumentType.kind == DocumentKind.PROCEDURE)) is None:
        problems.add(STEPS.name, needs_document[0].first_row, STEPS.columns[0].header, needs_document[0].code,
                     _("No document type for procedures is set up, so no procedure document can be created: an "
                       "administrator must add it first."))


# Applying -------------------------------------------------------------------------------------------


def _apply(planner: Planner, report: ImportReport, *, actor, now: datetime | None) -> None:
    where = ("", None, "")
    savepoint = db.session.begin_nested()
    try:
        for row in planner.catalogue.values():
            where = (CATALOGUE.name, row.row, row.code)
            _apply_catalogue_row(planner, row, report, actor=actor)
        for procedure_map in planner.maps.values():
            where = (STEPS.name, procedure_map.first_row, procedure_map.code)
            _apply_map(planner, procedure_map, report, actor=actor, now=now)
        if report.changed and not report.dry_run:
            audit.record(db.session, "processes.import", object_type="administrative_procedures",
                         summary=f"{report.filename}: {report.summary()}"[:500],
                         after={"created": report.created, "updated": report.updated,
                                "versions": [[d.code, d.version_no] for d in report.drafted]})
    except DomainError as error:  # a rule only the services know: still all or nothing
        savepoint.rollback()
        sheet, row, code = where
        report.created, report.updated, report.unchanged, report.drafted, report.maps_unchanged = [], [], [], [], []
        report.warnings = []
        report.problems = [ImportProblem(sheet, row, STEPS.columns[0].header if row else "", code, error.message)]
        return
    if report.dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()


def _apply_catalogue_row(planner: Planner, row, report: ImportReport, *, actor) -> None:
    procedure = planner.procedures.get(row.code.lower())
    status, abolished_on = row.values["status"], row.values["abolished_on"]
    if procedure is None:
        procedure = services.create_procedure({"code": row.code, **_service_values(row.values, row.values)},
                                              actor=actor)
        planner.procedures[row.code.lower()] = procedure
        if status == ProcedureStatus.ABOLISHED:
            services.abolish_procedure(procedure, actor=actor, on=abolished_on)
        report.created.append(row.code)
        return
    if not row.changes:
        report.unchanged.append(row.code)
        return
    values = _service_values(row.values, row.changes)
    if values:
        services.update_procedure(procedure, values, actor=actor)
    if "status" in row.changes and status == ProcedureStatus.IN_FORCE:
        services.reinstate_procedure(procedure, actor=actor)
    elif "status" in row.changes:
        services.abolish_procedure(procedure, actor=actor, on=abolished_on)
    elif "abolished_on" in row.changes:
        procedure.abolished_on = abolished_on  # a corrected date of abolition; the audit log keeps the old one
        db.session.flush()
    report.updated.append(row.code)


def _service_values(values: dict, keys) -> dict:
    """Catalogue values as the services take them, for the *keys* that changed."""
    result = {}
    for key in keys:
        if key in ("legal_limit_minutes", "legal_limit_unit"):
            unit = values["legal_limit_unit"]
            result.update(legal_limit=Fraction(values["legal_limit_minutes"], unit.minutes),
                          legal_limit_unit=unit.value)
        elif key in ("committed_limit_minutes", "committed_limit_unit"):
            unit = values["committed_limit_unit"]
            result.update(committed_limit=Fraction(values["committed_limit_minutes"], unit.minutes) if unit else None,
                          committed_limit_unit=unit.value if unit else None)
        elif key in ("level", "online_service"):
            result[key] = values[key].value
        elif key not in ("status", "abolished_on"):
            result[key] = values[key]
    return result


def _apply_map(planner: Planner, procedure_map: ProcedureMap, report: ImportReport, *, actor,
               now: datetime | None) -> None:
    if procedure_map.action == "same":
        report.maps_unchanged.append(procedure_map.code)
        return
    procedure = procedure_map.procedure or planner.procedures[procedure_map.code.lower()]
    version = procedure_map.version
    if version is None:
        version = services.start_version(procedure, actor=actor, now=now, values={
            "change_summary": _("Imported from the file %(name)s", name=report.filename)})
    services.replace_steps(version, procedure_map.steps, procedure_map.branches, actor=actor)
    services.refresh_limit(version)
    report.warnings += [f"{procedure.code} v{version.version_no}: {problem}"
                        for problem in services.time_problems(version, procedure)]
    report.drafted.append(DraftedVersion(procedure.code, procedure.id, version.id, version.version_no,
                                         is_new=procedure_map.version is None))

