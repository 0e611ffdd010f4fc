"""Rollups of the measured step runs and dossiers, for the analysis of timeliness (ISO 9001:2008 8.2.3, 8.4).

The analysis reads a million step runs at a time; scanning them in the tables takes seconds on
SQLite. So the figures it needs are kept again, by month, as columns: one row per (step, month) of
finished step runs and one per (procedure, month) of measured dossiers, each holding little-endian
NumPy arrays in binary columns (the day of the month, the used working time, the result, the
channel, ...). Reading every month of every step is a few dozen milliseconds (``processes.dossiers.facts``
reads them and keeps them in memory), and the medians and percentiles computed from them are exact.

``refresh_rollups`` brings them up to date and is cheap when nothing changed. It relies on two facts
of the dossier model: a finished step run is never changed again, and a measured dossier keeps its
measuring point. So what is new since the last refresh is the rows with a higher id, the step runs
that were still running then and the dossiers that were not measured yet, whose ids are kept. The
month of a run is the local month it finished in; of a dossier, the local month of its measuring
point (result ready or returned, the rule kept with the dossier). Call it after an import (the
analysis pages and ``qms step-stats`` also call it before they read); ``full=True`` rebuilds all.
"""

from __future__ import annotations

import gc
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    insert,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from processes.dossiers.models import Channel, DossierStatus, Timeliness
from qms.dbtypes import UTCDateTime
from qms.extensions import db
from qms.timeutil import agency_zone, local_midnight_utc, utcnow

RESULTS = (Timeliness.EARLY.value, Timeliness.ON_TIME.value, Timeliness.LATE.value)  # codes 0, 1, 2; none: -1
CHANNELS = (Channel.IN_PERSON.value, Channel.POST.value, Channel.ONLINE.value)  # codes 0, 1, 2
#: Dossiers that will never be measured: not accepted, withdrawn, stopped.
TERMINAL = (int(DossierStatus.NOT_ACCEPTED), int(DossierStatus.WITHDRAWN), int(DossierStatus.STOPPED))
STEP_COLUMNS = {"day": "u1", "used": "<f8", "result": "i1", "channel": "i1", "unit": "<i4", "handler": "<i4"}
DOSSIER_COLUMNS = {"day": "u1", "used": "<f8", "limit_units": "<f8", "result": "i1", "channel": "i1",
                   "late_step": "<i8"}
CHUNK = 900


class StepRunBlock(db.Model):
    """The finished step runs of one step in one local month, as columns."""

    __tablename__ = "analysis_step_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("process_steps.id", ondelete="CASCADE"), index=True)
    month: Mapped[int] = mapped_column(Integer, index=True)  # yyyymm, local
    generation: Mapped[int] = mapped_column(default=0)  # the refresh that wrote it (readers cache by it)
    runs: Mapped[int] = mapped_column()
    handlers: Mapped[str] = mapped_column(Text, default="[]")  # JSON list: the names the handler codes point to
    day: Mapped[bytes] = mapped_column(LargeBinary)
    used: Mapped[bytes] = mapped_column(LargeBinary)
    result: Mapped[bytes] = mapped_column(LargeBinary)
    channel: Mapped[bytes] = mapped_column(LargeBinary)
    unit: Mapped[bytes] = mapped_column(LargeBinary)  # unit id, 0 for none
    handler: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("step_id", "month"),)


class DossierBlock(db.Model):
    """The measured dossiers of one procedure whose measuring point fell in one local month, as columns."""

    __tablename__ = "analysis_dossier_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("administrative_procedures.id", ondelete="CASCADE"),
                                              index=True)
    month: Mapped[int] = mapped_column(Integer, index=True)
    generation: Mapped[int] = mapped_column(default=0)
    dossiers: Mapped[int] = mapped_column()
    day: Mapped[bytes] = mapped_column(LargeBinary)
    used: Mapped[bytes] = mapped_column(LargeBinary)
    limit_units: Mapped[bytes] = mapped_column(LargeBinary)  # the dossier's limit, 480 a working day
    result: Mapped[bytes] = mapped_column(LargeBinary)
    channel: Mapped[bytes] = mapped_column(LargeBinary)
    late_step: Mapped[bytes] = mapped_column(LargeBinary)  # the first step recorded late, 0 for none

    __table_args__ = (UniqueConstraint("procedure_id", "month"),)


