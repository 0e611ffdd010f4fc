"""The checks of ``ingest``: every rule a dossier and its step events must meet before anything is written.

The catalogue (procedures, the process versions in force and their steps) is read once per import;
the rules on dossiers run once per dossier, the rules on events over whole NumPy columns. Every
broken rule becomes an ``IngestError`` naming where it came from, the column, the value and the
rule, kept in the order of the source (dossier, then its events) up to ``MAX_ERRORS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import select

from processes.dossiers.ingest_batch import Batch, datetime_of, factorize
from processes.dossiers.models import Outcome
from processes.models import AdministrativeProcedure, ProcessStep, ProcessVersion
from processes.queries import ONCE_IN_FORCE
from qms.calendar import services as calendar
from qms.documents.models import Revision
from qms.extensions import db
from qms.text import fold

MAX_ERRORS = 500
CODE_LENGTH = 60  # Dossier.code
_OUTCOMES = frozenset(o.value for o in Outcome)


@dataclass
class IngestError:
    where: str
    column: str
    value: str
    rule: str

    def __str__(self) -> str:
        return f"{self.where} [{self.column}] '{self.value}': {self.rule}"


class ErrorLog:
    """The errors found so far, in the order of the source, at most ``MAX_ERRORS``."""

    def __init__(self, cap: int = MAX_ERRORS):
        self.cap, self.items = cap, []

    def add(self, order: tuple, where: str, column: str, value, rule: str) -> None:
        self.items.append((order, IngestError(where, column, "" if value is None else str(value), rule)))

    def settle(self) -> None:
        """Sort and keep the first ``cap`` (called after each batch: later batches come later in the source)."""
        self.items.sort(key=lambda item: item[0])
        del self.items[self.cap:]

    @property
    def full(self) -> bool:
        return len(self.items) >= self.cap

    def __bool__(self) -> bool:
        return bool(self.items)

    def errors(self) -> list[IngestError]:
        self.settle()
        return [error for _order, error in self.items]


@dataclass
class StepTable:
    """A process version's steps as the bulk path reads them: by folded code or name, with the plan's tail."""

    version: ProcessVersion
    steps: list[ProcessStep]
    names: dict[str, int]
    after: list[float]  # for each step, the allotments of the steps after it (the plan counts back from the due)
    limit: int  # the version's total, 480 a working day
    procedure_id: int
    procedure_code: str
    version_id: int
    copied: list[tuple]  # per step, what a run copies: id, code, name, unit id, responsible, allotted, after


class Catalogue:
    """The procedures and the versions in force over time, read once for the whole import.

    Versions are known by their *slot*, a small integer (-1: none), so that a million events find their
    version's steps by array indexing rather than by ORM attribute.
    """

    def __init__(self):
        self.procedures = {p.code: p for p in db.session.scalars(select(AdministrativeProcedure))}
        rows = db.session.execute(
            select(ProcessVersion, Revision.effective_at, Revision.ended_at)
            .join(Revision, Revision.id == ProcessVersion.revision_id)
            .where(Revision.state.in_(ONCE_IN_FORCE), Revision.effective_at.is_not(None))).all()
        self.versions: list[ProcessVersion] = []
        self._windows: dict[int, list[tuple[float, float, int]]] = {}
        for version, effective_at, ended_at in rows:
            end = ended_at.timestamp() if ended_at is not None else math.inf
            self._windows.setdefault(version.procedure_id, []).append((effective_at.timestamp(), end,
                                                                       len(self.versions)))
            self.versions.append(version)
        self.slot_of_version = {version.id: slot for slot, version in enumerate(self.versions)}
        self.procedure_codes = {p.id: p.code for p in self.procedures.values()}
        self._tables: list[StepTable | None] = [None] * len(self.versions)
        for slot in range(len(self.versions)):  # all read now: the checks run beside the writer thread
            self.table(slot)
        self.zone = calendar.working_clock().zone

    def slot_at(self, procedure_id: int, seconds: float) -> int:
        """``queries.version_in_force`` without a query: the slot of the latest version in force at *seconds*."""
        best, slot = None, -1
        for start, end, candidate in self._windows.get(procedure_id, ()):
            if start <= seconds < end and (best is None or start > best):
                best, slot = start, candidate
        return slot

    def table(self, slot: int) -> StepTable:
        table = self._tables[slot]
        if table is None:
            version = self.versions[slot]
            steps = list(version.steps)
            names: dict[str, int] = {}
            for index, step in enumerate(steps):
                names[fold(step.code)] = index
                names[fold(step.name)] = index
            minutes = [step.allotted_minutes for step in steps]
            after = [float(sum(minutes[i + 1:])) for i in range(len(steps))]
            copied = [(step.id, step.code, step.name[:200], step.unit_id,
                       ((step.unit.name if step.unit is not None else step.performer) or "")[:200],
                       float(step.allotted_minutes), after[i]) for i, step in enumerate(steps)]
            table = self._tables[slot] = StepTable(version, steps, names, after, sum(minutes), version.procedure_id,
                                                   version.procedure.code, version.id, copied)
        return table


@dataclass
class Checked:
    """What the checks found out about each dossier of a batch: its receipt and its version's slot."""

    received: np.ndarray
    slots: np.ndarray  # per dossier: its version's slot in the catalogue, -1 for none
    skipped: np.ndarray  # no code: no further checks
    steps: np.ndarray | None = None  # per event: its step in the dossier's version, -1 for none
    #: dossiers whose receipt falls where their procedure had no process in force: an error (its arguments for
    #: ``ErrorLog.add``) unless the dossier is already recorded, as its stored receipt and version then count
    unplaced: dict[int, tuple] = field(default_factory=dict)


