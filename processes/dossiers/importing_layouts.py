"""The rows of an export turned into ``Batch`` columns for ``ingest``: the one-row-per-dossier layout, and
what both layouts share (``importing_events`` has the one-row-per-event layout).

``dossiers`` (one row per dossier, a column per step): each chunk of rows is a batch, streamed. Its
step columns become complete events in the order of the steps, so a step finished before the one
before it is refused as events out of order, naming its column. Cells that are not what their
column needs (no code, a date that is not one, an unknown channel) are named here, with their
row, column, value and rule; ``ingest`` checks the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from flask_babel import gettext as _

from processes.dossiers.ingest_batch import Batch, RowLabels
from processes.dossiers.importing_dates import excel_serials, parse_texts, parse_with_format
from processes.dossiers.importing_mapping import (
    Proposal,
    channel_normaliser,
    lifecycle_normaliser,
    outcome_normaliser,
)
from processes.dossiers.importing_readers import SourceInfo, read_chunks

DATE_RULE = "Not a date and time: write dd/mm/yyyy HH:MM, for example 25/04/2024 14:30."
EVENT_KEYS = ("code", "procedure_code", "activity", "time", "lifecycle", "handler", "event_id", "applicant",
              "channel", "received_at", "result_ready_at", "returned_at", "outcome")
DOSSIER_KEYS = ("code", "procedure_code", "applicant", "channel", "received_at", "result_ready_at", "returned_at",
                "outcome")


def text_of(value, key: str = "") -> str:
    """A cell as text: a workbook number as it was typed (1234.0 → "1234"; a TTHC code 1.00447 → "1.004470")."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.6f}" if key == "procedure_code" and 0 < value < 10 else repr(value)
    return str(value)


def texts(values: list, key: str = "") -> list[str]:
    """The cells as text; a CSV's are already (its chunks are lists of str)."""
    if type(values) is _Texts:
        return values
    return [text_of(value, key) for value in values]


class _Texts(list):
    """A column read from a CSV: text only."""


class _Reading:
    """The state of one file being read: its columns, the problems found, the progress callback."""

    def __init__(self, path, info: SourceInfo, proposal: Proposal, offset: float, date_format: str = "",
                 fast: bool = False):
        self.path, self.info, self.proposal, self.offset, self.fast = path, info, proposal, offset, fast
        self.date_format = date_format
        self.problems: list[tuple[int, str, str, str, str]] = []
        self.channel, self.lifecycle, self.outcome = channel_normaliser(), lifecycle_normaliser(), outcome_normaliser()
        self.columns = {key: header for key, header in proposal.fields.items() if header}
        self.rows_read = 0

    def where(self, row: int) -> str:
        return f"{self.info.label}!R{row}"

    def problem(self, index: int, row: int, key: str, value, rule: str) -> None:
        if len(self.problems) < 500:
            self.problems.append((index, self.where(row), self.columns.get(key, key), "" if value is None else
                                  str(value), rule))

    def dates(self, values: list, rows: list[int], key: str, column: str | None = None,
              index_of: Callable[[int], int] = lambda i: -1) -> np.ndarray:
        """Epoch seconds of a column of cells (text, or Excel serials from a workbook); bad cells named, NaN."""
        numeric = [] if type(values) is _Texts else \
            [i for i, value in enumerate(values) if isinstance(value, (int, float)) and not isinstance(value, bool)]
        if numeric and len(numeric) == len(values):
            return excel_serials(np.array(values, dtype=np.float64), self.offset, self.info.date1904)
        result = np.full(len(values), np.nan)
        others = list(range(len(values)))
        if numeric:
            result[numeric] = excel_serials(np.array([values[i] for i in numeric], dtype=np.float64), self.offset,
                                            self.info.date1904)
            numbers = set(numeric)
            others = [i for i in others if i not in numbers]
        text = texts(values) if len(others) == len(values) else [text_of(values[i]) for i in others]
        parse = (lambda v: parse_with_format(v, self.date_format, self.offset)) if self.date_format else \
            (lambda v: parse_texts(v, self.offset))
        parsed, wrong = parse(text)
        if len(others) == len(values):
            result = parsed
        else:
            result[others] = parsed
            wrong = [others[i] for i in wrong]
        for i in wrong:
            if len(self.problems) < 500:
                self.problems.append((index_of(i), self.where(rows[i]), column or self.columns.get(key, key),
                                      text_of(values[i]), _(DATE_RULE)))
        return result

    def chunks(self, keys: tuple[str, ...], extra: list[str], size: int):
        wanted = [key for key in keys if key in self.columns]
        headers = [self.columns[key] for key in wanted] + extra
        positions = [self.info.headers.index(header) for header in headers]
        for chunk in read_chunks(self.path, self.info, positions, chunk=size, fast=self.fast):
            self.rows_read += len(chunk.rows)
            if self.info.kind == "csv":
                chunk.values = [_Texts(column) for column in chunk.values]  # a CSV's cells are all text
            values = dict(zip(wanted, chunk.values))
            yield chunk, values, chunk.values[len(wanted):]


