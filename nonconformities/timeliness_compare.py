"""Before and after: the measured timeliness of a late-dossier nonconformity's step (ISO 9001:2008 8.5.2 f).

The effectiveness check of a nonconformity raised from late dossiers asks one question: does the
step keep its allotted time now? This module answers it from the measured step runs
(``processes.dossiers``): for a window before the action plan was approved and a window of the same
length after the last action was done, the count of finished runs, the share early or on time, and
the median and 90th percentile of the used working time beside the step's allotment. A run belongs
to the window it finished in. The step is known by its procedure and code (B3), so a new version of the
process map (often the corrective action itself) keeps its history. Windows are read with the (step_id, finished_at) index of step_runs:
a window of one step is a few thousand rows at most.

Pure reading; no change to anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select

from processes.dossiers.analysis import DAY, quantile
from processes.dossiers.models import StepRun, Timeliness
from processes.models import ProcessStep, ProcessVersion
from qms.extensions import db

#: The length of the "before" window while no action is done yet (nothing to compare it with).
DEFAULT_WINDOW = timedelta(days=90)
#: The longest window compared: older runs say little about the step as it is now.
LONGEST_WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class WindowFigures:
    """The finished runs of one step in [start, end): counts, on-time share, used time against the allotment."""

    start: datetime
    end: datetime
    count: int
    judged: int
    on_time: int  # early or on time
    late: int
    median: float | None  # used working time, units (480 a working day)
    p90: float | None
    allotted: float | None  # the step's allotment (the median of the runs', which is one value in practice)

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.judged if self.judged else None

    @property
    def median_ratio(self) -> float | None:
        """The median used time over the allotment: 1.0 uses exactly the time allotted."""
        return self.median / self.allotted if self.median is not None and self.allotted else None

    @property
    def p90_ratio(self) -> float | None:
        return self.p90 / self.allotted if self.p90 is not None and self.allotted else None


@dataclass(frozen=True)
class TimelinessComparison:
    """The step's figures before the plan's approval and after the last action was done (None: not yet)."""

    step_ids: tuple[int, ...]
    before: WindowFigures
    after: WindowFigures | None

    @property
    def improved(self) -> bool | None:
        """True when the on-time share went up (the reading the check starts from); None while unknown."""
        if self.after is None or self.before.on_time_share is None or self.after.on_time_share is None:
            return None
        return self.after.on_time_share > self.before.on_time_share

    @property
    def share_change(self) -> float | None:
        if self.after is None or self.before.on_time_share is None or self.after.on_time_share is None:
            return None
        return self.after.on_time_share - self.before.on_time_share


def same_step(step: ProcessStep) -> tuple[int, ...]:
    """The ids of *step* and of the steps of the same code in the other versions of its procedure's map."""
    procedure_id = select(ProcessVersion.procedure_id).where(ProcessVersion.id == step.version_id).scalar_subquery()
    return tuple(db.session.scalars(
        select(ProcessStep.id).join(ProcessVersion, ProcessVersion.id == ProcessStep.version_id)
        .where(ProcessVersion.procedure_id == procedure_id, ProcessStep.code == step.code)
        .order_by(ProcessStep.id))) or (step.id,)


def step_window(step_ids: tuple[int, ...], start: datetime, end: datetime) -> WindowFigures:
    """The figures of the runs of *step_ids* that finished in [start, end)."""
    rows = db.session.execute(
        select(StepRun.used_units, StepRun.allotted_units, StepRun.result)
        .where(StepRun.step_id.in_(step_ids), StepRun.finished_at >= start, StepRun.finished_at < end,
               StepRun.used_units.is_not(None))).all()
    used = np.sort(np.array([row.used_units for row in rows], dtype=float))
    allotments = [row.allotted_units for row in rows if row.allotted_units is not None]
    results = [row.result for row in rows if row.result is not None]
    late = sum(1 for result in results if result == Timeliness.LATE)
    return WindowFigures(start=start, end=end, count=len(rows), judged=len(results), on_time=len(results) - late,
                         late=late, median=quantile(used, 0.5) if len(used) else None,
                         p90=quantile(used, 0.9) if len(used) else None,
                         allotted=float(np.median(allotments)) if allotments else None)


def compare_windows(step_ids: tuple[int, ...], *, approved_at: datetime | None, done_at: datetime | None,
                    now: datetime) -> TimelinessComparison:
    """Compare [approved − L, approved) with [done, done + L), L = the time since *done* (bounded).

    Before the plan is approved the "before" window ends now; before any action is done there is no
    "after" window and the "before" one is ``DEFAULT_WINDOW`` long.
    """
    anchor = min(approved_at or now, now)
    if done_at is None or done_at >= now:
        return TimelinessComparison(step_ids, step_window(step_ids, anchor - DEFAULT_WINDOW, anchor), None)
    length = min(now - done_at, LONGEST_WINDOW)
    return TimelinessComparison(step_ids, step_window(step_ids, anchor - length, anchor),
                                step_window(step_ids, done_at, done_at + length))


def compare_step_timeliness(nc, *, now: datetime) -> TimelinessComparison | None:
    """The step's timeliness before the plan of *nc* was approved and after its last action was done.

    None when *nc* names no process step (only a nonconformity for a step can be measured this way).
    """
    if nc.step_id is None:
        return None
    done = [action.completed_at for action in nc.actions if action.completed_at is not None]
    return compare_windows(same_step(nc.step), approved_at=nc.plan_approved_at, done_at=max(done) if done else None, now=now)


def in_days(units: float | None) -> float | None:
    """Units of working time as working days (for the template)."""
    return None if units is None else units / DAY