def shown(value: str, width: int = 40) -> str:
    """A long value cut for a message: its first *width* characters and an ellipsis."""
    return value if len(value) <= width else value[:width] + "…"


def stamp(seconds: float, zone) -> str:
    return datetime_of(seconds).astimezone(zone).strftime("%d/%m/%Y %H:%M")


def first_event_times(batch: Batch) -> np.ndarray:
    """The earliest event of each dossier (NaN for a dossier without events)."""
    first = np.full(len(batch), np.nan)
    counts = np.diff(batch.bounds)
    has = counts > 0
    if batch.event_count:
        first[has] = np.minimum.reduceat(batch.at, batch.bounds[:-1][has])
    return first


def check_batch(batch: Batch, catalogue: Catalogue, seen_codes: dict[str, str], now: float, log: ErrorLog,
                number: int) -> Checked:
    """Run every rule on *batch* (the *number*-th of the import); errors go to *log*."""
    first = first_event_times(batch)
    received = np.where(np.isnan(batch.received), first, batch.received)
    checked = Checked(received=received, slots=np.full(len(batch), -1, dtype=np.int64),
                      skipped=np.zeros(len(batch), dtype=bool))
    for index, where, column, value, rule in batch.problems:
        log.add((number, index, -1, 0), where, column, value, rule)
    for index in range(len(batch)):
        _check_dossier(batch, index, catalogue, seen_codes, now, log, number, checked)
    if batch.event_count:
        _check_events(batch, checked, now, log, number, catalogue.zone)
        _check_steps(batch, catalogue, checked, log, number)
    return checked


def _label(key: str) -> str:
    """The name of a field in a message: translated only when an error needs it (a million checks need none)."""
    return {"code": _("Dossier code"), "procedure_code": _("Procedure code"), "received_at": _("Received at"),
            "result_ready_at": _("Result ready at"), "returned_at": _("Returned at"), "outcome": _("Outcome"),
            "time": _("Time"), "lifecycle": _("Lifecycle"), "activity": _("Step")}[key]


def _column(batch: Batch, key: str) -> str:
    return batch.columns.get(key) or _label(key)


def _check_dossier(batch: Batch, index: int, catalogue: Catalogue, seen_codes, now: float, log: ErrorLog,
                   number: int, checked: Checked) -> None:
    where, order, zone = batch.wheres[index], (number, index, 0, 0), catalogue.zone

    def error(key, value, rule):
        log.add(order, where, _column(batch, key), value, rule)

    code = (batch.codes[index] or "").strip()
    if not code:
        error("code", batch.codes[index], _("The dossier code is required."))
        checked.skipped[index] = True
        return
    if len(code) > CODE_LENGTH:
        error("code", shown(code), _("A dossier code has at most %(n)d characters (%(given)d given).",
                                     n=CODE_LENGTH, given=len(code)))
    if code in seen_codes and seen_codes[code] != where:
        error("code", code, _("The dossier is already in this file at %(where)s.", where=seen_codes[code]))
    seen_codes.setdefault(code, where)
    procedure_code = batch.procedure_codes[index] or ""
    procedure = catalogue.procedures.get(procedure_code.strip()) if procedure_code else None
    if procedure_code and procedure is None:
        error("procedure_code", procedure_code, _("No procedure of the catalogue has this code."))
    received = float(checked.received[index])
    if received != received:
        error("received_at", "", _("The time of receipt is required."))
        return
    ready, returned = float(batch.ready[index]), float(batch.returned[index])
    for key, moment in (("received_at", received), ("result_ready_at", ready), ("returned_at", returned)):
        if moment > now:
            error(key, stamp(moment, zone), _("A date in the future cannot be recorded."))
    if returned < received:
        error("returned_at", stamp(returned, zone),
              _("The result cannot be returned before the dossier was received (%(received)s).",
                received=stamp(received, zone)))
    if ready < received:
        error("result_ready_at", stamp(ready, zone),
              _("The result cannot be ready before the dossier was received (%(received)s).",
                received=stamp(received, zone)))
    if returned < ready:
        error("returned_at", stamp(returned, zone),
              _("The result cannot be returned before it was ready (%(ready)s).", ready=stamp(ready, zone)))
    outcome = batch.outcomes[index] if batch.outcomes is not None else ""
    if outcome and outcome not in _OUTCOMES:
        error("outcome", outcome, _("Not a known outcome."))
    if procedure is not None:
        slot = catalogue.slot_at(procedure.id, received)
        if slot < 0:
            checked.unplaced[index] = (order, where, _column(batch, "received_at"), stamp(received, zone),
                                       _("%(code)s had no process in force on that date.", code=procedure.code))
        checked.slots[index] = slot


