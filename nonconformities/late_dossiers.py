"""Nonconformities raised by late dossiers by themselves (ISO 9001:2008 8.3, 8.2.4, 8.5.2).

Two rules, both set by the ISO secretary (``NonconformityRules``):

* a dossier finished late (``Dossier.timeliness = late``) is a nonconformity of its procedure at the
  step where it lost its time: among its step runs, the late one with the largest overrun (used
  working time over the allotment), or the one with the largest overrun when none is recorded late;
  the unit is that step's;
* a step run recorded late that used more than its allotment plus the margin (working hours; 0: any
  late step over its allotment) is a nonconformity of its procedure, step and unit. A step recorded
  late only because the steps before it ate its time is not held against it.

Grouping: a dossier is attached as evidence to the open nonconformity (not closed, rejected or
duplicate) raised from late dossiers for the same procedure and step within the grouping window;
only when there is none is one opened. A step is known by its procedure and its code (B3), so the
versions of a process map share their nonconformity. A flood of late dossiers therefore makes one
nonconformity per procedure and step with many pieces of evidence, not a thousand.

Idempotent: a dossier already attached to any late-dossier nonconformity of the same procedure and
step (closed ones included) is skipped, and the unique (nc_id, dossier_id) key makes a concurrent
second insert a no-op. Set-based: the candidates are read with two queries (a window function picks
each dossier's step), the open nonconformities with one, and only the new evidence rows are
inserted, in one statement; nothing loops over ORM rows of dossiers or step runs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from nonconformities.models import (
    ENDED_STATUSES,
    EvidenceKind,
    NcSource,
    Nonconformity,
    NonconformityEvidence,
    NonconformityRules,
)
from nonconformities.late_dossiers_rules import current_rules
from processes.dossiers.analysis import HOUR
from processes.dossiers.models import Dossier, StepRun, Timeliness
from processes.models import AdministrativeProcedure, ProcessStep
from qms.audit import log as audit
from qms.extensions import db
from qms.org.models import Unit
from qms.permissions import SYSTEM_ACTOR
from qms.timeutil import utcnow

#: Within this many units (about a minute) the used time equals the allotment (as ``timing.TOLERANCE``).
TOLERANCE = 1.0


@dataclass(frozen=True)
class Candidate:
    """A dossier that calls for a nonconformity at one step: the run that shows it and the step's unit."""

    dossier_id: int
    procedure_id: int
    step_id: int | None
    step_code: str
    run_id: int | None
    unit_id: int | None


@dataclass
class Summary:
    """What one pass did: the nonconformities opened (codes), the dossiers attached, to how many NCs."""

    opened: list[str] = field(default_factory=list)
    attached: int = 0
    nonconformities: set[int] = field(default_factory=set)
    without_unit: int = 0  # candidates skipped: neither the step nor the procedure names a unit

    def __str__(self) -> str:
        text = f"{len(self.opened)} nonconformity(ies) opened, {self.attached} late dossier(s) attached " \
               f"to {len(self.nonconformities)}"
        if self.opened:
            text += f": {', '.join(self.opened)}"
        if self.without_unit:
            text += f"; {self.without_unit} skipped (no unit on the step or the procedure)"
        return text


# Candidates -----------------------------------------------------------------------------------------


def _already_attached(dossier_id, procedure_id, step_code):
    """SQL: the dossier is evidence of a late-dossier NC of this procedure and step code (any status)."""
    nc_step = ProcessStep.__table__.alias("nc_step")
    evidence, nc = NonconformityEvidence.__table__, Nonconformity.__table__
    return exists(
        select(literal(1)).select_from(evidence.join(nc, nc.c.id == evidence.c.nc_id)
                                       .outerjoin(nc_step, nc_step.c.id == nc.c.step_id))
        .where(evidence.c.dossier_id == dossier_id, nc.c.source == NcSource.LATE_DOSSIER.value,
               nc.c.procedure_id == procedure_id,
               func.coalesce(nc_step.c.code, "").is_not_distinct_from(func.coalesce(step_code, ""))))


def _unit_of(run_unit, step_unit, owner_unit):
    return func.coalesce(run_unit, step_unit, owner_unit)


