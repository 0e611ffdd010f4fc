"""The measured rows of a period, read from the rollups for the analysis (ISO 9001:2008 8.4).

Two kinds of rows: finished step runs (in the period when they finished) and measured dossiers (in
the period when they reached their measuring point). The filters: the procedure or the field and
the channel for both, the unit and the handler for step runs.

Step runs are read as *parts*, one per (step, month) block of the rollups, each already reduced to
what the aggregates need: its used times, its counts early / on time / late / not judged, the
sums of its used time and of its time over the allotment in late runs, and the same split by unit
and by handler. A block inside the period and the filters is reduced once per process and state of
the rollups and then reused, so a dashboard over a million runs merges a few hundred parts instead of
scanning the rows. Dossiers, ten times fewer, are read as rows.

The blocks are decoded once per process and kept in memory (a million step runs weigh about 20 MB);
after a refresh only the blocks it rewrote are read again, so what was derived from the others stays.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy import select

from processes.dossiers.rollups import (
    CHANNELS,
    CHUNK,
    DOSSIER_COLUMNS,
    STEP_COLUMNS,
    DossierBlock,
    RollupState,
    StepRunBlock,
    fetch_rows,
)
from processes.models import AdministrativeProcedure, ProcessStep, ProcessVersion
from qms.extensions import db
from qms.org.models import Unit

LATE = 2
NOT_JUDGED = 3  # a run or dossier without a plan to judge it by (stored result -1)
MAX_DERIVED = 64  # reductions kept with a block, one per way of cutting it


@dataclass(frozen=True)
class Filters:
    """The period (local dates, both included) and what to look at."""

    date_from: date
    date_to: date
    procedure_id: int | None = None
    field: str = ""
    unit_id: int | None = None
    handler: str = ""
    channel: str = ""

    @property
    def months(self) -> tuple[int, int]:
        return self.date_from.year * 100 + self.date_from.month, self.date_to.year * 100 + self.date_to.month


@dataclass
class Agg:
    """Some rows reduced: their used times, counts (early, on time, late, not judged), sums."""

    values: np.ndarray
    counts: np.ndarray
    used: float
    over: float  # working time over the allotment, in the late rows

    @classmethod
    def of(cls, used: np.ndarray, outcome: np.ndarray, over: np.ndarray) -> Agg:
        return cls(used, np.bincount(outcome, minlength=4), float(used.sum()), float(over.sum()))


@dataclass
class StepPart:
    """The runs of one step in one month, within the filters; split by unit and by handler when asked."""

    step_id: int
    whole: Agg
    columns: tuple  # used, outcome, over, unit, handler codes; the handler names
    splits: dict = field(default_factory=dict)  # "unit" → {unit id: Agg}, "handler" → {name: Agg}

    def split(self, by: str) -> dict:
        if by not in self.splits:
            split_parts([self], by)
        return self.splits[by]


def split_parts(parts: list[StepPart], by: str) -> None:
    """Split by unit or by handler (*by*) the parts not split that way yet, in one pass over all their rows
    (block by block, the calls would cost more than the work)."""
    todo = []
    for part in parts:
        if by in part.splits:
            continue
        unit = part.columns[3]
        if by == "unit" and len(unit) and unit[0] == unit[-1] and unit.min() == unit.max():
            part.splits[by] = {int(unit[0]): part.whole}  # a step's runs are its unit's: nothing to split
        else:
            todo.append(part)
    if not todo:
        return
    names: dict[str, int] = {}
    keys = []
    for part in todo:
        unit, handler, handler_names = part.columns[3:]
        if by == "unit":
            keys.append(unit.astype(np.int64))
        else:
            lookup = np.array([names.setdefault(name, len(names)) for name in handler_names] or [0], dtype=np.int64)
            keys.append(lookup[handler])
    sizes = [len(k) for k in keys]
    keys = np.concatenate(keys)
    width = int(keys.max()) + 1 if len(keys) else 1
    composite = np.repeat(np.arange(len(todo), dtype=np.int64), sizes) * width + keys
    columns = [np.concatenate([part.columns[i] for part in todo]) for i in range(3)]
    labels = list(names)
    for part in todo:
        part.splits[by] = {}
    for key, agg in _split(composite, *columns).items():
        index, value = divmod(key, width)
        todo[index].splits[by][value if by == "unit" else labels[value]] = agg


@dataclass
class DossierFacts:
    """Columns of the measured dossiers of the period and filters, one entry per dossier."""

    procedure: np.ndarray
    month: np.ndarray
    used: np.ndarray
    result: np.ndarray  # 0 early, 1 on time, 2 late, -1 not judged
    limit: np.ndarray
    channel: np.ndarray
    late_step: np.ndarray  # the first step recorded late, 0 for none

    @property
    def size(self) -> int:
        return len(self.used)


# The blocks of the rollups, decoded -------------------------------------------------------------------


@dataclass
class Block:
    owner: int  # step id or procedure id
    month: int
    arrays: dict[str, np.ndarray]
    handlers: list[str]  # step blocks: the names the handler codes point to
    derived: dict = field(default_factory=dict)  # what readers computed from the block once (facts.py)


_cache: dict[str, tuple[tuple, dict[tuple[int, int], Block]]] = {}  # table → (stamp, (id, generation) → block)
_cache_lock = threading.Lock()


def _stamp() -> tuple:
    """What identifies the rollups' content: the generation changes with every refresh that wrote blocks, the
    lineage when they start again from nothing (a block id and generation only mean something within it)."""
    row = db.session.execute(select(RollupState.lineage, RollupState.generation).where(RollupState.id == 1)).first()
    return str(db.engine.url), *(row or (None, None))


def read_blocks(model, first_month: int, last_month: int, owners: list[int] | None) -> list[Block]:
    """The blocks of *model* in [first_month, last_month] (of *owners*), ordered by owner and month.

    Decoded once per process: after a refresh only the blocks it rewrote are read again, so what readers
    derived from the others (``Block.derived``) is kept.
    """
    stamp = _stamp()
    cached = _cache.get(model.__tablename__)
    if cached is None or cached[0] != stamp:
        with _cache_lock:
            cached = _cache.get(model.__tablename__)
            if cached is None or cached[0] != stamp:
                same_lineage = cached is not None and cached[0][:2] == stamp[:2]
                cached = _cache[model.__tablename__] = (stamp, _load(model, cached[1] if same_lineage else {}))
    wanted = None if owners is None else set(owners)
    return [b for b in cached[1].values()
            if first_month <= b.month <= last_month and (wanted is None or b.owner in wanted)]


def _load(model, known: dict[tuple[int, int], Block]) -> dict[tuple[int, int], Block]:
    """Every block, ordered by owner and month: those of *known* kept, the others read (through the driver's
    cursor: a million runs are some twenty megabytes of blobs, which the ORM would only slow down)."""
    is_steps = model is StepRunBlock
    owner = "step_id" if is_steps else "procedure_id"
    dtypes = STEP_COLUMNS if is_steps else DOSSIER_COLUMNS
    table = model.__tablename__
    index = fetch_rows(f"SELECT id, generation FROM {table} ORDER BY {owner}, month")
    missing = [row_id for row_id, generation in index if (row_id, generation) not in known]
    columns = f"id, generation, {owner}, month, {'handlers' if is_steps else 'dossiers'}, {', '.join(dtypes)}"
    if len(missing) > len(index) // 2:
        rows = fetch_rows(f"SELECT {columns} FROM {table}")
    else:
        rows = [row for start in range(0, len(missing), CHUNK) for row in fetch_rows(
            f"SELECT {columns} FROM {table} WHERE id IN ({', '.join(str(i) for i in missing[start:start + CHUNK])})")]
    read = {(row[0], row[1]): Block(row[2], row[3], {name: np.frombuffer(row[5 + i], dtype=dtype)
                                                     for i, (name, dtype) in enumerate(dtypes.items())},
                                    json.loads(row[4]) if is_steps else []) for row in rows}
    return {key: known.get(key) or read[key] for key in map(tuple, index) if key in known or key in read}


# The catalogue the rows point to ----------------------------------------------------------------------


def step_catalogue() -> dict[int, dict]:
    """Every step of every process version: its procedure, version, code, name, unit and allotment."""
    rows = db.session.execute(
        select(ProcessStep.id, ProcessStep.code, ProcessStep.name, ProcessStep.position, ProcessStep.unit_id,
               ProcessStep.allotted_minutes, ProcessVersion.version_no, AdministrativeProcedure.id,
               AdministrativeProcedure.code, AdministrativeProcedure.name, AdministrativeProcedure.field)
        .join(ProcessVersion, ProcessVersion.id == ProcessStep.version_id)
        .join(AdministrativeProcedure, AdministrativeProcedure.id == ProcessVersion.procedure_id))
    return {row[0]: {"code": row[1], "name": row[2], "position": row[3], "unit_id": row[4], "allotted": float(row[5]),
                     "version_no": row[6], "procedure_id": row[7], "procedure_code": row[8], "procedure_name": row[9],
                     "field": row[10]} for row in rows}


def unit_names() -> dict[int, str]:
    return {unit.id: unit.short_name or unit.name for unit in db.session.scalars(select(Unit))}


def procedures_of(filters: Filters) -> list[int] | None:
    """The procedures the filters keep, or None for all."""
    if filters.procedure_id is None and not filters.field:
        return None
    query = select(AdministrativeProcedure.id)
    if filters.procedure_id is not None:
        query = query.where(AdministrativeProcedure.id == filters.procedure_id)
    if filters.field:
        query = query.where(AdministrativeProcedure.field == filters.field)
    return list(db.session.scalars(query))


# Step runs ---------------------------------------------------------------------------------------------


def step_parts(filters: Filters, steps: dict[int, dict]) -> list[StepPart]:
    """The finished step runs of the period and filters, one part per step and month.

    A block's part is reduced once for each set of filters that cut it the same way, then kept with it.
    """
    procedures = procedures_of(filters)
    owners = None if procedures is None else [i for i, s in steps.items() if s["procedure_id"] in procedures]
    channel = CHANNELS.index(filters.channel) if filters.channel in CHANNELS else None
    first, last = filters.months
    parts = []
    for block in read_blocks(StepRunBlock, first, last, owners):
        allotted = steps.get(block.owner, {}).get("allotted", 0.0)
        key = ("part", allotted, filters.date_from.day if block.month == first else 1,
               filters.date_to.day if block.month == last else 31, channel, filters.unit_id, filters.handler)
        if key not in block.derived:
            if len(block.derived) > MAX_DERIVED:  # filters typed by hand must not grow the cache without end
                block.derived.clear()
            block.derived[key] = _part(block, filters, channel, allotted)
        if block.derived[key] is not None:
            parts.append(block.derived[key])
    return parts


def _part(block: Block, filters: Filters, channel: int | None, allotted: float) -> StepPart | None:
    arrays = block.arrays
    mask = _period_mask(filters, block.month, arrays["day"])
    if channel is not None:
        mask = _and(mask, arrays["channel"] == channel)
    if filters.unit_id is not None:
        mask = _and(mask, arrays["unit"] == filters.unit_id)
    if filters.handler:
        code = block.handlers.index(filters.handler) if filters.handler in block.handlers else -1
        mask = _and(mask, arrays["handler"] == code)
    if mask is not None and not mask.any():
        return None
    return _reduce(block, mask, allotted)


def _reduce(block: Block, mask: np.ndarray | None, allotted: float) -> StepPart:
    arrays = block.arrays
    used, result, unit, handler = (arrays[name] if mask is None else arrays[name][mask]
                                   for name in ("used", "result", "unit", "handler"))
    outcome = np.where(result >= 0, result, NOT_JUDGED).astype(np.int64)
    over = np.where(result == LATE, np.maximum(used - allotted, 0.0), 0.0)
    return StepPart(block.owner, Agg.of(used, outcome, over), (used, outcome, over, unit, handler, block.handlers))


def _split(keys: np.ndarray, used: np.ndarray, outcome: np.ndarray, over: np.ndarray) -> dict[int, Agg]:
    """The rows reduced per key (one sort, then every group's counts and sums at once)."""
    if not len(keys):
        return {}
    if keys.min() == keys.max():
        return {int(keys[0]): Agg.of(used, outcome, over)}
    order = np.argsort(keys, kind="stable")
    keys, used, outcome, over = keys[order], used[order], outcome[order], over[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    group = np.repeat(np.arange(len(starts)), ends - starts)
    counts = np.bincount(group * 4 + outcome, minlength=4 * len(starts)).reshape(-1, 4)
    used_sums, over_sums = np.add.reduceat(used, starts), np.add.reduceat(over, starts)
    return {int(keys[a]): Agg(used[a:b], counts[i], float(used_sums[i]), float(over_sums[i]))
            for i, (a, b) in enumerate(zip(starts, ends))}


# Dossiers ----------------------------------------------------------------------------------------------


def dossier_facts(filters: Filters) -> DossierFacts:
    """The dossiers measured in the period (procedure, field and channel filters; unit and handler do not apply)."""
    channel = CHANNELS.index(filters.channel) if filters.channel in CHANNELS else None
    parts = []
    names = ("used", "result", "limit_units", "channel", "late_step")
    for block in read_blocks(DossierBlock, *filters.months, procedures_of(filters)):
        arrays = block.arrays
        mask = _period_mask(filters, block.month, arrays["day"])
        if channel is not None:
            mask = _and(mask, arrays["channel"] == channel)
        columns = [arrays[name] for name in names]
        if mask is not None:
            if not mask.any():
                continue
            columns = [column[mask] for column in columns]
        parts.append((block.owner, block.month, columns))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return DossierFacts(empty, empty, empty.astype(np.float64), empty, empty.astype(np.float64), empty, empty)
    sizes = [len(columns[0]) for _owner, _month, columns in parts]
    stacked = [np.concatenate([columns[i] for _o, _m, columns in parts]) for i in range(len(names))]
    return DossierFacts(np.repeat(np.array([p[0] for p in parts], dtype=np.int64), sizes),
                        np.repeat(np.array([p[1] for p in parts], dtype=np.int64), sizes),
                        stacked[0].astype(np.float64), stacked[1].astype(np.int64), stacked[2].astype(np.float64),
                        stacked[3].astype(np.int64), stacked[4].astype(np.int64))


def _and(mask: np.ndarray | None, other: np.ndarray) -> np.ndarray:
    return other if mask is None else mask & other


def _period_mask(filters: Filters, month: int, days: np.ndarray) -> np.ndarray | None:
    """Which rows of a month fall in the period: None for all of them (a month inside the period)."""
    first, last = filters.months
    mask = None
    if month == first and filters.date_from.day > 1:
        mask = days >= filters.date_from.day
    if month == last and filters.date_to.day < 31:
        mask = _and(mask, days <= filters.date_to.day)
    return mask
