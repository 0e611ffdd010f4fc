"""Reading XES event logs (IEEE 1849, .xes or .xes.gz) into dossier records (issue 5, input path 3;
ISO 9001:2008 clauses 8.2.3, 8.4: the data of the processes' monitoring).

A trace becomes a dossier, its events step events: ``concept:name`` is the activity, ``time:timestamp``
the time, ``lifecycle:transition`` start or complete (other transitions are skipped and counted),
``org:resource`` the handler. The activities are matched to the steps of a chosen procedure by code or
name, or the log is imported as an observed process (no map) named after the log.

The file is read as a stream (``lxml.etree.iterparse`` over a gzip stream when compressed), one trace
at a time, and the dossiers go to ``ingest`` in batches in the caller's transaction: a log of a million
events never sits in memory. Every error names its trace and event; if there is one, the caller rolls
the whole import back (``IngestRefused``). Importing the same log again writes nothing.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath

from flask_babel import gettext as _
from sqlalchemy import select

from processes.dossiers.ingest import MAX_ERRORS, DossierInput, IngestError, IngestRefused, IngestReport, StepEvent, \
    ingest
from processes.dossiers.xes_reader import LogHeader, RawTrace, XesSyntaxError, parse_timestamp, read_traces
from processes.models import AdministrativeProcedure, ProcessStep, ProcessVersion
from qms.calendar import services as calendar
from qms.extensions import db
from qms.text import fold

#: Written by ``xes_export`` as a log attribute: its trace names already are dossier codes.
EXPORT_MARK = "qms:source"
EXPORT_SOURCE = "qms-tthc"
BATCH_TRACES = 2_000
CODE_LENGTH = 60  # Dossier.code
KEY_LENGTH = 120  # StepRun.event_key
#: Dossier dates an export of this application carries on its traces.
TRACE_DATES = {"qms:receivedAt": "received_at", "qms:resultReadyAt": "result_ready_at",
               "qms:returnedAt": "returned_at"}


@dataclass
class XesReport:
    """What an import read and what it wrote."""

    log_name: str = ""
    traces: int = 0
    events: int = 0
    skipped: Counter = field(default_factory=Counter)  # lifecycle transition → events skipped
    ingest: IngestReport = field(default_factory=IngestReport)
    seconds: float = 0.0

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


@dataclass
class XesOptions:
    """How the traces of one log become dossiers."""

    log_name: str  # the file's name: the observed process's name unless the log names itself
    procedure_code: str = ""  # empty: an observed process
    code_prefix: str | None = None  # None: "<file stem>-", except for a log this application exported


def _stem(name: str) -> str:
    base = PurePath(name).name
    for suffix in (".gz", ".xes", ".xml"):
        if base.lower().endswith(suffix):
            base = base[:-len(suffix)]
    return base or "log"


class _Converter:
    """Turns raw traces into DossierInput rows, collecting the reader's own errors."""

    def __init__(self, options: XesOptions, header: LogHeader, report: XesReport, now: datetime):
        self.options, self.header, self.report, self.now = options, header, report, now
        clock = calendar.working_clock()
        self.first_day = clock.first
        self.first_instant = datetime(clock.first.year, clock.first.month, clock.first.day, tzinfo=clock.zone)
        self.errors: list[IngestError] = []
        self.codes: set[str] = set()
        self.steps = _step_names(options.procedure_code) if options.procedure_code else None
        self.unmatched: dict[str, list] = {}  # activity → [events, first where]
        self._prefix = None
        # translated once: a million events must not each look up the catalogue
        self.trace_where = _("trace '%(name)s'")
        self.event_where = _("trace '%(name)s' event %(n)d")
        self.folded: dict[str, str] = {}

    def prefix(self) -> str:
        if self._prefix is None:
            if self.options.code_prefix is not None:
                self._prefix = self.options.code_prefix
            elif self.ours():
                self._prefix = ""
            else:
                self._prefix = _stem(self.options.log_name) + "-"
        return self._prefix

    def ours(self) -> bool:
        """The log is an export of this application: trace names are dossier codes, qms:* attributes hold."""
        return self.header.attributes.get(EXPORT_MARK) == EXPORT_SOURCE

    def error(self, where: str, column: str, value, rule: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(IngestError(where, column, "" if value is None else str(value), rule))

    def convert(self, trace: RawTrace) -> DossierInput | None:
        attributes = {**self.header.trace_defaults, **trace.attributes}
        name = attributes.get("concept:name") or str(trace.index)
        where = self.trace_where % {"name": name}
        code = f"{self.prefix()}{name}".strip()
        errors_before = len(self.errors)
        if len(code) > CODE_LENGTH:
            self.error(where, "concept:name", code, _("A dossier code has at most %(n)d characters.", n=CODE_LENGTH))
        elif code in self.codes:
            self.error(where, "concept:name", name, _("Another trace of the log has the same name."))
        self.codes.add(code)
        procedure_code = self.options.procedure_code
        if not procedure_code and self.ours():  # this application's export names each dossier's procedure
            procedure_code = attributes.get("qms:procedure", "")
        item = DossierInput(code=code, where=where, procedure_code=procedure_code,
                            activity_set="" if procedure_code else
                            (self.ours() and attributes.get("qms:activitySet")) or self.log_label())
        for key, target in TRACE_DATES.items():
            if key in attributes:
                setattr(item, target, self.moment(attributes[key], where, key))
        if attributes.get("qms:outcome"):
            item.outcome = attributes["qms:outcome"]
        if attributes.get("qms:channel"):
            item.channel = attributes["qms:channel"]
        item.events = self.events(trace, name)
        self.report.traces += 1
        return item if len(self.errors) == errors_before else None

    def log_label(self) -> str:
        return (self.header.attributes.get("concept:name") or PurePath(self.options.log_name).name)[:120]

    def moment(self, text: str, where: str, column: str) -> datetime | None:
        try:
            moment = parse_timestamp(text)
        except ValueError:
            self.error(where, column, text, _("Not a date and time of XES (xs:dateTime)."))
            return None
        if moment < self.first_instant:
            self.error(where, column, text, _("The working calendar starts on %(day)s: earlier times cannot be "
                                              "measured.", day=self.first_day.strftime("%d/%m/%Y")))
            return None
        return moment

    def events(self, trace: RawTrace, name: str) -> list[StepEvent]:
        events = []
        defaults = self.header.event_defaults
        instances = Counter(e.get("concept:instance") for e in trace.events if "concept:instance" in e)
        for number, raw in enumerate(trace.events, start=1):
            self.report.events += 1
            values = {**defaults, **raw} if defaults else raw
            where = self.event_where % {"name": name, "n": number}
            lifecycle = values.get("lifecycle:transition", "complete").strip().lower() or "complete"
            if lifecycle not in ("start", "complete"):
                self.report.skipped[lifecycle] += 1
                continue
            activity = (values.get("concept:name") or "").strip()
            if not activity:
                self.error(where, "concept:name", "", _("The event has no activity (concept:name)."))
                continue
            if "time:timestamp" not in values:
                self.error(where, "time:timestamp", "", _("The event has no time (time:timestamp)."))
                continue
            at = self.moment(values["time:timestamp"], where, "time:timestamp")
            if at is None:
                continue
            if self.steps is not None and self.fold(activity) not in self.steps:
                entry = self.unmatched.setdefault(activity, [0, where])
                entry[0] += 1
                continue
            events.append(StepEvent(activity=activity, at=at, lifecycle=lifecycle,
                                    handler=values.get("org:resource", "").strip(),
                                    key=_event_key(values, number, instances), where=where))
        return events

    def fold(self, activity: str) -> str:
        folded = self.folded.get(activity)
        if folded is None:
            folded = self.folded[activity] = fold(activity)
        return folded

    def unmatched_errors(self) -> list[IngestError]:
        return [IngestError(where, "concept:name", activity,
                            _("%(code)s has no step of this code or name (%(count)d events).",
                              code=self.options.procedure_code, count=count))
                for activity, (count, where) in self.unmatched.items()]


def _event_key(values: dict[str, str], number: int, instances: Counter) -> str:
    """The source's identity of an event: identity:id, else a unique concept:instance, else its place."""
    if values.get("identity:id"):
        return values["identity:id"][:KEY_LENGTH]
    instance = values.get("concept:instance")
    if instance and instances[instance] == 1:
        return f"instance:{instance}"[:KEY_LENGTH]
    return f"xes:{number}"


def _step_names(procedure_code: str) -> set[str] | None:
    """The folded codes and names of every step of every version of the procedure (None: no such code)."""
    procedure = db.session.scalar(select(AdministrativeProcedure).where(AdministrativeProcedure.code ==
                                                                        procedure_code))
    if procedure is None:
        return set()
    names = set()
    rows = db.session.execute(select(ProcessStep.code, ProcessStep.name).join(ProcessVersion)
                              .where(ProcessVersion.procedure_id == procedure.id))
    for code, name in rows:
        names.update((fold(code), fold(name)))
    return names


def import_xes(source, options: XesOptions, *, actor_name: str, now: datetime,
               batch_traces: int = BATCH_TRACES) -> XesReport:
    """Import an XES log into dossier records in the caller's transaction; raise IngestRefused on any error.

    *source* is a path or a binary stream (plain or gzip). The caller commits on success and rolls
    back on IngestRefused: batches already written belong to the same transaction.
    """
    started = time.perf_counter()
    report = XesReport()
    header = LogHeader()
    converter = _Converter(options, header, report, now)
    if options.procedure_code and not converter.steps:
        raise _refused(report, [IngestError(options.log_name, _("Procedure code"), options.procedure_code,
                                            _("No procedure of the catalogue has this code, or it has no "
                                              "process map."))])
    refused: list[IngestError] = []
    batch: list[DossierInput] = []
    traces = read_traces(source, header)
    try:
        for trace in traces:
            item = converter.convert(trace)
            if item is not None:
                batch.append(item)
            if len(batch) >= batch_traces:
                _ingest(batch, options, report, refused, converter, actor_name, now)
                batch = []
            if len(converter.errors) + len(refused) >= MAX_ERRORS:
                break
        _ingest(batch, options, report, refused, converter, actor_name, now)
    except XesSyntaxError as error:
        raise _refused(report, [IngestError(PurePath(options.log_name).name, "XML", "", str(error))]) from error
    finally:
        traces.close()
    report.log_name = converter.log_label()
    errors = converter.unmatched_errors() + converter.errors + refused
    report.seconds = time.perf_counter() - started
    if errors:
        raise _refused(report, errors[:MAX_ERRORS])
    return report


def _ingest(batch, options: XesOptions, report: XesReport, refused: list, converter: _Converter,
            actor_name: str, now: datetime) -> None:
    """One batch through the bulk path; nothing more is written once the import is known to fail."""
    if not batch or converter.errors or converter.unmatched or refused:
        return
    try:
        done = ingest(batch, source="xes", actor_name=actor_name, now=now, label=PurePath(options.log_name).name)
    except IngestRefused as error:
        refused.extend(error.report.errors)
        return
    total = report.ingest
    total.dossiers_created += done.dossiers_created
    total.dossiers_unchanged += done.dossiers_unchanged
    total.dossiers_updated += done.dossiers_updated
    total.steps_created += done.steps_created
    total.steps_opened += done.steps_opened
    total.steps_closed += done.steps_closed
    total.legacy_codes += done.legacy_codes
    total.legacy_examples.extend(done.legacy_examples[:MAX_ERRORS - len(total.legacy_examples)])


def _refused(report: XesReport, errors: list[IngestError]) -> IngestRefused:
    report.ingest.errors = errors
    return IngestRefused(report.ingest)


def report_lines(report: XesReport) -> list[str]:
    """The summary of an import, as the page and the command print it."""
    done = report.ingest
    lines = [_("%(log)s: %(traces)d traces, %(events)d events read in %(seconds).1f s.", log=report.log_name,
               traces=report.traces, events=report.events, seconds=report.seconds),
             _("%(created)d dossiers added, %(updated)d updated, %(unchanged)d unchanged; %(steps)d step runs "
               "recorded.", created=done.dossiers_created, updated=done.dossiers_updated,
               unchanged=done.dossiers_unchanged, steps=done.steps_created)]
    for lifecycle, count in sorted(report.skipped.items()):
        lines.append(_("%(count)d '%(lifecycle)s' events skipped (only start and complete are recorded).",
                       count=count, lifecycle=lifecycle))
    if done.steps_opened or done.steps_closed:
        lines.append(_("%(opened)d steps started and not finished yet; %(closed)d steps recorded open earlier are "
                       "finished now.", opened=done.steps_opened, closed=done.steps_closed))
    lines.extend(done.warnings())
    if not done.changed:
        lines.append(_("Nothing new: every dossier and event of this log was already recorded."))
    return lines