def late_dossier_candidates(since: datetime | None) -> list[Candidate]:
    """Late dossiers not yet attached for their step: one row each, with the step where they lost the time."""
    runs, dossiers, steps = StepRun.__table__, Dossier.__table__, ProcessStep.__table__
    procedures = AdministrativeProcedure.__table__
    overrun = runs.c.used_units - runs.c.allotted_units
    rank = func.row_number().over(
        partition_by=dossiers.c.id,
        order_by=(case((runs.c.result == Timeliness.LATE.value, 0), else_=1), overrun.desc().nulls_last(),
                  runs.c.position)).label("rank")
    conditions = [dossiers.c.timeliness == Timeliness.LATE.value, dossiers.c.procedure_id.is_not(None)]
    if since is not None:
        conditions.append(dossiers.c.received_at >= since)
    ranked = (select(dossiers.c.id.label("dossier_id"), dossiers.c.procedure_id, runs.c.step_id,
                     steps.c.code.label("step_code"), runs.c.id.label("run_id"),
                     _unit_of(runs.c.unit_id, steps.c.unit_id, procedures.c.owner_unit_id).label("unit_id"), rank)
              .select_from(dossiers.join(procedures, procedures.c.id == dossiers.c.procedure_id)
                           .outerjoin(runs, and_(runs.c.dossier_id == dossiers.c.id, runs.c.step_id.is_not(None),
                                                 runs.c.used_units.is_not(None)))
                           .outerjoin(steps, steps.c.id == runs.c.step_id))
              .where(*conditions).subquery())
    query = select(ranked.c.dossier_id, ranked.c.procedure_id, ranked.c.step_id, ranked.c.step_code,
                   ranked.c.run_id, ranked.c.unit_id).where(
        ranked.c.rank == 1, ~_already_attached(ranked.c.dossier_id, ranked.c.procedure_id, ranked.c.step_code))
    return [Candidate(row.dossier_id, row.procedure_id, row.step_id, row.step_code or "", row.run_id, row.unit_id)
            for row in db.session.execute(query)]


def late_step_candidates(since: datetime | None, margin_hours: int) -> list[Candidate]:
    """Step runs recorded late that used more than their allotment plus the margin, not yet attached."""
    runs, dossiers, steps = StepRun.__table__, Dossier.__table__, ProcessStep.__table__
    procedures = AdministrativeProcedure.__table__
    conditions = [runs.c.result == Timeliness.LATE.value, runs.c.step_id.is_not(None),
                  dossiers.c.procedure_id.is_not(None),
                  runs.c.used_units - runs.c.allotted_units > margin_hours * HOUR + TOLERANCE]
    if since is not None:
        conditions.append(dossiers.c.received_at >= since)
    query = (select(runs.c.dossier_id, dossiers.c.procedure_id, runs.c.step_id, steps.c.code.label("step_code"),
                    runs.c.id.label("run_id"),
                    _unit_of(runs.c.unit_id, steps.c.unit_id, procedures.c.owner_unit_id).label("unit_id"))
             .select_from(runs.join(dossiers, dossiers.c.id == runs.c.dossier_id)
                          .join(procedures, procedures.c.id == dossiers.c.procedure_id)
                          .join(steps, steps.c.id == runs.c.step_id))
             .where(*conditions, ~_already_attached(runs.c.dossier_id, dossiers.c.procedure_id, steps.c.code))
             .order_by(runs.c.dossier_id, runs.c.position))
    return [Candidate(row.dossier_id, row.procedure_id, row.step_id, row.step_code, row.run_id, row.unit_id)
            for row in db.session.execute(query)]


# Raising --------------------------------------------------------------------------------------------


def _open_nonconformities(keys: set[tuple[int, str]], window_days: int, now: datetime) -> dict[tuple[int, str], int]:
    """The newest open late-dossier NC raised within the window for each (procedure, step code) of *keys*."""
    if not keys:
        return {}
    procedures = sorted({procedure_id for procedure_id, _code in keys})
    rows = db.session.execute(
        select(Nonconformity.id, Nonconformity.procedure_id, func.coalesce(ProcessStep.code, "").label("code"))
        .outerjoin(ProcessStep, ProcessStep.id == Nonconformity.step_id)
        .where(Nonconformity.source == NcSource.LATE_DOSSIER, Nonconformity.procedure_id.in_(procedures),
               Nonconformity.status.not_in([status.value for status in ENDED_STATUSES]),
               Nonconformity.raised_at >= now - timedelta(days=window_days))
        .order_by(Nonconformity.raised_at, Nonconformity.id))
    return {(row.procedure_id, row.code): row.id for row in rows if (row.procedure_id, row.code) in keys}


