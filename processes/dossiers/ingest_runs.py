"""What ``ingest`` writes: the rows of the new dossiers and the step runs of every event, measured at once.

A complete event closes the step its start event (or the previous event of the dossier, or the
receipt) began, as process-mining tools count a complete-only log. Dossiers whose events are
all completions, none of them known yet, are handled a column at a time; the others (start
events, events already recorded, the same event twice) one event at a time, with the same
result. Every step is then measured on the working clock in one vectorised pass: used working
time, its deadline in the dossier's plan (the due date less the allotments of the later steps)
and early / on time / late; each new dossier its due date, used time and timeliness by day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from processes.dossiers.ingest_batch import Batch, factorize, sql_timestamps
from processes.dossiers.ingest_checks import Catalogue, Checked
from processes.dossiers.models import Channel, DossierStatus, Outcome, SupplementPolicy, Timeliness
from qms.calendar.deadlines import count_start
from qms.calendar.engine import SESSION_UNITS

TOLERANCE = 1.0  # working-time units (480 a day): "to the minute"
KEY_LENGTH = 120
_CHANNELS = frozenset(c.value for c in Channel)

#: The columns of ``step_runs`` the bulk path writes, in the order of ``run_rows``; then those it writes as constants.
RUN_COLUMNS = ("dossier_id", "position", "step_id", "step_code", "activity", "unit_id", "to_label", "handler",
               "started_at", "finished_at", "deadline_at", "allotted_units", "used_units", "result", "event_key")
RUN_CONSTANTS = {"from_label": "", "handler_id": None, "note": ""}
#: The columns of ``dossiers`` the bulk path writes per dossier, in the order of ``dossier_rows``; then those whose
#: value is the same for the whole import (``dossier_constants``).
DOSSIER_COLUMNS = ("code", "code_is_legacy", "procedure_id", "version_id", "activity_set", "applicant_name",
                   "channel", "received_at", "limit_minutes", "original_due_at", "due_at", "result_ready_at",
                   "returned_at", "outcome", "status", "used_units", "timeliness")


def dossier_constants(rules, *, source: str, import_id, now_text: str) -> dict:
    return {"applicant_kind": "person", "applicant_address": "", "applicant_phone": "",
            "convention": rules.convention.value, "timeliness_point": rules.timeliness_point.value,
            "supplement_policy": SupplementPolicy.RESTART.value, "extended_due_at": None, "source": source,
            "import_id": import_id, "created_at": now_text, "updated_at": now_text}


@dataclass
class Known:
    """A dossier already recorded: its id, the keys of its recorded events, its next position and dates."""

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
    rows = [(code, not standard(code), version[0], version[1], activity_set, applicant, channel, stamps[0][k],
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


@dataclass
class RunPlan:
    """The new step runs of a batch, one entry per run: which event closes it, when it began, its position."""

    event: np.ndarray
    dossier: np.ndarray
    begin: np.ndarray
    position: np.ndarray
    keys: list[str]


def plan_runs(batch: Batch, indices: list[int], received: np.ndarray, known: dict[int, Known],
              finished_text: list[str | None]) -> RunPlan:
    """The runs the events of dossiers *indices* open and close; *known* maps a dossier index to what is recorded.

    A dossier is taken a column at a time when none of its events is recorded yet, no key comes twice and each
    of its start events is followed at once by the completion of its step: then every completion began at the
    event before it (its start, or the previous completion) or at receipt. The others go one event at a time.
    """
    count = batch.event_count
    dossier_of = batch.dossier_of_events()
    starting = _starts(batch)
    keys = _event_keys(batch, finished_text, starting)
    chosen = np.zeros(len(batch), dtype=bool)
    chosen[np.asarray(indices, dtype=np.int64)] = True
    irregular = np.zeros(len(batch), dtype=bool)
    irregular[list(known)] = True
    if starting.any():
        activity, _values = factorize(batch.activities)
        following = np.zeros(count, dtype=bool)  # the next event completes the same step of the same dossier
        following[:-1] = ~starting[1:] & (dossier_of[1:] == dossier_of[:-1]) & (activity[1:] == activity[:-1])
        irregular[dossier_of[starting & ~following]] = True
    irregular[_repeated_keys(keys, dossier_of, ~starting)] = True
    completes = np.cumsum(~starting)
    before = np.concatenate(([0], completes))[batch.bounds[:-1]]
    event = np.flatnonzero((chosen & ~irregular)[dossier_of] & ~starting)
    dossier = dossier_of[event]
    first = event == batch.bounds[dossier]
    begin = np.where(first, received[dossier], batch.at[np.maximum(event - 1, 0)])
    plans = [(event, dossier, begin, completes[event] - 1 - before[dossier])]
    slow = np.flatnonzero(chosen & irregular).tolist()
    if slow:
        plans.append(_plan_one_by_one(batch, slow, received, known, keys, starting))
    event, dossier, begin, position = (np.concatenate(parts) for parts in zip(*plans))
    order = np.argsort(event, kind="stable")
    event, dossier, begin, position = event[order], dossier[order], begin[order], position[order]
    return RunPlan(event, dossier, begin, position, [keys[e] for e in event.tolist()])


def _starts(batch: Batch) -> np.ndarray:
    if batch.lifecycles is None:
        return np.zeros(batch.event_count, dtype=bool)
    codes, values = factorize(batch.lifecycles)
    return np.isin(codes, [i for i, value in enumerate(values) if value == "start"])


def _event_keys(batch: Batch, finished_text: list[str | None], starting: np.ndarray) -> list[str]:
    """The key of every completion: the source's event id, or ``activity|complete|UTC ISO time`` as
    ``StepEvent.event_key`` derives it (start events get none: they are no runs)."""
    if batch.keys is None:
        keys = [f"{a}|complete|{t[:10]}T{t[11:19] if t[19:] == '.000000' else t[11:]}+00:00"
                for a, t in zip(batch.activities, finished_text)]
    else:
        keys = [k or f"{a}|complete|{t[:10]}T{t[11:19] if t[19:] == '.000000' else t[11:]}+00:00"
                for a, t, k in zip(batch.activities, finished_text, batch.keys)]
    for event in np.flatnonzero(starting).tolist():
        keys[event] = batch.keys[event] if batch.keys is not None else ""
    if batch.keys is not None or max(map(len, batch.activities), default=0) > KEY_LENGTH - 45:
        keys = [key[:KEY_LENGTH] for key in keys]
    return keys


def _repeated_keys(keys: list[str], dossier_of: np.ndarray, completing: np.ndarray) -> np.ndarray:
    """The dossiers in which a completion's key comes twice (the second is skipped, one event at a time)."""
    if not keys:
        return np.zeros(0, dtype=np.int64)
    codes, values = factorize(keys)
    pairs = dossier_of.astype(np.int64)[completing] * (len(values) + 1) + codes[completing]
    unique, counts = np.unique(pairs, return_counts=True)
    return np.unique(unique[counts > 1] // (len(values) + 1))


def _plan_one_by_one(batch: Batch, indices: list[int], received: np.ndarray, known: dict[int, Known],
                     keys: list[str], starting: np.ndarray) -> tuple[np.ndarray, ...]:
    events, dossiers, begins, positions = [], [], [], []
    activities, at, starts = batch.activities, batch.at.tolist(), starting.tolist()
    for index in indices:
        recorded = known.get(index)
        seen = set(recorded.keys) if recorded is not None else set()
        position = recorded.next_position if recorded is not None else 0
        previous = float(received[index])
        started: dict[str, float] = {}
        for event in range(int(batch.bounds[index]), int(batch.bounds[index + 1])):
            if starts[event]:
                started[activities[event]] = at[event]
                continue
            begin = started.pop(activities[event], previous)
            previous = at[event]
            if keys[event] in seen:
                continue
            seen.add(keys[event])
            events.append(event)
            dossiers.append(index)
            begins.append(begin)
            positions.append(position)
            position += 1
    return (np.array(events, dtype=np.int64), np.array(dossiers, dtype=np.int64), np.array(begins, dtype=np.float64),
            np.array(positions, dtype=np.int64))


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
    return list(zip(dossier_ids[plan.dossier].tolist(), plan.position.tolist(), [step_id[w] for w in which],
                    [code[w] for w in which], names, [unit_id[w] for w in which], [to_label[w] for w in which],
                    handlers, sql_timestamps(plan.begin), [finished_text[e] for e in events], sql_timestamps(deadline),
                    [allotted[w] for w in which], used, results, plan.keys))


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