class RollupState(db.Model):
    """How far the rollups have read: the last ids seen and the rows that could still change."""

    __tablename__ = "analysis_rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    runs_seen: Mapped[int] = mapped_column(default=0)
    open_runs: Mapped[bytes] = mapped_column(LargeBinary, default=b"")  # ids of step runs still running
    dossiers_seen: Mapped[int] = mapped_column(default=0)
    open_dossiers: Mapped[bytes] = mapped_column(LargeBinary, default=b"")  # ids not measured yet
    generation: Mapped[int] = mapped_column(default=0)  # counts the refreshes that wrote blocks
    lineage: Mapped[int] = mapped_column(BigInteger, default=0)  # random, drawn when the rollups start afresh
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass
class RefreshReport:
    step_blocks: int = 0  # blocks written or removed
    dossier_blocks: int = 0
    full: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.step_blocks or self.dossier_blocks)


# Refreshing -----------------------------------------------------------------------------------------


def refresh_rollups(*, full: bool = False) -> RefreshReport:
    """Bring the rollups up to date with the step runs and dossiers recorded since the last refresh."""
    enabled = gc.isenabled()
    gc.disable()  # a million fetched rows are not cycles: collecting while they arrive triples the time
    try:
        return _refresh(full)
    finally:
        if enabled:
            gc.enable()


def _refresh(full: bool) -> RefreshReport:
    state = db.session.get(RollupState, 1, with_for_update=True)
    if state is None:
        state = RollupState(id=1, runs_seen=0, open_runs=b"", dossiers_seen=0, open_dossiers=b"", generation=0,
                            lineage=secrets.randbits(62))
        db.session.add(state)
        full = True
    report = RefreshReport(full=full)
    generation = state.generation + 1  # the blocks written now carry it
    runs_max = db.session.scalar(sql("SELECT COALESCE(MAX(id), 0) FROM step_runs"))
    dossiers_max = db.session.scalar(sql("SELECT COALESCE(MAX(id), 0) FROM dossiers"))
    if full:
        db.session.execute(delete(StepRunBlock))
        db.session.execute(delete(DossierBlock))
        report.step_blocks = _rebuild_steps(None, generation)
        report.dossier_blocks = _rebuild_dossiers(None, generation)
        open_runs = _ids("SELECT id FROM step_runs WHERE finished_at IS NULL AND id <= :top", top=runs_max)
        open_dossiers = _ids(f"SELECT id FROM dossiers WHERE used_units IS NULL AND status NOT IN {TERMINAL} "
                             "AND id <= :top", top=dossiers_max)
    else:
        report.step_blocks, open_runs = _refresh_steps(state, runs_max, generation)
        report.dossier_blocks, open_dossiers = _refresh_dossiers(state, dossiers_max, generation)
    if full or report.changed:
        state.generation = generation
    if full or report.changed or state.runs_seen != runs_max or state.dossiers_seen != dossiers_max:
        state.runs_seen, state.dossiers_seen = runs_max, dossiers_max
        state.open_runs, state.open_dossiers = open_runs.tobytes(), open_dossiers.tobytes()
        state.refreshed_at = utcnow()
    db.session.flush()
    return report


def _ids(query: str, **params) -> np.ndarray:
    return np.array(db.session.scalars(sql(query), params).all(), dtype="<i8")