def raise_from_late_dossiers(*, now: datetime, since: datetime | None = None, actor=None) -> Summary:
    """Attach every late dossier not yet attached to the open NC of its procedure and step, or open one.

    *since* narrows the pass to the dossiers received from then on (an import's received range);
    None looks at every dossier (the job that catches what a hook missed). *actor* None: the system.
    Flushes, never commits.
    """
    rules = current_rules()
    summary = Summary()
    groups: dict[tuple[int, str], dict[int, Candidate]] = defaultdict(dict)
    found = []
    if rules.raise_on_late_dossier:
        found += late_dossier_candidates(since)
    if rules.raise_on_late_step:
        found += late_step_candidates(since, rules.late_step_margin_hours)
    for candidate in found:
        groups[(candidate.procedure_id, candidate.step_code)].setdefault(candidate.dossier_id, candidate)
    if not groups:
        return summary
    targets = _open_nonconformities(set(groups), rules.grouping_window_days, now)
    rows = []
    for key, by_dossier in sorted(groups.items()):
        if key not in targets:
            nc = _open_for(list(by_dossier.values()), rules, now=now, actor=actor)
            if nc is None:
                summary.without_unit += len(by_dossier)
                continue
            targets[key] = nc.id
            summary.opened.append(nc.code)
        rows += [{"nc_id": targets[key], "kind": EvidenceKind.DOSSIER.value, "dossier_id": c.dossier_id,
                  "step_run_id": c.run_id, "text": "", "filename": "", "added_by_id": getattr(actor, "id", None),
                  "added_at": now} for c in by_dossier.values()]
    summary.attached = _insert_evidence(rows)
    summary.nonconformities = {row["nc_id"] for row in rows}
    if summary.attached or summary.opened:
        audit.record(db.session, "nonconformities.late_dossiers", object_type="nonconformities",
                     summary=str(summary))
    return summary


def _insert_evidence(rows: list[dict]) -> int:
    """Insert the evidence rows in one statement; a row already there (a concurrent pass) is skipped."""
    if not rows:
        return 0
    db.session.flush()
    table = NonconformityEvidence.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql_insert(table).on_conflict_do_nothing(index_elements=["nc_id", "dossier_id"])
    elif dialect == "sqlite":
        statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=["nc_id", "dossier_id"])
    else:
        statement = insert(table)
    result = db.session.execute(statement, rows)
    return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)


def _open_for(candidates: list[Candidate], rules: NonconformityRules, *, now: datetime, actor):
    """Open the nonconformity of one procedure and step for *candidates* (its first late dossiers)."""
    from nonconformities.services import raise_nonconformity

    first = candidates[0]
    unit_id = next((c.unit_id for c in candidates if c.unit_id is not None), None)
    if unit_id is None:
        return None
    procedure = db.session.get(AdministrativeProcedure, first.procedure_id)
    step = db.session.get(ProcessStep, first.step_id) if first.step_id is not None else None
    unit = db.session.get(Unit, unit_id)
    codes = list(db.session.scalars(select(Dossier.code).where(
        Dossier.id.in_([c.dossier_id for c in candidates[:5]])).order_by(Dossier.code)))
    title, description = _texts(procedure, step, unit, len(candidates), codes)
    return raise_nonconformity(source=NcSource.LATE_DOSSIER, title=title, description=description,
                               severity=rules.default_severity, unit=unit, procedure=procedure, step=step,
                               clause="8.2.4", source_ref=procedure.code, actor=actor or SYSTEM_ACTOR,
                               now=now)


def _texts(procedure, step, unit, count: int, codes: list[str]) -> tuple[str, str]:
    """The title and description of a new late-dossier nonconformity, in the agency's language."""
    where = f"{step.code} {step.name}" if step is not None else _("no mapped step")
    title = _("Late dossiers: %(procedure)s, step %(step)s", procedure=procedure.name, step=where)
    description = _("Raised automatically: %(count)d dossier(s) of the procedure %(code)s %(procedure)s were "
                    "late at step %(step)s (unit: %(unit)s), e.g. %(examples)s. Later late dossiers of this step "
                    "are attached to this nonconformity as evidence.", count=count, code=procedure.code,
                    procedure=procedure.name, step=where, unit=unit.name, examples=", ".join(codes))
    return title[:300], description


def raise_after_recording(since: datetime) -> None:
    """The listener of recorded dossiers (``processes.dossiers.recorded``): late ones raise or join
    nonconformities, as the system."""
    with audit.acting_as(audit.Actor.system("nonconformities:late-dossiers")):
        raise_from_late_dossiers(now=utcnow(), since=since)
