"""The one-row-per-event layout of an export turned into ``Batch`` columns for ``ingest``.

The rows of a dossier usually come together (exports sorted by dossier): then the file streams, and
the dossiers already complete (another code has followed them) are handed on a few thousand at a
time while the rest is read, so the database writes while the file is parsed. An event log sorted
by time interleaves its dossiers: when the first rows show it, the whole file is read into compact
columns (some 25 bytes an event) and grouped by dossier, in the file's order, before anything is
handed on; when it shows only after dossiers were handed on, ``NotGrouped`` tells the caller to
start again that way (``importing.run_import`` rolls back to its savepoint).

What a dossier's rows say of the dossier itself (procedure, applicant, channel, dates) is taken
from its first row; a row naming another procedure is refused. Rows without a code, a step or a
time are named with their row and column.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator

import numpy as np
from flask_babel import gettext as _

from processes.dossiers.ingest_batch import Batch, RowLabels
from processes.dossiers.importing_layouts import DOSSIER_KEYS, _dossier_columns, _Reading, _Texts, texts
from processes.dossiers.importing_mapping import Proposal
from processes.dossiers.importing_readers import SourceInfo

EVENT_KEYS = ("code", "procedure_code", "activity", "time", "lifecycle", "handler", "event_id", "applicant",
              "channel", "received_at", "result_ready_at", "returned_at", "outcome")
EVENT_COLUMNS = ("dossier", "row", "at", "activity", "lifecycle", "handler")
READ_ROWS = 50_000


class NotGrouped(Exception):
    """The rows of a dossier are apart in the file, found after dossiers were already handed on."""


def _factorize(values: list, index: dict, empty: int | None = None) -> np.ndarray:
    """Codes of *values* in the growing *index* (value → int), at C speed; "" gets *empty* when given."""
    for value in dict.fromkeys(values):
        if value not in index and (value or empty is None):
            index[value] = len(index)
    if empty is not None and "" not in index:
        index[""] = empty
        try:
            return np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))
        finally:
            del index[""]
    return np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))


class _Events:
    """The events read and not yet handed on, as columns, and what each dossier's first row says."""

    def __init__(self, reading: _Reading):
        self.reading = reading
        self.index: dict[str, int] = {}  # dossier code → number, in order of first appearance
        self.tables: dict[str, dict] = {"activity": {}, "lifecycle": {}, "handler": {}}
        self.procedures: dict[str, int] = {}
        self.procedure_of: list[int] = []
        self.first_rows: list[int] = []
        self.dossier_values: dict[str, list] = {}
        self.chunks: dict[str, list] = {key: [] for key in EVENT_COLUMNS + ("key",)}
        self.columns: dict[str, object] = {}
        self.handed = 0  # dossiers handed on so far
        self.last = -1  # the largest dossier number of the rows read

    def add(self, rows: list[int], values: dict) -> np.ndarray:
        """Read a chunk of rows; return the dossier number of each row kept, in the file's order."""
        reading, numbers = self.reading, np.asarray(rows, dtype=np.int64)
        codes = texts(values["code"])
        activity = _factorize(texts(values["activity"]), self.tables["activity"])
        at = reading.dates(values["time"], rows, "time")
        no_code = np.fromiter(map(operator.not_, codes), dtype=bool, count=len(codes))
        blank = [code for value, code in self.tables["activity"].items() if not value.strip()]
        _name_missing(reading, values, rows, no_code, activity, at, blank)
        keep = ~np.isnan(at) & ~no_code
        if blank:
            keep &= ~np.isin(activity, blank)
        kept = np.flatnonzero(keep)
        before = len(self.index)
        dossier = _factorize(codes if len(kept) == len(codes) else [codes[i] for i in kept.tolist()], self.index)
        new = np.flatnonzero(dossier >= before)
        _numbers, first = np.unique(dossier[new], return_index=True)
        first_rows = kept[new[first]].tolist()
        self.first_rows.extend(numbers[first_rows].tolist())
        if "procedure_code" in values:
            self._same_procedure(texts(values["procedure_code"], "procedure_code"), kept, dossier, first_rows, numbers)
        for key in DOSSIER_KEYS:
            if key in values:
                column = values[key]
                self.dossier_values.setdefault(key, []).extend([column[i] for i in first_rows])
        for key, column in (("dossier", dossier), ("row", numbers[kept]), ("at", at[kept]),
                            ("activity", activity[kept])):
            self.chunks[key].append(column)
        for key in ("lifecycle", "handler"):
            if key in values:
                self.chunks[key].append(_factorize(texts(values[key]), self.tables[key])[kept])
        if "event_id" in values:
            ids = texts(values["event_id"])
            self.chunks["key"].append([ids[i].strip() for i in kept.tolist()])
        return dossier

    def _same_procedure(self, texts_of_rows: list[str], kept: np.ndarray, dossier: np.ndarray,
                        first_rows: list[int], rows: np.ndarray) -> None:
        """Every row of a dossier must name the procedure its first row names."""
        codes = _factorize(texts_of_rows, self.procedures)
        self.procedure_of.extend(codes[first_rows].tolist())
        expected = np.asarray(self.procedure_of, dtype=np.int64)[dossier]
        names = None
        for k in np.flatnonzero(codes[kept] != expected)[:100].tolist():
            names = names or list(self.procedures)
            self.reading.problem(-1, int(rows[kept[k]]), "procedure_code", texts_of_rows[kept[k]],
                                 _("Another row of this dossier names another procedure (%(code)s at %(where)s).",
                                   code=names[expected[k]], where=self.reading.where(self.first_rows[dossier[k]])))

    def _join(self) -> None:
        """The chunks read since the last call appended to ``columns``."""
        for key, parts in self.chunks.items():
            if not parts:
                continue
            joined = (np.concatenate if key != "key" else lambda p: [v for part in p for v in part])(parts)
            old = self.columns.get(key)
            if old is not None:
                joined = np.concatenate([old, joined]) if key != "key" else old + joined
            self.columns[key] = joined
            self.chunks[key] = []

    def batches(self, stop: int, size: int, total: int | None) -> Iterator[Batch]:
        """Hand on the dossiers ``handed`` … *stop* - 1, *size* at a time; their rows lead ``columns``."""
        self._join()
        reading = self.reading
        codes = list(self.index) if stop > self.handed else []
        tables = {key: [value.strip() for value in table] for key, table in self.tables.items()}
        tables["lifecycle"] = [reading.lifecycle(value) or value for value in tables["lifecycle"]]
        while self.handed < stop:
            low, high = self.handed, min(self.handed + size, stop)
            dossier = self.columns["dossier"]
            cut = int(np.searchsorted(dossier, high, side="left"))
            counts = np.bincount(dossier[:cut] - low, minlength=high - low)
            kind = _Texts if reading.info.kind == "csv" else list
            values = {key: kind(column[low:high]) for key, column in self.dossier_values.items()}
            batch = _dossier_columns(reading, values, self.first_rows[low:high], high - low)
            batch.codes = codes[low:high]
            batch.bounds = np.zeros(high - low + 1, dtype=np.int64)
            np.cumsum(counts, out=batch.bounds[1:])
            batch.at = self.columns["at"][:cut]
            batch.activities = [tables["activity"][a] for a in self.columns["activity"][:cut].tolist()]
            batch.event_wheres = RowLabels(reading.info.label, self.columns["row"][:cut])
            for key, name in (("lifecycle", "lifecycles"), ("handler", "handlers")):
                if key in self.columns:
                    setattr(batch, name, [tables[key][c] for c in self.columns[key][:cut].tolist()])
            if "key" in self.columns:
                batch.keys = self.columns["key"][:cut]
            batch.problems, reading.problems = reading.problems, []
            batch.rows, batch.total_dossiers = cut, total
            for key in self.columns:
                self.columns[key] = self.columns[key][cut:]
            self.handed = high
            yield batch

    def group(self) -> None:
        """Every row read: put them in order of dossier, in the file's order within each."""
        self._join()
        if "dossier" in self.columns:
            order = np.argsort(self.columns["dossier"], kind="stable")
            for key, column in self.columns.items():
                self.columns[key] = column[order] if key != "key" else [column[i] for i in order.tolist()]