def _among(query: str, ids: np.ndarray) -> list:
    """Rows of *query* (with an expanding ``:ids``) for *ids*, in chunks the databases accept."""
    statement = sql(query).bindparams(bindparam("ids", expanding=True))
    rows = []
    for start in range(0, len(ids), CHUNK):
        rows.extend(db.session.execute(statement, {"ids": [int(i) for i in ids[start:start + CHUNK]]}).all())
    return rows


def _refresh_steps(state: RollupState, runs_max: int, generation: int) -> tuple[int, np.ndarray]:
    previous = np.frombuffer(state.open_runs or b"", dtype="<i8")
    finished = _epoch_sql("finished_at")
    rows = db.session.execute(sql(f"SELECT step_id, {finished} FROM step_runs WHERE id > :seen AND id <= :top "
                                  "AND finished_at IS NOT NULL AND step_id IS NOT NULL"),
                              {"seen": state.runs_seen, "top": runs_max}).all()
    rows += _among(f"SELECT step_id, {finished} FROM step_runs WHERE id IN :ids AND finished_at IS NOT NULL "
                   "AND step_id IS NOT NULL", previous)
    still_open = [row[0] for row in _among("SELECT id FROM step_runs WHERE id IN :ids AND finished_at IS NULL",
                                           previous)]
    new_open = _ids("SELECT id FROM step_runs WHERE id > :seen AND id <= :top AND finished_at IS NULL",
                    seen=state.runs_seen, top=runs_max)
    open_runs = np.concatenate([np.array(still_open, dtype="<i8"), new_open])
    if not rows:
        return 0, open_runs
    keys = {(int(step), int(month)) for step, month in zip((r[0] for r in rows), _months([r[1] for r in rows]))}
    return _rebuild_steps(keys, generation), open_runs


def _refresh_dossiers(state: RollupState, dossiers_max: int, generation: int) -> tuple[int, np.ndarray]:
    previous = np.frombuffer(state.open_dossiers or b"", dtype="<i8")
    point = _epoch_sql(POINT)
    rows = db.session.execute(sql(f"SELECT procedure_id, {point} FROM dossiers WHERE id > :seen AND id <= :top "
                                  "AND used_units IS NOT NULL AND procedure_id IS NOT NULL"),
                              {"seen": state.dossiers_seen, "top": dossiers_max}).all()
    rows += _among(f"SELECT procedure_id, {point} FROM dossiers WHERE id IN :ids AND used_units IS NOT NULL "
                   "AND procedure_id IS NOT NULL", previous)
    still_open = [row[0] for row in _among(f"SELECT id FROM dossiers WHERE id IN :ids AND used_units IS NULL "
                                           f"AND status NOT IN {TERMINAL}", previous)]
    new_open = _ids(f"SELECT id FROM dossiers WHERE id > :seen AND id <= :top AND used_units IS NULL "
                    f"AND status NOT IN {TERMINAL}", seen=state.dossiers_seen, top=dossiers_max)
    open_dossiers = np.concatenate([np.array(still_open, dtype="<i8"), new_open])
    rows = [row for row in rows if row[1] is not None]
    if not rows:
        return 0, open_dossiers
    keys = {(int(p), int(month)) for p, month in zip((r[0] for r in rows), _months([r[1] for r in rows]))}
    return _rebuild_dossiers(keys, generation), open_dossiers


# The measuring point of a dossier: the rule kept with it (timing.measuring_point).
POINT = ("(CASE WHEN timeliness_point = 'returned' THEN returned_at "
         "ELSE COALESCE(result_ready_at, returned_at) END)")


def _epoch_sql(column: str) -> str:
    """Seconds since 1970 (UTC) of a stored naive-UTC timestamp, in the dialect of the session."""
    if db.session.get_bind().dialect.name == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"
    return f"CAST(strftime('%s', {column}) AS INTEGER)"


def _local(epoch: np.ndarray) -> np.ndarray:
    offset = datetime(2020, 1, 1, tzinfo=agency_zone()).utcoffset().total_seconds()  # one offset: engine.py
    return (np.asarray(epoch, dtype="<i8") + int(offset)).astype("datetime64[s]")