def _event_error(batch: Batch, log: ErrorLog, number: int, dossier: np.ndarray, mask: np.ndarray, phase: int,
                 key: str, value, rule) -> None:
    """One error per event of *mask* (at most ``MAX_ERRORS``); *value* and *rule* are functions of the event."""
    for event in np.flatnonzero(mask)[:log.cap].tolist():
        column = batch.event_columns[event] if batch.event_columns is not None and key == "time" else None
        log.add((number, int(dossier[event]), phase, event), batch.event_wheres[event],
                column or _column(batch, key), value(event), rule(event))


def _check_events(batch: Batch, checked: Checked, now: float, log: ErrorLog, number: int, zone) -> None:
    at = batch.at
    dossier = batch.dossier_of_events()
    live = ~checked.skipped[dossier]
    received = checked.received[dossier]
    missing = np.isnan(at) & live
    _event_error(batch, log, number, dossier, missing, 1, "time", lambda e: "",
                 lambda e: _("The time of the event is required."))
    _event_error(batch, log, number, dossier, (at > now) & live, 1, "time", lambda e: stamp(at[e], zone),
                 lambda e: _("A date in the future cannot be recorded."))
    _event_error(batch, log, number, dossier, (at < received) & live, 1, "time", lambda e: stamp(at[e], zone),
                 lambda e: _("The event comes before the dossier was received (%(received)s).",
                             received=stamp(received[e], zone)))
    backwards = np.zeros(len(at), dtype=bool)
    backwards[1:] = (at[1:] < at[:-1]) & (dossier[1:] == dossier[:-1])
    lifecycles = batch.lifecycles

    def out_of_order(e):
        if lifecycles is not None and lifecycles[e - 1] == "start" and lifecycles[e] == "complete" \
                and batch.activities[e - 1] == batch.activities[e]:
            return _("The step finishes before it started (%(started)s).", started=stamp(at[e - 1], zone))
        return _("Events out of order: this one comes before the previous event of the dossier (%(previous)s).",
                 previous=stamp(at[e - 1], zone))

    _event_error(batch, log, number, dossier, backwards & live, 1, "time", lambda e: stamp(at[e], zone),
                 out_of_order)
    if lifecycles is not None:
        codes, values = factorize(lifecycles)
        wrong = [i for i, value in enumerate(values) if value not in ("start", "complete")]
        if wrong:
            _event_error(batch, log, number, dossier, np.isin(codes, wrong) & live, 1, "lifecycle",
                         lambda e: lifecycles[e], lambda e: _("Only start and complete events are recorded."))


