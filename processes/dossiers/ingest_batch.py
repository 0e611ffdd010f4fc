"""The columnar form of an import for ``ingest``: dossiers and their step events as lists and NumPy arrays.

A million step events as Python objects cost seconds and most of a gigabyte; as columns they cost
tens of megabytes, and the checks, the working clock and the bulk inserts read them at once.
Readers of large files (``importing``) build a ``Batch`` directly; ``batch_from_inputs`` turns
``DossierInput`` objects (XES, the ingest API, tests) into the same columns, so every import
meets the same checks. Instants are UTC epoch seconds in float64 (exact to the microsecond for
these dates); NaN stands for "none given".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import numpy as np

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
KEY_LENGTH = 120  # StepRun.event_key


@dataclass
class Batch:
    """Dossiers (one entry each) and their step events (grouped by dossier, in the source's order).

    The events of dossier *i* are ``bounds[i]:bounds[i + 1]``. ``columns`` names the source's
    column behind a field (``"received_at"`` → "Ngày nhận") and ``event_columns`` the column of each
    event, so that a refusal names the file's own headers; both are optional.
    """

    codes: list[str]
    wheres: Sequence[str]
    procedure_codes: list[str]
    received: np.ndarray
    ready: np.ndarray
    returned: np.ndarray
    bounds: np.ndarray
    activities: list[str]
    at: np.ndarray
    event_wheres: Sequence[str]
    activity_sets: list[str] | None = None
    applicants: list[str] | None = None
    channels: list[str] | None = None
    outcomes: list[str] | None = None
    lifecycles: list[str] | None = None  # None: every event completes a step
    handlers: list[str] | None = None
    keys: list[str] | None = None  # None or "": derived from activity, lifecycle and time
    columns: dict[str, str] = field(default_factory=dict)
    event_columns: Sequence[str] | None = None
    rows: int = 0  # source rows behind the batch, for progress reports
    total_dossiers: int | None = None  # in the whole import, when the reader knows it (progress)
    #: What the reader already found wrong: (dossier index or -1, where, column, value, rule).
    problems: list[tuple[int, str, str, str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def event_count(self) -> int:
        return len(self.at)

    def dossier_of_events(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.codes)), np.diff(self.bounds))

    def text(self, name: str, index: int) -> str:
        values = getattr(self, name)
        return "" if values is None else (values[index] or "")


class RowLabels(Sequence):
    """``"Sự kiện!R12"`` for the *i*-th item, built only when a message needs it."""

    def __init__(self, prefix: str, rows):
        self.prefix, self.rows = prefix, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return RowLabels(self.prefix, self.rows[index])
        return f"{self.prefix}!R{int(self.rows[index])}"


def empty_times(count: int) -> np.ndarray:
    return np.full(count, np.nan)


def epoch_of(moment: datetime | None) -> float:
    if moment is None:
        return np.nan
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to ingest")
    return moment.timestamp()


def datetime_of(seconds: float) -> datetime | None:
    """The aware UTC instant of *seconds*, rounded to the microsecond like the columns store it."""
    if seconds != seconds:  # NaN
        return None
    micro = int(round(seconds * 1_000_000))
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=micro)


def batch_from_inputs(inputs: Sequence) -> Batch:
    """The columns of ``DossierInput`` objects (see ``ingest``), events in their given order."""
    counts = [len(item.events) for item in inputs]
    bounds = np.zeros(len(inputs) + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    events = [event for item in inputs for event in item.events]
    return Batch(
        codes=[item.code or "" for item in inputs], wheres=[item.where for item in inputs],
        procedure_codes=[item.procedure_code or "" for item in inputs],
        received=np.array([epoch_of(item.received_at) for item in inputs], dtype=np.float64),
        ready=np.array([epoch_of(item.result_ready_at) for item in inputs], dtype=np.float64),
        returned=np.array([epoch_of(item.returned_at) for item in inputs], dtype=np.float64),
        bounds=bounds, activities=[event.activity for event in events],
        at=np.array([epoch_of(event.at) for event in events], dtype=np.float64),
        event_wheres=[event.where or item.where for item in inputs for event in item.events],
        activity_sets=[item.activity_set for item in inputs], applicants=[item.applicant_name for item in inputs],
        channels=[item.channel for item in inputs], outcomes=[item.outcome for item in inputs],
        lifecycles=[event.lifecycle for event in events], handlers=[event.handler for event in events],
        keys=[event.key for event in events], rows=len(events) or len(inputs))


# Instants as the database stores them --------------------------------------------------------------


def _chars(strings: list[str], width: int) -> np.ndarray:
    return np.array(strings, dtype=f"U{width}").view(np.uint32).reshape(len(strings), width)


_TIME_OF_DAY: np.ndarray | None = None
_THREE_DIGITS: np.ndarray | None = None


def _tables() -> tuple[np.ndarray, np.ndarray]:
    global _TIME_OF_DAY, _THREE_DIGITS
    if _TIME_OF_DAY is None:
        _TIME_OF_DAY = _chars([f"{h:02d}:{m:02d}:{s:02d}." for h in range(24) for m in range(60) for s in range(60)],
                              9)
        _THREE_DIGITS = _chars([f"{i:03d}" for i in range(1000)], 3)
    return _TIME_OF_DAY, _THREE_DIGITS


def sql_timestamps(seconds: np.ndarray) -> list[str | None]:
    """``"YYYY-MM-DD HH:MM:SS.ffffff"`` (naive UTC, the text SQLAlchemy stores on SQLite and PostgreSQL
    parses), or None for NaN: built from lookup tables, a million in well under a second."""
    seconds = np.asarray(seconds, dtype=np.float64)
    missing = np.isnan(seconds)
    micros = np.round(np.where(missing, 0.0, seconds) * 1_000_000).astype(np.int64)
    days, rest = np.divmod(micros, 86_400_000_000)
    if not len(days):
        return []
    first, last = int(days.min()), int(days.max())
    dates = _chars([date.fromordinal(_EPOCH_ORDINAL + day).isoformat() + " " for day in range(first, last + 1)], 11)
    time_of_day, digits = _tables()
    second, micro = np.divmod(rest, 1_000_000)
    text = np.empty((len(micros), 26), dtype=np.uint32)
    text[:, :11] = dates[days - first]
    text[:, 11:20] = time_of_day[second]
    text[:, 20:23] = digits[micro // 1000]
    text[:, 23:] = digits[micro % 1000]
    values = text.view("U26").ravel().tolist()
    for index in np.flatnonzero(missing).tolist():
        values[index] = None
    return values


def factorize(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Codes (int32) and the distinct values in order of first appearance, at C speed."""
    index = {value: code for code, value in enumerate(dict.fromkeys(values))}
    codes = np.fromiter(map(index.__getitem__, values), dtype=np.int32, count=len(values))
    return codes, list(index)


# Events --------------------------------------------------------------------------------------------


def start_mask(batch: Batch) -> np.ndarray:
    if batch.lifecycles is None:
        return np.zeros(batch.event_count, dtype=bool)
    codes, values = factorize(batch.lifecycles)
    return np.isin(codes, [i for i, value in enumerate(values) if value == "start"])


def event_keys(batch: Batch, finished_text: list[str | None], starting: np.ndarray) -> list[str]:
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
