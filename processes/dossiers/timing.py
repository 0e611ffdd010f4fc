"""Measuring dossiers and steps against their allotted working time (DOMAIN.md 4.3-4.4).

Each step has a deadline in the dossier's plan: the due date less the allotments of the steps
after it, on the agency's calendar (so a restart or a pause, which moves the due date, moves the
plan too). A step finished after its deadline is late (quá hạn), at it (to the minute) on time,
before it early: the reading of Mẫu 05 in DOMAIN.md 9.5. Its used working time is kept beside
its allotment for the analysis of bottlenecks. A dossier is judged by day, as the portals count:
at its measuring point (result ready, or returned: the agency's rule) it is late after its due
date, on time on the due date's day, early on an earlier day. The due date is the one after legal
restarts and pauses; an apology (Mẫu 04) moves the date promised to the applicant, never the
statistics'.
"""

from __future__ import annotations

from datetime import datetime

from qms.calendar import services as calendar
from qms.calendar.deadlines import due_at
from qms.calendar.engine import Weighting, WorkingClock
from qms.calendar.models import CountingConvention, TimelinessPoint
from qms.extensions import db

from processes.dossiers.models import Dossier, StepRun, SupplementPolicy, Timeliness


def clock_for(convention: CountingConvention) -> WorkingClock:
    return calendar.working_clock(Weighting.SESSION if convention == CountingConvention.SESSIONS else Weighting.DAY)


#: Within this many units (about a minute) the used time equals the allotment.
TOLERANCE = 1.0


def judge_step(clock: WorkingClock, finished: datetime, deadline: datetime) -> Timeliness:
    margin = clock.between(finished, deadline)  # working time left when the step finished
    if margin < -TOLERANCE:
        return Timeliness.LATE
    return Timeliness.ON_TIME if margin <= TOLERANCE else Timeliness.EARLY


def step_deadline(dossier: Dossier, run: StepRun, clock: WorkingClock) -> datetime | None:
    """The dossier's due date less the allotments of the steps after this one."""
    if dossier.due_at is None or dossier.version is None or run.step_id is None:
        return None
    steps = dossier.version.steps
    index = next((i for i, step in enumerate(steps) if step.id == run.step_id), None)
    if index is None:
        return None
    after = sum(step.allotted_minutes for step in steps[index + 1:])
    return clock.at(clock.clock(dossier.due_at) - after) if after else dossier.due_at


def judge(clock: WorkingClock, finished: datetime, deadline: datetime) -> Timeliness:
    """A dossier: late after the due date; on time on its day; early on an earlier day."""
    if finished > deadline:
        return Timeliness.LATE
    zone = clock.zone
    return Timeliness.ON_TIME if finished.astimezone(zone).date() == deadline.astimezone(zone).date() \
        else Timeliness.EARLY


def appointment(dossier: Dossier, clock: WorkingClock, received_at: datetime, cutoff=None) -> datetime | None:
    if dossier.limit_minutes is None:
        return None
    return due_at(clock, received_at, dossier.limit_minutes,
                  sessions=dossier.convention == CountingConvention.SESSIONS, cutoff=cutoff)


def paused_within(dossier: Dossier, clock: WorkingClock, start: datetime, end: datetime) -> float:
    """Working time of [start, end] the applicant held the dossier under the pause policy."""
    total = 0.0
    for request in dossier.supplements:
        if request.policy != SupplementPolicy.PAUSE:
            continue
        stop = request.completed_at or end
        low, high = max(start, request.requested_at), min(end, stop)
        if high > low:
            total += clock.between(low, high)
    return total


def measure_step(dossier: Dossier, run: StepRun, clock: WorkingClock) -> None:
    """Fill the step's deadline, used time and result (once it has finished)."""
    with db.session.no_autoflush:  # a half-measured row must not reach the database's checks
        _measure_step(dossier, run, clock)


def _measure_step(dossier: Dossier, run: StepRun, clock: WorkingClock) -> None:
    run.deadline_at = step_deadline(dossier, run, clock)
    if run.finished_at is None:
        run.used_units, run.result = None, None
        return
    run.used_units = clock.between(run.started_at, run.finished_at) - \
        paused_within(dossier, clock, run.started_at, run.finished_at)
    run.result = judge_step(clock, run.finished_at, run.deadline_at) if run.deadline_at is not None else None


def measuring_point(dossier: Dossier) -> datetime | None:
    if dossier.timeliness_point == TimelinessPoint.RETURNED:
        return dossier.returned_at
    return dossier.result_ready_at or dossier.returned_at


def measure_dossier(dossier: Dossier, clock: WorkingClock) -> None:
    """Used working time from receipt to the measuring point, and early / on time / late against the due date."""
    with db.session.no_autoflush:
        _measure_dossier(dossier, clock)


def _measure_dossier(dossier: Dossier, clock: WorkingClock) -> None:
    point = measuring_point(dossier)
    if point is None:
        dossier.used_units, dossier.timeliness = None, None
        return
    dossier.used_units = clock.between(dossier.received_at, point) - \
        paused_within(dossier, clock, dossier.received_at, point)
    dossier.timeliness = judge(clock, point, dossier.due_at) if dossier.due_at is not None else None