def step_indices(batch: Batch, slots: np.ndarray, catalogue: Catalogue, dossier: np.ndarray) -> np.ndarray:
    """For each event, the index of its step in its dossier's version (-1: no version or no such step)."""
    steps = np.full(len(dossier), -1, dtype=np.int64)
    slot_of_event = slots[dossier]
    has = slot_of_event >= 0
    if not has.any():
        return steps
    activity, values = factorize(batch.activities)
    folded = [fold(value) for value in values]
    pairs = slot_of_event[has] * len(values) + activity[has]
    unique, inverse = np.unique(pairs, return_inverse=True)
    found = np.array([catalogue.table(pair // len(values)).names.get(folded[pair % len(values)], -1)
                      for pair in unique.tolist()], dtype=np.int64)
    steps[has] = found[inverse.reshape(-1)]
    return steps


def _check_steps(batch: Batch, catalogue: Catalogue, checked: Checked, log: ErrorLog, number: int) -> None:
    dossier = batch.dossier_of_events()
    checked.steps = step_indices(batch, checked.slots, catalogue, dossier)
    slots = checked.slots[dossier]
    unknown = (slots >= 0) & (checked.steps < 0) & ~checked.skipped[dossier]
    _event_error(batch, log, number, dossier, unknown, 2, "activity", lambda e: batch.activities[e],
                 lambda e: _("%(code)s has no step of this code or name.",
                             code=catalogue.table(int(slots[e])).procedure_code))


def check_known(batch: Batch, checked: Checked, known: dict, catalogue: Catalogue, keys: list[str],
                starting: np.ndarray, log: ErrorLog, number: int) -> list[tuple[str, str, str]]:
    """The rules on the dossiers of *batch* already recorded (*known*: dossier index → ``Known``).

    A later import continues what is stored: its receipt and process version are the stored ones (``checked``
    is corrected to them), and a new event may come neither before the receipt nor before the latest
    recorded event of the dossier (events out of order across imports), nor name another procedure than the
    one the dossier was received for. Events already recorded (their key)
    are skipped, as the writer skips them; a completion of a step left open may not come before its start.
    Return (code, receipt in the source, receipt stored) of each dossier whose source gives another receipt
    than the stored one (kept: the import warns of it).
    """
    zone, at = catalogue.zone, batch.at
    changed, differing = [], []
    for index, recorded in known.items():  # slots first: an event's step is read in the stored version
        slot = catalogue.slot_of_version.get(recorded.version_id, -1)
        if slot != checked.slots[index]:
            checked.slots[index] = slot
            changed.append(index)
    if changed and batch.event_count:
        dossier = batch.dossier_of_events()
        checked.steps = step_indices(batch, checked.slots, catalogue, dossier)
        redone = np.zeros(len(batch), dtype=bool)
        redone[changed] = True
        slots = checked.slots[dossier]
        unknown = redone[dossier] & (slots >= 0) & (checked.steps < 0)
        _event_error(batch, log, number, dossier, unknown, 2, "activity", lambda e: batch.activities[e],
                     lambda e: _("%(code)s has no step of this code or name.",
                                 code=catalogue.table(int(slots[e])).procedure_code))
    identity = step_identity(batch, checked, catalogue)
    for index, recorded in known.items():
        where, order = batch.wheres[index], (number, index, 0, 0)
        given_code = (batch.procedure_codes[index] or "").strip()
        recorded_code = catalogue.procedure_codes.get(recorded.procedure_id, "")
        if given_code != recorded_code:  # a dossier belongs to one procedure, whatever a later file says
            log.add(order, where, _column(batch, "procedure_code"), given_code,
                    _("The dossier %(code)s was received for the procedure %(procedure)s.",
                      code=batch.codes[index].strip(), procedure=recorded_code or _("an observed process")))
            continue
        received, given = recorded.received_at, float(checked.received[index])  # given: already checked against
        checked.received[index] = received
        stated = float(batch.received[index])  # NaN when the source gives none (the first event stands for it)
        if stated == stated and abs(stated - received) >= 60:  # to the minute: exports often drop the seconds
            differing.append((batch.codes[index].strip(), stamp(stated, zone), stamp(received, zone)))
        ready, returned = float(batch.ready[index]), float(batch.returned[index])
        if returned < received and not returned < given:
            log.add(order, where, _column(batch, "returned_at"), stamp(returned, zone),
                    _("The result cannot be returned before the dossier was received (%(received)s).",
                      received=stamp(received, zone)))
        if ready < received and not ready < given:
            log.add(order, where, _column(batch, "result_ready_at"), stamp(ready, zone),
                    _("The result cannot be ready before the dossier was received (%(received)s).",
                      received=stamp(received, zone)))
        for event in range(int(batch.bounds[index]), int(batch.bounds[index + 1])):
            if keys[event] in recorded.keys or at[event] < given:  # recorded, or already refused by check_batch
                continue
            step = identity(event, index)
            if starting[event] and (step in recorded.open or (step, at[event]) in recorded.starts):
                continue  # this start is recorded
            opened = recorded.open.get(step) if not starting[event] else None
            if at[event] < received:
                rule = _("The event comes before the dossier was received (%(received)s).",
                         received=stamp(received, zone))
            elif opened is not None and at[event] < opened[1]:
                rule = _("The step finishes before it started (%(started)s).", started=stamp(opened[1], zone))
            elif at[event] < recorded.last_event:
                rule = _("Events out of order: this one comes before the last recorded event of the dossier "
                         "(%(previous)s).", previous=stamp(recorded.last_event, zone))
            else:
                continue
            column = batch.event_columns[event] if batch.event_columns is not None else None
            log.add((number, index, 1, event), batch.event_wheres[event], column or _column(batch, "time"),
                    stamp(at[event], zone), rule)
    return differing


def step_identity(batch: Batch, checked: Checked, catalogue: Catalogue):
    """(event, dossier index) → the step an event belongs to: its step code in the dossier's version, else its
    activity (an observed process); a start and its completion may name the step by code or by name."""
    steps, slots = checked.steps, checked.slots

    def identity(event: int, index: int) -> str:
        step, slot = (int(steps[event]) if steps is not None else -1), int(slots[index])
        if step >= 0 and slot >= 0:
            return catalogue.table(slot).copied[step][1]
        return batch.activities[event][:200]

    return identity
