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
from datetime import datetime

from sqlalchemy import select

from processes.dossiers.analysis import HOUR, Filters
from processes.dossiers.models import Channel, Dossier, DossierStatus, StepRun
from processes.dossiers.timing import clock_for
from processes.models import AdministrativeProcedure, ProcessVersion
from qms.extensions import db

WATCHED = (int(DossierStatus.ACCEPTED), int(DossierStatus.IN_PROGRESS))
CHUNK = 900


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
    """The dossiers in progress whose current step is due within *within_hours* working hours (or overdue)."""
    query = select(Dossier).join(AdministrativeProcedure, AdministrativeProcedure.id == Dossier.procedure_id) \
        .where(Dossier.status.in_(WATCHED), Dossier.due_at.is_not(None), Dossier.version_id.is_not(None))
    if filters is not None:
        if filters.procedure_id is not None:
            query = query.where(Dossier.procedure_id == filters.procedure_id)
        if filters.field:
            query = query.where(AdministrativeProcedure.field == filters.field)
        if filters.channel in {c.value for c in Channel}:
            query = query.where(Dossier.channel == Channel(filters.channel))
    dossiers = list(db.session.scalars(query))
    runs = _runs_of([d.id for d in dossiers])
    versions = {v.id: v for v in db.session.scalars(
        select(ProcessVersion).where(ProcessVersion.id.in_({d.version_id for d in dossiers})))} if dossiers else {}
    clocks = {}
    found = []
    for dossier in dossiers:
        clock = clocks.get(dossier.convention) or clocks.setdefault(dossier.convention, clock_for(dossier.convention))
        current = _current_step(versions[dossier.version_id], runs.get(dossier.id, []))
        if current is None:
            continue
        step, running_deadline = current
        steps = versions[dossier.version_id].steps
        after = sum(s.allotted_minutes for s in steps[steps.index(step) + 1:])
        deadline = running_deadline or clock.at(clock.clock(dossier.due_at) - after)
        left = clock.clock(deadline) - clock.clock(now)
        if left >= within_hours * HOUR:
            continue
        if filters is not None and filters.unit_id is not None and step.unit_id != filters.unit_id:
            continue
        found.append(AtRisk(dossier.id, dossier.code, dossier.procedure.code if dossier.procedure else "",
                            dossier.applicant_name, step.code, step.name, step.unit_id, deadline, dossier.due_at, left))
    return sorted(found, key=lambda item: (item.left, item.code))


def _runs_of(ids: list[int]) -> dict[int, list]:
    runs: dict[int, list] = {}
    for start in range(0, len(ids), CHUNK):
        for row in db.session.execute(select(StepRun.dossier_id, StepRun.step_id, StepRun.finished_at,
                                             StepRun.deadline_at, StepRun.position)
                                      .where(StepRun.dossier_id.in_(ids[start:start + CHUNK]))
                                      .order_by(StepRun.dossier_id, StepRun.position)):
            runs.setdefault(row.dossier_id, []).append(row)
    return runs


def _current_step(version: ProcessVersion, runs: list):
    """(the step the dossier stands at, its recorded deadline when it is running), or None when all are done."""
    steps = version.steps
    if not steps:
        return None
    by_id = {step.id: step for step in steps}
    running = next((run for run in runs if run.finished_at is None and run.step_id in by_id), None)
    if running is not None:
        return by_id[running.step_id], running.deadline_at
    done = [steps.index(by_id[run.step_id]) for run in runs if run.step_id in by_id]
    following = max(done) + 1 if done else 0
    return (steps[following], None) if following < len(steps) else None