def _months(epoch) -> np.ndarray:
    months = _local(np.asarray(epoch, dtype="<i8")).astype("datetime64[M]").astype("<i8")
    return (months // 12 + 1970) * 100 + months % 12 + 1


def _days(epoch: np.ndarray) -> np.ndarray:
    local = _local(epoch)
    return (local.astype("datetime64[D]") - local.astype("datetime64[M]").astype("datetime64[D]")).astype("<i8") + 1


def month_bounds(month: int) -> tuple[datetime, datetime]:
    """The UTC instants a local month (yyyymm) starts and the next one starts."""
    year, number = divmod(month, 100)
    following = date(year + (number == 12), number % 12 + 1, 1)
    return local_midnight_utc(date(year, number, 1)), local_midnight_utc(following)


def _key_filter(keys: set[tuple[int, int]] | None, owner: str, column: str) -> str:
    """SQL narrowing a rebuild to the owners (steps or procedures) and months of *keys* (ids and instants we
    made, written as literals: the same text on both databases)."""
    if keys is None:
        return ""
    owners = ", ".join(str(int(owner_id)) for owner_id in sorted({owner_id for owner_id, _ in keys}))
    first, _ = month_bounds(min(month for _, month in keys))
    _, last = month_bounds(max(month for _, month in keys))
    return (f" AND {owner} IN ({owners}) AND {column} >= '{first:%Y-%m-%d %H:%M:%S}' "
            f"AND {column} < '{last:%Y-%m-%d %H:%M:%S}'")


def fetch_rows(query: str) -> list[tuple]:
    """All the rows of *query*, through the driver's own cursor: a million rows without building ORM rows."""
    cursor = db.session.connection().connection.cursor()
    try:
        cursor.execute(query)
        return cursor.fetchall()
    finally:
        cursor.close()


def _epoch(values) -> np.ndarray:
    """UTC epoch seconds of naive-UTC timestamps as the driver gives them (text on SQLite, datetimes else)."""
    return np.array(values, dtype="datetime64[us]").astype("datetime64[s]").astype("<i8")


def _codes(values, names: tuple[str, ...]) -> np.ndarray:
    lookup = {name: code for code, name in enumerate(names)}
    return np.array([lookup.get(value, -1) for value in values], dtype="i1")


def _rebuild_steps(keys: set[tuple[int, int]] | None, generation: int) -> int:
    """Write the blocks of *keys* (None: every step and month) from the step runs."""
    rows = fetch_rows("SELECT step_id, finished_at, used_units, result, dossier_id, unit_id, handler FROM step_runs "
                  "WHERE finished_at IS NOT NULL AND step_id IS NOT NULL"
                  + _key_filter(keys, "step_id", "finished_at"))
    if not rows:
        _replace(StepRunBlock, StepRunBlock.step_id, keys, [])
        return 0 if keys is None else len(keys)
    step, finished, used, result, dossier, unit, handler = zip(*rows)
    names: dict[str, int] = {}
    handler_codes = np.array([names.setdefault(name or "", len(names)) for name in handler], dtype="<i4")
    finished = _epoch(finished)
    columns = {"day": _days(finished), "used": np.array(used, dtype="<f8"), "result": _codes(result, RESULTS),
               "channel": _channels_of(np.array(dossier, dtype="<i8")),
               "unit": np.array([u or 0 for u in unit], dtype="<i4"), "handler": handler_codes}
    handler_names = list(names)
    blocks = []
    for (owner, month), index in _groups(np.array(step, dtype="<i8"), _months(finished), keys):
        codes = columns["handler"][index]
        present = np.unique(codes)
        block = {name: columns[name][index].astype(dtype).tobytes() for name, dtype in STEP_COLUMNS.items()
                 if name != "handler"}
        block["handler"] = np.searchsorted(present, codes).astype("<i4").tobytes()
        blocks.append({"step_id": owner, "month": month, "generation": generation, "runs": len(index), **block,
                       "handlers": json.dumps([handler_names[c] for c in present], ensure_ascii=False)})
    _replace(StepRunBlock, StepRunBlock.step_id, keys, blocks)
    return len(blocks) if keys is None else len(keys)


def _channels_of(dossier_ids: np.ndarray) -> np.ndarray:
    """The channel code of each run's dossier, looked up by id rather than joined row by row."""
    lookup = np.full(int(dossier_ids.max()) + 1, -1, dtype="i1")
    if len(dossier_ids) > 100_000:
        rows = fetch_rows("SELECT id, channel FROM dossiers")
    else:
        rows = [tuple(row) for row in _among("SELECT id, channel FROM dossiers WHERE id IN :ids",
                                             np.unique(dossier_ids))]
    if rows:
        ids, channels = zip(*rows)
        ids = np.array(ids, dtype="<i8")
        keep = ids < len(lookup)
        lookup[ids[keep]] = _codes(channels, CHANNELS)[keep]
    return lookup[dossier_ids]


def _rebuild_dossiers(keys: set[tuple[int, int]] | None, generation: int) -> int:
    """Write the blocks of *keys* (None: every procedure and month) from the measured dossiers."""
    rows = fetch_rows(f"SELECT id, procedure_id, {POINT}, used_units, COALESCE(limit_minutes, 0), timeliness, channel "
                  "FROM dossiers WHERE used_units IS NOT NULL AND procedure_id IS NOT NULL"
                  + _key_filter(keys, "procedure_id", POINT))
    rows = [row for row in rows if row[2] is not None]
    if not rows:
        _replace(DossierBlock, DossierBlock.procedure_id, keys, [])
        return 0 if keys is None else len(keys)
    ids, procedure, point, used, limit, result, channel = zip(*rows)
    ids, point, result = np.array(ids, dtype="<i8"), _epoch(point), _codes(result, RESULTS)
    columns = {"day": _days(point), "used": np.array(used, dtype="<f8"), "limit_units": np.array(limit, dtype="<f8"),
               "result": result, "channel": _codes(channel, CHANNELS),
               "late_step": _first_late_steps(ids[result == 2], ids)}
    blocks = []
    for (owner, month), index in _groups(np.array(procedure, dtype="<i8"), _months(point), keys):
        blocks.append({"procedure_id": owner, "month": month, "generation": generation, "dossiers": len(index),
                       **{name: columns[name][index].astype(dtype).tobytes()
                          for name, dtype in DOSSIER_COLUMNS.items()}})
    _replace(DossierBlock, DossierBlock.procedure_id, keys, blocks)
    return len(blocks) if keys is None else len(keys)


def _first_late_steps(late_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """For each dossier of *ids*: the step of its first run recorded late (where it fell behind), or 0."""
    first: dict[int, int] = {}
    for dossier_id, step_id in _among("SELECT dossier_id, step_id FROM step_runs WHERE dossier_id IN :ids "
                                      "AND result = 'late' AND step_id IS NOT NULL ORDER BY dossier_id, position",
                                      late_ids):
        first.setdefault(dossier_id, step_id)
    return np.array([first.get(int(i), 0) for i in ids], dtype="<i8")


def _groups(owners: np.ndarray, months: np.ndarray, keys):
    """((owner, month), row indices) for each pair present, limited to *keys* when given."""
    combined = owners * 1_000_000 + months
    order = np.argsort(combined, kind="stable")
    values, starts = np.unique(combined[order], return_index=True)
    for value, index in zip(values, np.split(order, starts[1:])):
        key = (int(value // 1_000_000), int(value % 1_000_000))
        if keys is None or key in keys:
            yield key, index


def _replace(model, owner_column, keys, blocks: list[dict]) -> None:
    if keys is not None:
        for owner, month in keys:
            db.session.execute(delete(model).where(owner_column == owner, model.month == month))
    if blocks:
        db.session.execute(insert(model), blocks)
