"""Which step runs the events of an import open, close and skip (ISO 9001:2008 clause 8.2.3: each step's record).

A complete event closes the step its start event (or the previous event of the dossier, or the receipt)
began, as process-mining tools count a complete-only log. Dossiers whose events are all completions,
none of them known yet, are planned a column at a time; the others (start events, events already
recorded, the same event twice, dossiers already recorded) one event at a time, with the same result:

- a dossier already recorded continues from what is stored: its next step begins at its last recorded
  finish (or its receipt) and takes the next position; events already recorded are skipped by key;
- a start without its completion is an open step (no finish, no measure); a later completion of the same
  step (same step code, or same activity without a map) closes that open run instead of adding one;
- a start sent again (same step, same time, or same key) is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from processes.dossiers.ingest_batch import Batch, event_keys, factorize, start_mask

if TYPE_CHECKING:
    from processes.dossiers.ingest_runs import Known


@dataclass
class RunPlan:
    """The step runs of a batch. New runs, one entry each: the event that closes it (or, for an open run, its
    start), when it began, its position. ``closes``: open runs already stored that an event of the batch
    closes, as (run id, event, began, dossier). ``skipped``: the events already recorded."""

    event: np.ndarray
    dossier: np.ndarray
    begin: np.ndarray
    position: np.ndarray
    keys: list[str]
    is_open: np.ndarray
    closes: list[tuple[int, int, float, int]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def plan_runs(batch: Batch, indices: list[int], received: np.ndarray, known: dict[int, Known],
              finished_text: list[str | None], keys: list[str] | None = None,
              identity: Callable[[int, int], str] | None = None) -> RunPlan:
    """The runs the events of dossiers *indices* open and close; *known* maps a dossier index to what is recorded.

    *identity* (event, dossier index) names an event's step: its step code, or its activity without a map
    (default: the activity as given). A dossier is taken a column at a time when none of its events is
    recorded yet, no key comes twice and each of its start events is followed at once by the completion of
    its step: then every completion began at the event before it (its start, or the previous completion) or
    at receipt. The others go one event at a time.
    """
    count = batch.event_count
    dossier_of = batch.dossier_of_events()
    starting = start_mask(batch)
    keys = event_keys(batch, finished_text, starting) if keys is None else keys
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
    plans = [(event, dossier, begin, completes[event] - 1 - before[dossier], np.zeros(len(event), dtype=bool))]
    slow = np.flatnonzero(chosen & irregular).tolist()
    closes, skipped = [], []
    if slow:
        identity = identity or (lambda e, _index: batch.activities[e])
        plans.append(_plan_one_by_one(batch, slow, received, known, keys, starting, identity, closes, skipped))
    event, dossier, begin, position, is_open = (np.concatenate(parts) for parts in zip(*plans))
    order = np.argsort(event, kind="stable")
    event, dossier, begin, position, is_open = (column[order] for column in (event, dossier, begin, position,
                                                                             is_open))
    return RunPlan(event, dossier, begin, position, [keys[e] for e in event.tolist()], is_open, closes, skipped)


def _repeated_keys(keys: list[str], dossier_of: np.ndarray, completing: np.ndarray) -> np.ndarray:
    """The dossiers in which a completion's key comes twice (the second is skipped, one event at a time)."""
    if not keys:
        return np.zeros(0, dtype=np.int64)
    codes, values = factorize(keys)
    pairs = dossier_of.astype(np.int64)[completing] * (len(values) + 1) + codes[completing]
    unique, counts = np.unique(pairs, return_counts=True)
    return np.unique(unique[counts > 1] // (len(values) + 1))


def _plan_one_by_one(batch: Batch, indices: list[int], received: np.ndarray, known: dict[int, Known],
                     keys: list[str], starting: np.ndarray, identity, closes: list, skipped: list):
    events, dossiers, begins, positions, opened = [], [], [], [], []
    at, starts = batch.at.tolist(), starting.tolist()

    def add(event, index, begin, position, is_open):
        events.append(event)
        dossiers.append(index)
        begins.append(begin)
        positions.append(position)
        opened.append(is_open)

    for index in indices:
        recorded = known.get(index)
        seen = set(recorded.keys) if recorded is not None else set()
        position = recorded.next_position if recorded is not None else 0
        previous = recorded.begins_at() if recorded is not None else float(received[index])
        stored_open = dict(recorded.open) if recorded is not None else {}
        stored_starts = recorded.starts if recorded is not None else ()
        started: dict[str, tuple[int, float]] = {}  # step → its start event in this batch and its time
        for event in range(int(batch.bounds[index]), int(batch.bounds[index + 1])):
            step = identity(event, index)
            if starts[event]:
                if step in stored_open or step in started or (step, at[event]) in stored_starts \
                        or keys[event] in seen:
                    skipped.append(event)  # already running, or this very start recorded before
                else:
                    started[step] = (event, at[event])
                continue
            start = started.pop(step, None)
            begin, previous = (start[1] if start is not None else previous), at[event]
            if keys[event] in seen:
                skipped.append(event)
                continue
            seen.add(keys[event])
            if start is None and step in stored_open:  # the completion of a step started in an earlier import
                run_id, began = stored_open.pop(step)
                closes.append((run_id, event, began, index))
                continue
            add(event, index, begin, position, False)
            position += 1
        for event, began in started.values():  # started, not finished: open steps, after the others
            add(event, index, began, position, True)
            position += 1
    return (np.array(events, dtype=np.int64), np.array(dossiers, dtype=np.int64), np.array(begins, dtype=np.float64),
            np.array(positions, dtype=np.int64), np.array(opened, dtype=bool))