def dossier_batches(path, info: SourceInfo, proposal: Proposal, offset: float, *, size: int = 10_000,
                    progress: Callable | None = None, date_format: str = "", fast: bool = False) -> Iterator[Batch]:
    """One batch per *size* rows of a one-row-per-dossier export (*fast*: see ``read_chunks``)."""
    reading = _Reading(path, info, proposal, offset, date_format, fast)
    steps = sorted(proposal.steps.items(), key=lambda item: int(item[0][1:]))
    step_codes, step_headers = [code for code, _h in steps], [header for _c, header in steps]
    for chunk, values, step_values in reading.chunks(DOSSIER_KEYS, step_headers, size):
        rows = chunk.rows
        count = len(rows)
        matrix = np.full((count, len(steps)), np.nan)
        for j, column in enumerate(step_values):
            matrix[:, j] = reading.dates(column, rows, "", step_headers[j], index_of=lambda i: i)
        batch = _dossier_columns(reading, values, rows, count)
        mask = ~np.isnan(matrix)
        batch.bounds = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(mask.sum(axis=1), out=batch.bounds[1:])
        row_of, step_of = np.nonzero(mask)
        batch.at = matrix[row_of, step_of]
        batch.activities = [step_codes[j] for j in step_of.tolist()]
        batch.event_columns = [step_headers[j] for j in step_of.tolist()]
        batch.event_wheres = RowLabels(info.label, np.asarray(rows)[row_of])
        batch.problems, reading.problems = reading.problems, []
        batch.rows = count
        yield batch
        if progress is not None:
            progress(reading.rows_read, chunk.done_fraction)


def _dossier_columns(reading: _Reading, values: dict, rows: list[int], count: int, index_of=lambda i: i) -> Batch:
    def column(key):
        return texts(values[key], key) if key in values else [""] * count

    def dates(key):
        return reading.dates(values[key], rows, key, index_of=index_of) if key in values else np.full(count, np.nan)

    codes = column("code")
    for i, code in enumerate(codes):
        if not code:
            reading.problem(index_of(i), rows[i], "code", "", _("The dossier code is required."))
    channels = []
    for i, text in enumerate(column("channel")):
        channel = reading.channel(text)
        if channel is None:
            reading.problem(index_of(i), rows[i], "channel", text,
                            _("Not a known channel: write trực tiếp, bưu chính or trực tuyến."))
        channels.append(channel or "in_person")
    outcomes = [reading.outcome(text) for text in column("outcome")]
    outcomes = [ours if ours is not None else text for ours, text in zip(outcomes, column("outcome"))]
    return Batch(codes=codes, wheres=RowLabels(reading.info.label, np.asarray(rows)),
                 procedure_codes=column("procedure_code"), received=dates("received_at"), ready=dates("result_ready_at"),
                 returned=dates("returned_at"), bounds=np.zeros(count + 1, dtype=np.int64), activities=[],
                 at=np.zeros(0), event_wheres=[], applicants=column("applicant"), channels=channels,
                 outcomes=outcomes, columns=dict(reading.columns))