def _name_missing(reading: _Reading, values: dict, rows: list[int], no_code: np.ndarray, activity: np.ndarray,
                  at: np.ndarray, blank: list[int]) -> None:
    """Name the rows without a dossier code, a step or a time (a time that is not a date is named by ``dates``)."""
    for i in np.flatnonzero(no_code)[:100].tolist():
        reading.problem(-1, rows[i], "code", "", _("The dossier code is required."))
    for i in np.flatnonzero(np.isin(activity, blank) & ~no_code)[:100].tolist() if blank else []:
        reading.problem(-1, rows[i], "activity", "", _("The step is required."))
    times = values["time"]
    for i in np.flatnonzero(np.isnan(at) & ~no_code)[:100].tolist():
        if times[i] is None or not str(times[i]).strip():
            reading.problem(-1, rows[i], "time", "", _("The time of the event is required."))


def event_batches(path, info: SourceInfo, proposal: Proposal, offset: float, *, size: int = 10_000,
                  progress: Callable | None = None, date_format: str = "", stream: bool = True,
                  fast: bool = False) -> Iterator[Batch]:
    """Batches of *size* dossiers of a one-row-per-event export: streamed while the rows of each dossier come
    together (and *stream*), else once the whole file is read and grouped. May raise ``NotGrouped`` (*fast*:
    see ``read_chunks``)."""
    reading = _Reading(path, info, proposal, offset, date_format, fast)
    events = _Events(reading)
    for chunk, values, _extra in reading.chunks(EVENT_KEYS, [], READ_ROWS):
        dossier = events.add(chunk.rows, values)
        if stream and len(dossier):
            in_order = dossier[0] >= events.last and not (np.diff(dossier) < 0).any()
            events.last = max(events.last, int(dossier.max()))
            if not in_order:
                if events.handed:
                    raise NotGrouped
                stream = False  # interleaved from the start: read it all, then group
            elif events.last - events.handed >= size:
                yield from events.batches(events.handed + (events.last - events.handed) // size * size, size, None)
        if progress is not None:
            progress(reading.rows_read, chunk.done_fraction, not stream)
    if not stream:
        events.group()
    yield from events.batches(len(events.index), size, len(events.index))
    if not events.index and reading.problems:  # nothing but rows refused: their errors still go through
        yield Batch(codes=[], wheres=[], procedure_codes=[], received=np.zeros(0), ready=np.zeros(0),
                    returned=np.zeros(0), bounds=np.zeros(1, dtype=np.int64), activities=[], at=np.zeros(0),
                    event_wheres=[], problems=reading.problems)
