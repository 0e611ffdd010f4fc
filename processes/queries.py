"""Read-side questions about the catalogue and the process maps.

- ``catalogue_query``: the catalogue searched without diacritics, filtered by field and status;
- ``version_in_force``: the process version in force at an instant (later features measure every
  dossier against the version in force when it was received);
- ``compare_versions``: what changed between two versions, step by step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_, select

from processes.durations import duration_label
from processes.models import AdministrativeProcedure, ProcedureStatus, ProcessStep, ProcessVersion
from qms.documents.models import Revision, RevisionState
from qms.extensions import db
from qms.text import word_patterns
from qms.timeutil import agency_zone

#: Revision states of a version that was in force at some time.
ONCE_IN_FORCE = (RevisionState.EFFECTIVE, RevisionState.SUPERSEDED, RevisionState.WITHDRAWN)


def catalogue_query(*, q: str = "", field: str = "", status: str = ""):
    """The catalogue as a select: every word of *q* (diacritics ignored) in the code, name or field."""
    query = select(AdministrativeProcedure)
    for pattern in word_patterns(q):
        query = query.where(AdministrativeProcedure.search_key.like(pattern, escape="\\"))
    if field:
        query = query.where(AdministrativeProcedure.field == field)
    if status in {s.value for s in ProcedureStatus}:
        query = query.where(AdministrativeProcedure.status == ProcedureStatus(status))
    return query.order_by(AdministrativeProcedure.field, AdministrativeProcedure.code)


def fields() -> list[str]:
    """The fields (lĩnh vực) in use, for the filter."""
    return list(db.session.scalars(select(AdministrativeProcedure.field).distinct()
                                   .order_by(AdministrativeProcedure.field)))


def versions_of(procedure: AdministrativeProcedure) -> list[ProcessVersion]:
    return list(db.session.scalars(select(ProcessVersion).where(ProcessVersion.procedure_id == procedure.id)
                                   .order_by(ProcessVersion.version_no)))


def version_in_force(procedure_id: int, at: datetime) -> ProcessVersion | None:
    """The version whose revision was in force at the instant *at* (aware), or None."""
    return db.session.scalar(
        select(ProcessVersion).join(Revision, Revision.id == ProcessVersion.revision_id)
        .where(ProcessVersion.procedure_id == procedure_id, Revision.state.in_(ONCE_IN_FORCE),
               Revision.effective_at <= at, or_(Revision.ended_at.is_(None), Revision.ended_at > at))
        .order_by(Revision.effective_at.desc()).limit(1))


def version_in_force_on(procedure_id: int, day: date) -> ProcessVersion | None:
    """The version in force at the end of *day* in the agency's time zone (so a version taking effect
    during that day answers for it)."""
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=agency_zone()) - timedelta(microseconds=1)
    return version_in_force(procedure_id, end)


def current_version(procedure: AdministrativeProcedure) -> ProcessVersion | None:
    """The version in force now, or else the latest one (a first draft)."""
    in_force = db.session.scalar(
        select(ProcessVersion).join(Revision, Revision.id == ProcessVersion.revision_id)
        .where(ProcessVersion.procedure_id == procedure.id, Revision.state == RevisionState.EFFECTIVE))
    if in_force is not None:
        return in_force
    return db.session.scalar(
        select(ProcessVersion).join(Revision, Revision.id == ProcessVersion.revision_id)
        .where(ProcessVersion.procedure_id == procedure.id, Revision.state != RevisionState.CANCELLED)
        .order_by(ProcessVersion.version_no.desc()).limit(1))


def draft_version(procedure: AdministrativeProcedure) -> ProcessVersion | None:
    """The version being drafted, reviewed or awaiting its effective date, if any."""
    return db.session.scalar(
        select(ProcessVersion).join(Revision, Revision.id == ProcessVersion.revision_id)
        .where(ProcessVersion.procedure_id == procedure.id,
               Revision.state.in_([RevisionState.DRAFT, RevisionState.SUBMITTED, RevisionState.REVIEWED,
                                   RevisionState.APPROVED])))


# Comparing two versions ---------------------------------------------------------------------------

_COMPARED = ("name", "description", "unit", "performer", "kind", "time", "output")


@dataclass
class StepChange:
    code: str
    status: str  # added | removed | changed | same
    old: ProcessStep | None = None
    new: ProcessStep | None = None
    changed: list[str] = field(default_factory=list)  # the names of _COMPARED that differ


@dataclass
class VersionComparison:
    older: ProcessVersion
    newer: ProcessVersion
    steps: list[StepChange]
    old_total: str
    new_total: str

    @property
    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0, "same": 0}
        for change in self.steps:
            counts[change.status] += 1
        return counts


def _facts(step: ProcessStep) -> dict[str, object]:
    return {"name": step.name, "description": step.description, "unit": step.unit_id, "performer": step.performer,
            "kind": step.kind, "time": (step.allotted_minutes, step.allotted_unit), "output": step.output}


def compare_versions(older: ProcessVersion, newer: ProcessVersion) -> VersionComparison:
    """Steps matched by code: added, removed, changed (with the fields that differ) and unchanged."""
    old_steps = {s.code: s for s in older.steps}
    changes = []
    for step in newer.steps:
        before = old_steps.pop(step.code, None)
        if before is None:
            changes.append(StepChange(step.code, "added", new=step))
            continue
        old_facts, new_facts = _facts(before), _facts(step)
        changed = [name for name in _COMPARED if old_facts[name] != new_facts[name]]
        changes.append(StepChange(step.code, "changed" if changed else "same", before, step, changed))
    for code, step in old_steps.items():
        changes.append(StepChange(code, "removed", old=step))
    return VersionComparison(older, newer, changes, duration_label(older.total_minutes, older.limit_unit),
                             duration_label(newer.total_minutes, newer.limit_unit))


def versions_in_force_between(procedure_id: int, start: datetime, end: datetime) -> list[ProcessVersion]:
    """Every version in force at some instant of [start, end) (for reports over a period)."""
    return list(db.session.scalars(
        select(ProcessVersion).join(Revision, Revision.id == ProcessVersion.revision_id)
        .where(ProcessVersion.procedure_id == procedure_id, Revision.state.in_(ONCE_IN_FORCE),
               and_(Revision.effective_at < end, or_(Revision.ended_at.is_(None), Revision.ended_at > start)))
        .order_by(Revision.effective_at)))
