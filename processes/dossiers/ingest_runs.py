"""What ``ingest`` writes: the rows of the new dossiers and the step runs of every event, measured at once
(ISO 9001:2008 clause 8.2.3: each step measured against its allotment).

``ingest_plan`` says which runs the events open, close or skip; here every step is measured on the
working clock in one vectorised pass: used working time, its deadline in the dossier's plan (the due
date less the allotments of the later steps) and early / on time / late; an open step (started, not
finished) gets its deadline only. Each new dossier gets its due date, used time and timeliness by day;
a dossier already recorded keeps its stored plan (``Known``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from processes.dossiers.ingest_batch import Batch, sql_timestamps
from processes.dossiers.ingest_checks import Catalogue, Checked
from processes.dossiers.ingest_plan import RunPlan
from processes.dossiers.models import Channel, DossierStatus, Outcome, SupplementPolicy, Timeliness
from qms.calendar.deadlines import count_start
from qms.calendar.engine import SESSION_UNITS
from qms.text import fold

TOLERANCE = 1.0  # working-time units (480 a day): "to the minute"
_CHANNELS = frozenset(c.value for c in Channel)

#: The columns of ``step_runs`` the bulk path writes, in the order of ``run_rows``; then those it writes as constants.
RUN_COLUMNS = ("dossier_id", "position", "step_id", "step_code", "activity", "unit_id", "to_label", "handler",
               "started_at", "finished_at", "deadline_at", "allotted_units", "used_units", "result", "event_key")
RUN_CONSTANTS = {"from_label": "", "handler_id": None, "note": ""}
#: The columns of ``dossiers`` the bulk path writes per dossier, in the order of ``dossier_rows``; then those whose
#: value is the same for the whole import (``dossier_constants``).
DOSSIER_COLUMNS = ("code", "code_is_legacy", "procedure_id", "version_id", "activity_set", "applicant_name",
                   "applicant_key", "channel", "received_at", "limit_minutes", "original_due_at", "due_at", "result_ready_at",
                   "returned_at", "outcome", "status", "used_units", "timeliness")


def dossier_constants(rules, *, source: str, import_id, now_text: str) -> dict:
    return {"applicant_kind": "person", "applicant_address": "", "applicant_phone": "",
            "convention": rules.convention.value, "timeliness_point": rules.timeliness_point.value,
            "supplement_policy": SupplementPolicy.RESTART.value, "extended_due_at": None, "source": source,
            "import_id": import_id, "created_at": now_text, "updated_at": now_text}


@dataclass
class Known:
    """A dossier already recorded, as a later import continues it: its id, plan and dates, the keys of its
    recorded events, its next position, when its last recorded step finished (a new step begins there) and
    its latest recorded event (a new event may not come before it)."""

    id: int
    keys: set[str]
    next_position: int
    due_at: float
    result_ready_at: float
    returned_at: float
    received_at: float = float("nan")
    outcome: str | None = None
    timeliness_point: str = "result_ready"
    has_supplements: bool = False
    procedure_id: int | None = None
    version_id: int | None = None
    last_finished: float = float("nan")
    last_event: float = float("nan")
    #: the steps started and not finished: step code (or activity) → (run id, started at)
    open: dict[str, tuple[int, float]] = field(default_factory=dict)
    #: every recorded (step code or activity, started at): a start event sent again is no new step
    starts: set[tuple[str, float]] = field(default_factory=set)

    def begins_at(self) -> float:
        """Where the next step of a complete-only log begins: the last recorded finish, else the receipt."""
        return self.last_finished if self.last_finished == self.last_finished else self.received_at


def status_of(returned: float, ready: float, outcome: str) -> tuple[DossierStatus, str | None]:
    if returned == returned:
        return DossierStatus.RETURNED, outcome or Outcome.ISSUED.value
    if outcome == Outcome.WITHDRAWN.value:
        return DossierStatus.WITHDRAWN, outcome
    if outcome == Outcome.STOPPED.value:
        return DossierStatus.STOPPED, outcome
    if ready == ready:
        return DossierStatus.RESULT_READY, outcome or Outcome.ISSUED.value
    return DossierStatus.IN_PROGRESS, outcome or None


# Dossiers ------------------------------------------------------------------------------------------


def due_dates(received: np.ndarray, limits: np.ndarray, clock, rules) -> np.ndarray:
    """The due date (epoch seconds, NaN without a plan) of dossiers received at *received*: DOMAIN.md 4.2."""
    due = np.full(len(received), np.nan)
    planned = ~np.isnan(limits)
    if not planned.any():
        return due
    sessions = rules.convention.value == "sessions"
    if rules.cutoff_enabled and not sessions:
        from processes.dossiers.ingest_batch import datetime_of

        start = np.array([count_start(clock, datetime_of(r), sessions=False, cutoff=rules.cutoff_at)
                          for r in received[planned].tolist()])
    else:
        start = clock.clock_many(received[planned])
        if sessions:
            start = np.ceil(start / SESSION_UNITS - 1e-9) * SESSION_UNITS
    due[planned] = clock.at_many(start + limits[planned])
    return due


def dossier_rows(batch: Batch, indices: list[int], checked: Checked, catalogue: Catalogue, clock, rules, *,
                 standard) -> tuple[list[tuple], np.ndarray]:
    """The rows of the new dossiers *indices* of *batch*, measured, and their due dates (epoch seconds)."""
    take = np.asarray(indices, dtype=np.int64)
    received = checked.received[take]
    slots = checked.slots[take]
    plans = {slot: (table.procedure_id, table.version_id, table.limit)
             for slot, table in ((slot, catalogue.table(slot)) for slot in np.unique(slots[slots >= 0]).tolist())}
    plans[-1] = (None, None, None)
    versions = [plans[slot] for slot in slots.tolist()]
    limits = np.array([v[2] if v[2] is not None else np.nan for v in versions], dtype=np.float64)
    due = due_dates(received, limits, clock, rules)
    statuses, outcomes = [], []
    ready = batch.ready[take].copy()
    returned = batch.returned[take]
    given = batch.outcomes or [""] * len(batch)
    for k, index in enumerate(indices):
        status, outcome = status_of(float(returned[k]), float(ready[k]), given[index] or "")
        statuses.append(int(status))
        outcomes.append(outcome)
        if ready[k] != ready[k] and status == DossierStatus.RETURNED:
            ready[k] = returned[k]
    point = returned if rules.timeliness_point.value == "returned" else np.where(np.isnan(ready), returned, ready)
    used_values, verdicts = judge_dossiers(received, point, due, clock)
    stamps = [sql_timestamps(values) for values in (received, due, ready, returned)]
    codes = [batch.codes[i].strip() for i in indices]
    channels = [batch.channels[i] if batch.channels is not None and batch.channels[i] in _CHANNELS
                else Channel.IN_PERSON.value for i in indices]
    sets = [(batch.activity_sets[i] or "")[:120] for i in indices] if batch.activity_sets is not None else \
        [""] * len(indices)
    applicants = [(batch.applicants[i] or "")[:300] for i in indices] if batch.applicants is not None else \
        [""] * len(indices)
    keys = {name: fold(name)[:300] for name in set(applicants)}  # names repeat: fold each once
    rows = [(code, not standard(code), version[0], version[1], activity_set, applicant, keys[applicant],
             channel, stamps[0][k],
             version[2], stamps[1][k], stamps[1][k], stamps[2][k], stamps[3][k], outcomes[k], statuses[k],
             used_values[k], verdicts[k])
            for k, (code, version, channel, activity_set, applicant)
            in enumerate(zip(codes, versions, channels, sets, applicants))]
    return rows, due


def judge_dossiers(received: np.ndarray, point: np.ndarray, due: np.ndarray, clock) -> tuple[list, list]:
    """Used working time from receipt to the measuring *point* and the verdict by day against *due*
    (``timing.judge``: late after it, on time on its day, early before), None where there is no point or due."""
    measured = ~np.isnan(point)
    used = np.full(len(point), np.nan)
    if measured.any():
        used[measured] = clock.clock_many(point[measured]) - clock.clock_many(received[measured])
    offset = clock.offset_seconds
    same_day = np.floor((point + offset) / 86400) == np.floor((due + offset) / 86400)
    judged = measured & ~np.isnan(due)
    verdict = np.where(point > due, Timeliness.LATE.value,
                       np.where(same_day, Timeliness.ON_TIME.value, Timeliness.EARLY.value))
    return ([u if m else None for u, m in zip(used.tolist(), measured.tolist())],
            [v if j else None for v, j in zip(verdict.tolist(), judged.tolist())])


# Step runs -----------------------------------------------------------------------------------------


def run_rows(batch: Batch, plan: RunPlan, checked: Checked, catalogue: Catalogue, dossier_ids: np.ndarray,
             due: np.ndarray, clock, finished_text: list[str | None]) -> list[tuple]:
    """The ``step_runs`` rows of *plan* (``RUN_COLUMNS``), measured; *dossier_ids* and *due* are per dossier."""
    if not len(plan.event):
        return []
    attributes, which = _step_attributes(plan, checked, catalogue)
    step_id, code, name, unit_id, to_label, allotted, after = (list(column) for column in zip(*attributes))
    used, deadline, results = _measure(plan.begin, batch.at[plan.event], np.array(after, dtype=np.float64)[which],
                                       due[plan.dossier], clock)
    events = plan.event.tolist()
    which = which.tolist()
    names = [name[w] for w in which]
    if None in name:  # an activity of no step: its own name
        names = [n if n is not None else batch.activities[e][:200] for n, e in zip(names, events)]
    handlers = [(batch.handlers[e] or "")[:200] for e in events] if batch.handlers is not None else \
        [""] * len(events)
    finished = [finished_text[e] for e in events]
    if plan.is_open.any():  # started, not finished: no finish, no measure (finished_is_measured)
        for k in np.flatnonzero(plan.is_open).tolist():
            finished[k] = used[k] = results[k] = None
    return list(zip(dossier_ids[plan.dossier].tolist(), plan.position.tolist(), [step_id[w] for w in which],
                    [code[w] for w in which], names, [unit_id[w] for w in which], [to_label[w] for w in which],
                    handlers, sql_timestamps(plan.begin), finished, sql_timestamps(deadline),
                    [allotted[w] for w in which], used, results, plan.keys))


def close_rows(batch: Batch, plan: RunPlan, checked: Checked, catalogue: Catalogue, due: np.ndarray, clock,
               finished_text: list[str | None], keys: list[str]) -> list[tuple]:
    """The open runs already stored that events of *plan* close, measured like new runs: tuples of
    (finished at, used, result, the completion's key, its handler, the run's id) for ``ingest_write.close_runs``."""
    if not plan.closes:
        return []
    run_ids, events, begins, dossiers = (list(column) for column in zip(*plan.closes))
    closing = RunPlan(np.array(events, dtype=np.int64), np.array(dossiers, dtype=np.int64),
                      np.array(begins, dtype=np.float64), np.zeros(len(events), dtype=np.int64),
                      [keys[e] for e in events], np.zeros(len(events), dtype=bool))
    rows = run_rows(batch, closing, checked, catalogue, np.zeros(len(batch), dtype=np.int64), due, clock,
                    finished_text)
    return [(row[9], row[12], row[13], row[14], row[7], run_id) for row, run_id in zip(rows, run_ids)]


def _step_attributes(plan: RunPlan, checked: Checked, catalogue: Catalogue):
    """The distinct (version, step) pairs of the runs with what a run copies of its step, and each run's pair."""
    steps = checked.steps[plan.event] if checked.steps is not None else np.full(len(plan.event), -1)
    slot = checked.slots[plan.dossier]
    pair = np.where((slot >= 0) & (steps >= 0), slot * 1000 + steps, -1)
    unique, which = np.unique(pair, return_inverse=True)
    attributes = []
    for value in unique.tolist():
        if value < 0:
            attributes.append((None, "", None, None, "", None, np.nan))
            continue
        attributes.append(catalogue.table(value // 1000).copied[value % 1000])
    return attributes, which.reshape(-1)


def _measure(begin: np.ndarray, end: np.ndarray, after: np.ndarray, due: np.ndarray, clock):
    """Used time, plan deadline and result of every run, all at once on the clock."""
    starts = clock.clock_many(begin)
    ends = clock.clock_many(end)
    planned = ~np.isnan(after) & ~np.isnan(due)
    deadline_units = np.full(len(begin), np.nan)
    deadline_units[planned] = clock.clock_many(due[planned]) - after[planned]
    deadline = np.full(len(begin), np.nan)
    deadline[planned] = clock.at_many(deadline_units[planned])
    margin = deadline_units - ends
    results = np.where(margin < -TOLERANCE, Timeliness.LATE.value,
                       np.where(margin <= TOLERANCE, Timeliness.ON_TIME.value, Timeliness.EARLY.value))
    results = [result if has else None for result, has in zip(results.tolist(), planned.tolist())]
    return (ends - starts).tolist(), deadline, results
