"""Bulk ingestion of dossier records: the one path of every import (.xlsx/.csv, XES, the ingest API).

Readers turn their input into ``DossierInput`` rows, each with its step events in the order the
source gives them, or, for large files, straight into the columns of a ``Batch``
(``ingest_batch``). ``ingest`` checks everything and collects every error with where it came
from (sheet and row, event id), the column, the value and the rule (``ingest_checks``); if one
is wrong, nothing is written. Otherwise it measures every step at once on the working clock and
writes plain bulk inserts in the caller's transaction (``ingest_runs``, ``ingest_write``).

Large imports come as a stream of batches of a few thousand dossiers: each is checked, measured
and written before the next is read, all inside the caller's one transaction, so memory stays
flat and a million events take seconds. Once an error is found nothing more is written, the rest
is only checked (so the refusal lists every error), and the caller rolls the transaction back.

Idempotent: a dossier is known by its code and an event by its key (the source's event id, or
activity, lifecycle and time), so importing the same data again writes nothing and says so, and
new events of a known dossier are appended after the ones already recorded.

A step of a complete-only log lasts from the previous event of its dossier (or from receipt) to its
completion, as process-mining tools count it; a ``start`` event, when the source has one, starts it. A
start without its completion is an open step; a later import's completion closes it (``ingest_plan``).
New events of a known dossier are measured from what is stored, as if every event had come at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
from flask_babel import gettext as _
from flask_babel import ngettext

from processes.dossiers import ingest_write as write
from processes.dossiers.ingest_batch import Batch, batch_from_inputs, event_keys, sql_timestamps, start_mask
from processes.dossiers.ingest_checks import (MAX_ERRORS, Catalogue, ErrorLog, IngestError, check_batch, check_known,
                                              step_identity)
from processes.dossiers.ingest_plan import plan_runs
from processes.dossiers.ingest_runs import close_rows, dossier_constants, dossier_rows, run_rows
from processes.dossiers.ingest_target import THREAD_EVENTS, Target, Writer
from processes.dossiers.models import Channel
from processes.dossiers.rollup_absorb import Absorber
from processes.dossiers.services import code_is_standard
from processes.dossiers.timing import clock_for
from qms.audit import log as audit
from qms.calendar import services as calendar
from qms.extensions import db

__all__ = ["MAX_ERRORS", "Batch", "DossierInput", "IngestError", "IngestRefused", "IngestReport", "StepEvent",
           "ingest", "ingest_batches"]

#: Dossiers per batch when ``ingest`` is given objects: a few megabytes of columns at a time.
BATCH_DOSSIERS = 10_000


@dataclass
class StepEvent:
    activity: str  # a step code (B3) or name, or the log's activity
    at: datetime  # aware
    lifecycle: str = "complete"  # start | complete
    handler: str = ""
    key: str = ""  # the source's event id; derived when empty
    where: str = ""  # e.g. "Sự kiện!R12" or "event 8f1c…", for messages

    def event_key(self) -> str:
        return self.key or f"{self.activity}|{self.lifecycle}|{self.at.astimezone(timezone.utc).isoformat()}"


@dataclass
class DossierInput:
    code: str
    where: str = ""
    procedure_code: str = ""  # empty: an observed process without a map
    activity_set: str = ""  # the name of an observed process (a log's name)
    applicant_name: str = ""
    channel: str = Channel.IN_PERSON.value
    received_at: datetime | None = None  # default: the first event
    result_ready_at: datetime | None = None
    returned_at: datetime | None = None
    outcome: str = ""
    events: list[StepEvent] = field(default_factory=list)


@dataclass
class IngestReport:
    dossiers_created: int = 0
    dossiers_unchanged: int = 0
    dossiers_updated: int = 0
    steps_created: int = 0  # finished steps added
    steps_opened: int = 0  # started, not finished yet
    steps_closed: int = 0  # open steps recorded earlier, finished now
    events_read: int = 0
    errors: list[IngestError] = field(default_factory=list)
    skipped_events: list[str] = field(default_factory=list)  # where each event already recorded came from (API)
    legacy_codes: int = 0  # new dossiers whose code is not in the TT 01 format: kept, with a warning
    legacy_examples: list[str] = field(default_factory=list)  # the first MAX_ERRORS of them
    receipts_kept: int = 0  # dossiers already recorded whose source gives another receipt: the stored one is kept
    receipt_examples: list[tuple[str, str, str]] = field(default_factory=list)  # (code, given, stored), the first

    def warnings(self) -> list[str]:
        """What was accepted but deserves a look: codes outside the TT 01 format (as the browser path warns), and
        receipts of dossiers already recorded that the source dates otherwise."""
        warnings = []
        if self.receipts_kept:
            examples = "; ".join(_("%(code)s: %(given)s in the file, %(stored)s recorded", code=code, given=given,
                                   stored=stored) for code, given, stored in self.receipt_examples[:5])
            warnings.append(ngettext(
                "%(num)d dossier already recorded has another time of receipt in the file; the recorded one is kept "
                "and its deadlines count from it (%(examples)s).",
                "%(num)d dossiers already recorded have another time of receipt in the file; the recorded ones are "
                "kept and their deadlines count from them (%(examples)s).", self.receipts_kept,
                examples=examples + ("; …" if self.receipts_kept > 5 else "")))
        if not self.legacy_codes:
            return warnings
        return warnings + [ngettext(
            "%(num)d dossier code is not in the TT 01 format (unit code-yymmdd-number): it is kept as given "
            "(%(codes)s).",
            "%(num)d dossier codes are not in the TT 01 format (unit code-yymmdd-number): they are kept as given "
            "(%(codes)s).", self.legacy_codes,
            codes=", ".join(self.legacy_examples[:5]) + (", …" if self.legacy_codes > 5 else ""))]

    @property
    def changed(self) -> bool:
        return bool(self.dossiers_created or self.dossiers_updated or self.steps_created or self.steps_opened
                    or self.steps_closed)


class IngestRefused(Exception):
    def __init__(self, report: IngestReport):
        super().__init__(f"{len(report.errors)} errors")
        self.report = report


def ingest(inputs: list[DossierInput], *, source: str, actor_name: str, now: datetime, import_id: int | None = None,
           label: str = "", track_skipped: bool = False) -> IngestReport:
    """Check every input, then write the new dossiers and step runs; raise IngestRefused on any error.

    *track_skipped*: list in the report where each event already recorded came from (the API's answer)."""
    batches = (batch_from_inputs(inputs[start:start + BATCH_DOSSIERS])
               for start in range(0, len(inputs), BATCH_DOSSIERS))
    return ingest_batches(batches, source=source, actor_name=actor_name, now=now, import_id=import_id, label=label,
                          track_skipped=track_skipped)


def ingest_batches(batches: Iterable[Batch], *, source: str, actor_name: str, now: datetime,
                   import_id: int | None = None, label: str = "",
                   after_batch: Callable[[Batch, IngestReport], None] | None = None,
                   track_skipped: bool = False) -> IngestReport:
    """``ingest`` for a stream of batches (one dossier in one batch only), all in the caller's transaction.

    *after_batch* is called after each batch is checked (and handed to the writer while no error is found),
    with the report so far: the importer's progress bar. Raise IngestRefused when any rule is broken.
    """
    run = _Run(source=source, import_id=import_id, now=now, track_skipped=track_skipped)
    try:
        for batch in batches:
            run.take(batch)
            if after_batch is not None:
                after_batch(batch, run.report)
            if run.log.full:
                break
        run.finish()
        if not run.log:
            run.absorber.write()
    finally:
        run.close()  # the writer stops before the caller commits or rolls back on this connection
    report = run.report
    if run.log:
        report.errors = run.log.errors()
        raise IngestRefused(report)
    if report.changed:
        audit.record(db.session, "dossiers.import", object_type="dossiers",
                     summary=_("%(label)s: %(created)d dossiers added, %(updated)d updated, %(steps)d steps recorded "
                               "(by %(actor)s)", label=label or source, created=report.dossiers_created,
                               updated=report.dossiers_updated, steps=report.steps_created, actor=actor_name))
    return report


class _Run:
    """One import in progress: the catalogue and the clock read once, the codes seen, the errors so far, the
    writer thread. Each batch is checked and its rows prepared here while the previous one is written."""

    def __init__(self, *, source: str, import_id: int | None, now: datetime, track_skipped: bool = False):
        self.track_skipped = track_skipped
        self.now = now.timestamp()
        self.now_text = sql_timestamps([self.now])[0]
        self.rules = calendar.current_rules()
        self.clock = clock_for(self.rules.convention)
        self.catalogue = Catalogue()
        self.seen_codes: dict[str, str] = {}
        self.log = ErrorLog()
        self.report = IngestReport()
        self.number = 0
        self.constants = dossier_constants(self.rules, source=source, import_id=import_id, now_text=self.now_text)
        self.target: Target | None = None
        self.writer: Writer | None = None
        self.absorber = Absorber(self.rules.timeliness_point.value)  # the rollups fed as the rows are written

    def take(self, batch: Batch) -> None:
        self.number += 1
        self.report.events_read += batch.event_count
        checked = check_batch(batch, self.catalogue, self.seen_codes, self.now, self.log, self.number)
        if checked.unplaced:
            self._place(batch, checked)
        self.log.settle()
        if self.log or not len(batch):
            return  # refused: the rest is only checked
        if self.target is None:
            self.target = Target(self.constants)
            self.writer = Writer(threaded=batch.event_count >= THREAD_EVENTS)
        everyone = list(range(len(batch)))
        ids = self.target.reserve_ids(len(batch))  # SQLite: only the first batch reads, the writer still idle
        finished_text = sql_timestamps(batch.at)
        starting = start_mask(batch)
        keys = event_keys(batch, finished_text, starting)
        prepared = self._prepare(batch, checked, ids, everyone, {}, finished_text, keys)  # while the previous
        self.writer.wait()  # batch is written; the session's connection is then free: look up the dossiers
        known = write.known_dossiers([code.strip() for code in batch.codes],  # already recorded
                                     with_starts=bool(starting.any()))
        if known:
            by_index = {i: known[code.strip()] for i, code in enumerate(batch.codes) if code.strip() in known}
            differing = check_known(batch, checked, by_index, self.catalogue, keys, starting, self.log, self.number)
            self.report.receipts_kept += len(differing)
            self.report.receipt_examples.extend(differing[:MAX_ERRORS - len(self.report.receipt_examples)])
            self.log.settle()
            if self.log:
                return  # refused: nothing of this batch is written
            fresh = [i for i in everyone if i not in by_index]
            for index, recorded in by_index.items():
                ids[index] = recorded.id
            prepared = self._prepare(batch, checked, ids, fresh, by_index, finished_text, keys)
        dossiers, runs, plan = prepared
        if known:
            self.absorber.give_up()  # rows the rollups may have read change: they are refreshed after the commit
        else:
            finished = batch.at[plan.event]
            finished[plan.is_open] = np.nan
            self.absorber.take(dossiers, runs, finished)
        self.writer.submit(lambda: (self.target.insert_dossiers(dossiers), self.target.insert_runs(runs)))
        self.report.dossiers_created += len(dossiers)
        legacy = [row[1] for row in dossiers if row[2]]  # code, code_is_legacy: DOSSIER_COLUMNS after the id
        self.report.legacy_codes += len(legacy)
        self.report.legacy_examples.extend(legacy[:MAX_ERRORS - len(self.report.legacy_examples)])
        self.report.steps_created += len(runs) - int(plan.is_open.sum())
        self.report.steps_opened += int(plan.is_open.sum())
        if self.track_skipped:
            self.report.skipped_events.extend(batch.event_wheres[e] for e in plan.skipped)
        if known:
            closes = close_rows(batch, plan, checked, self.catalogue, self._due(batch, [], by_index, []), self.clock,
                                finished_text, keys)
            self.writer.wait()  # the session writes the updates
            write.close_runs(closes)
            self.report.steps_closed += len(closes)
            self._update_known(batch, by_index, plan)

    def _place(self, batch: Batch, checked) -> None:
        """A receipt where no process was in force is an error for a new dossier only: one already recorded
        keeps its stored receipt and version (``check_known``)."""
        if self.writer is not None:
            self.writer.wait()  # the session's connection is free
        codes = {index: (batch.codes[index] or "").strip() for index in checked.unplaced}
        known = write.known_dossiers(list(codes.values()))
        for index, arguments in checked.unplaced.items():
            if codes[index] not in known:
                self.log.add(*arguments)

    def _prepare(self, batch: Batch, checked, ids: np.ndarray, fresh: list[int], known: dict,
                 finished_text: list[str | None], keys: list[str]):
        """The rows of the new dossiers *fresh* (with their *ids*) and of every new step run of the batch."""
        rows, due_new = dossier_rows(batch, fresh, checked, self.catalogue, self.clock, self.rules,
                                     standard=code_is_standard)
        due = self._due(batch, fresh, known, due_new)
        dossiers = [(ident,) + row for ident, row in zip(ids[fresh].tolist(), rows)]
        plan = plan_runs(batch, list(range(len(batch))), checked.received, known, finished_text, keys,
                         identity=step_identity(batch, checked, self.catalogue))
        runs = run_rows(batch, plan, checked, self.catalogue, ids, due, self.clock, finished_text)
        return dossiers, runs, plan

    @staticmethod
    def _due(batch: Batch, fresh: list[int], known: dict, due_new) -> np.ndarray:
        """Each dossier's due date: computed for the new ones, as stored for those already recorded."""
        due = np.full(len(batch), np.nan)
        due[fresh] = due_new
        for index, recorded in known.items():
            due[index] = recorded.due_at
        return due

    def _update_known(self, batch: Batch, known: dict, plan) -> None:
        appended = set(plan.dossier.tolist()) | {close[3] for close in plan.closes}
        changes = []
        for index, recorded in known.items():
            ready, returned = float(batch.ready[index]), float(batch.returned[index])
            dated = (ready == ready and recorded.result_ready_at != recorded.result_ready_at) or \
                (returned == returned and recorded.returned_at != recorded.returned_at)
            if dated:
                changes.append((recorded, ready, returned, batch.outcomes[index] if batch.outcomes else ""))
            changed = dated or index in appended
            self.report.dossiers_updated += changed
            self.report.dossiers_unchanged += not changed
        write.update_known(changes, self.clock, self.now_text)

    def finish(self) -> None:
        """Everything written; SQLite's indexes built again when a large import dropped them."""
        if self.writer is not None:
            self.writer.wait()
            self.target.restore_indexes()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.target is not None:
            self.target.close()
