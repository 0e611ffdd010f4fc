"""Dossiers in progress that will be late within a few working hours (ISO 9001:2008 8.2.3, 8.5.3 preventive action).

A dossier in progress stands at a step: the one running (browser path) or the one after its last
finished step (imports record finished steps only). That step has a deadline in the dossier's plan,
the due date less the allotments of the steps after it (``timing.step_deadline``). The working time
left before it, on the agency's clock, says how urgent the dossier is: below the chosen number of
working hours it is at risk; below zero it is already late. Dossiers waiting for the applicant
(a supplement or a payment) are not counted: their clock is not the agency's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from sqlalchemy import Integer, any_, bindparam, select
from sqlalchemy.dialects import postgresql

from processes.dossiers.analysis import HOUR, Filters
from processes.dossiers.models import Channel, Dossier, DossierStatus, StepRun
from processes.dossiers.timing import clock_for
from processes.models import AdministrativeProcedure, ProcessStep
from qms.extensions import db

WATCHED = (int(DossierStatus.ACCEPTED), int(DossierStatus.IN_PROGRESS))


@dataclass
class AtRisk:
    dossier_id: int
    code: str
    procedure_code: str
    applicant: str
    step_code: str
    step_name: str
    unit_id: int | None
    step_deadline: datetime
    due_at: datetime
    left: float  # working time (units, 480 a day) from now to the step's deadline; negative: late

    @property
    def is_late(self) -> bool:
        return self.left < 0

    @property
    def hours_left(self) -> float:
        return self.left / HOUR


def dossiers_at_risk(filters: Filters | None, *, within_hours: float, now: datetime) -> list[AtRisk]:
    """The dossiers in progress whose current step is due within *within_hours* working hours (or overdue),
    the most urgent first. Columns only and the clock on whole arrays: thousands of open dossiers cost
    a few queries, not an object each."""
    query = select(Dossier.id, Dossier.code, Dossier.applicant_name, Dossier.convention, Dossier.version_id,
                   Dossier.due_at, AdministrativeProcedure.code.label("procedure_code")) \
        .join(AdministrativeProcedure, AdministrativeProcedure.id == Dossier.procedure_id) \
        .where(Dossier.status.in_(WATCHED), Dossier.due_at.is_not(None), Dossier.version_id.is_not(None))
    if filters is not None:
        if filters.procedure_id is not None:
            query = query.where(Dossier.procedure_id == filters.procedure_id)
        if filters.field:
            query = query.where(AdministrativeProcedure.field == filters.field)
        if filters.channel in {c.value for c in Channel}:
            query = query.where(Dossier.channel == Channel(filters.channel))
    dossiers = db.session.execute(query).all()
    if not dossiers:
        return []
    runs = _runs_of([d.id for d in dossiers])
    plans = _plans({d.version_id for d in dossiers})
    found = []
    for convention in {d.convention for d in dossiers}:
        clock = clock_for(convention)
        standing = []  # (dossier, step, the running step's recorded deadline or None, allotments after it)
        for dossier in dossiers:
            if dossier.convention != convention:
                continue
            current = plans[dossier.version_id].current(runs.get(dossier.id, []))
            if current is not None:
                standing.append((dossier, *current))
        if not standing:
            continue
        due = np.array([d.due_at.timestamp() for d, *_rest in standing])
        deadline_units = clock.clock_many(due) - np.array([after for *_rest, after in standing], dtype=np.float64)
        running = [i for i, (_d, _s, recorded, _a) in enumerate(standing) if recorded is not None]
        if running:
            deadline_units[running] = clock.clock_many(np.array([standing[i][2].timestamp() for i in running]))
        left = deadline_units - clock.clock(now)
        keep = np.flatnonzero(left < within_hours * HOUR)
        if filters is not None and filters.unit_id is not None:
            keep = np.array([i for i in keep if standing[i][1].unit_id == filters.unit_id], dtype=np.int64)
        if not len(keep):
            continue
        planned = clock.at_many(deadline_units[keep])
        for i, epoch in zip(keep.tolist(), planned.tolist()):
            dossier, step, recorded, _after = standing[i]
            deadline = recorded or datetime.fromtimestamp(epoch, tz=timezone.utc)
            found.append(AtRisk(dossier.id, dossier.code, dossier.procedure_code or "", dossier.applicant_name,
                                step.code, step.name, step.unit_id, deadline, dossier.due_at, float(left[i])))
    return sorted(found, key=lambda item: (item.left, item.code))


def _runs_of(ids: list[int]) -> dict[int, list]:
    """The step runs of the dossiers *ids* (all in progress), by dossier in order, through the index of
    (dossier, position): on PostgreSQL the ids as one array parameter (a join or ``IN (subquery)`` there reads
    the whole table), on SQLite the subquery of the dossiers in progress (no list of thousands of parameters)."""
    wanted = set(ids)
    runs: dict[int, list] = {}
    if db.session.get_bind().dialect.name == "postgresql":
        which = StepRun.dossier_id == any_(bindparam("ids", ids, type_=postgresql.ARRAY(Integer)))
    else:
        which = StepRun.dossier_id.in_(select(Dossier.id).where(Dossier.status.in_(WATCHED)))
    query = select(StepRun.dossier_id, StepRun.step_id, StepRun.finished_at.is_(None).label("running"),
                   StepRun.deadline_at) \
        .where(which).order_by(StepRun.dossier_id, StepRun.position)
    for row in db.session.execute(query):
        if row.dossier_id in wanted:
            runs.setdefault(row.dossier_id, []).append(row)
    return runs


def _plans(version_ids: set[int]) -> dict[int, _Plan]:
    """The plan of each version: the columns of its steps, in order (not the versions' objects and all they load)."""
    steps: dict[int, list] = {version_id: [] for version_id in version_ids}
    for row in db.session.execute(
            select(ProcessStep.version_id, ProcessStep.id, ProcessStep.code, ProcessStep.name, ProcessStep.unit_id,
                   ProcessStep.allotted_minutes)
            .where(ProcessStep.version_id.in_(version_ids)).order_by(ProcessStep.version_id, ProcessStep.position)):
        steps[row.version_id].append(row)
    return {version_id: _Plan(rows) for version_id, rows in steps.items()}


class _Plan:
    """A version's steps (id, code, name, unit_id, allotted_minutes), their positions and the allotments after each."""

    def __init__(self, steps: list):
        self.steps = steps
        self.index = {step.id: i for i, step in enumerate(self.steps)}
        allotted = [step.allotted_minutes for step in self.steps]
        self.after = [sum(allotted[i + 1:]) for i in range(len(allotted))]

    def current(self, runs: list):
        """(the step the dossier stands at, its recorded deadline when it is running, the allotments after it),
        or None when all are done."""
        if not self.steps:
            return None
        running = next((run for run in runs if run.running and run.step_id in self.index), None)
        if running is not None:
            i = self.index[running.step_id]
            return self.steps[i], running.deadline_at, self.after[i]
        done = [self.index[run.step_id] for run in runs if run.step_id in self.index]
        following = max(done) + 1 if done else 0
        return (self.steps[following], None, self.after[following]) if following < len(self.steps) else None
