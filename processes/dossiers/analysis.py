"""Measurement and analysis of dossier timing (ISO 9001:2008 8.2.3 monitoring of processes, 8.4 analysis of data).

Aggregates of the finished step runs (by step, unit and handler) and of the measured dossiers (by
procedure, channel and month) over a period and filters: the count, the shares early / on time /
late, the mean, median and 90th percentile of the used working time (480 units a working day;
percentiles interpolated linearly, as PostgreSQL's percentile_cont and Excel's PERCENTILE.INC), the
allotment beside it; the bottlenecks, that is the steps and units that contribute most to lateness
(the working time over their allotment of their late runs, and the share of the late dossiers that
first fell behind there); and the trend of the on-time rate month by month.

A step run belongs to the period when it finished, a dossier when it reached its measuring point.
The procedure, field and channel filters apply to both; unit and handler only to step runs. Every
figure is read from the rollups (``processes.dossiers.rollups``), which the caller refreshes first;
``processes.dossiers.facts`` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from processes.dossiers.facts import (
    Agg,
    DossierFacts,
    Filters,
    StepPart,
    dossier_facts,
    step_catalogue,
    split_parts,
    step_parts,
    unit_names,
)
from processes.dossiers.rollups import CHANNELS
from processes.models import AdministrativeProcedure
from qms.extensions import db

DAY = 480
HOUR = 60
EARLY, ON_TIME, LATE = 0, 1, 2

__all__ = ["DAY", "HOUR", "Filters", "Stats", "Bottleneck", "group_stats", "read_dashboard", "step_stats"]


@dataclass
class Stats:
    """The figures of one group: counts, results and used working time (units), with its allotment."""

    key: object
    count: int
    early: int
    on_time: int
    late: int
    mean: float
    median: float
    p90: float
    allotted: float | None = None  # the allotment (a step's) or the limit (a procedure's), in units
    excess: float = 0.0  # working time over the allotment, summed over the late runs
    info: dict = field(default_factory=dict)  # names and codes for the tables

    @property
    def judged(self) -> int:
        return self.early + self.on_time + self.late

    def share(self, result: int) -> float | None:
        counts = (self.early, self.on_time, self.late)
        return counts[result] / self.judged if self.judged else None

    @property
    def on_time_rate(self) -> float | None:
        """Early or on time, over the judged ones: the rate the portals publish."""
        return (self.early + self.on_time) / self.judged if self.judged else None

    @property
    def ratio(self) -> float | None:
        """The median against the allotment: 1.0 uses exactly the time allotted."""
        return self.median / self.allotted if self.allotted else None


@dataclass
class Bottleneck:
    key: object
    excess: float  # units over the allotments, summed over its late runs
    late_runs: int
    first_late: int  # late dossiers that first fell behind here
    late_dossiers: int  # all the late dossiers of the period and filters
    info: dict = field(default_factory=dict)

    @property
    def share_of_late(self) -> float | None:
        return self.first_late / self.late_dossiers if self.late_dossiers else None


def _ranks(count: int, q: float) -> tuple[int, int, float]:
    """The two ranks the *q* quantile of *count* values lies between, and how far past the first."""
    position = (count - 1) * q
    low = int(np.floor(position))
    return low, min(low + 1, count - 1), position - low


def quantile(ordered: np.ndarray, q: float) -> float:
    """The *q* quantile of sorted values, interpolated linearly (numpy's default, percentile_cont)."""
    low, high, fraction = _ranks(len(ordered), q)
    return float(ordered[low] + fraction * (ordered[high] - ordered[low]))


QUANTILES = (0.5, 0.9)


def quantiles(values: np.ndarray, qs: tuple[float, ...] = QUANTILES) -> list[float]:
    """``quantile`` of unsorted *values* for each of *qs*: only the ranks they need put in place
    (``np.partition``, linear time), not the whole array sorted. Exactly the same figures."""
    placed = np.partition(values, sorted({rank for q in qs for rank in _ranks(len(values), q)[:2]}))
    return [quantile(placed, q) for q in qs]  # the ranks quantile reads are in place


def _stats(key, values: np.ndarray, counts, used_sum: float, over_sum: float = 0.0) -> Stats:
    median, p90 = quantiles(values)
    return Stats(key, len(values), int(counts[0]), int(counts[1]), int(counts[2]), mean=used_sum / len(values),
                 median=median, p90=p90, excess=over_sum)


def group_stats(keys: np.ndarray, used: np.ndarray, result: np.ndarray,
                over: np.ndarray | None = None) -> dict[int, Stats]:
    """Stats of rows for each distinct key (result -1: not judged); *over* adds up to each group's excess."""
    if len(keys) == 0:
        return {}
    keys, used, result = np.asarray(keys, dtype=np.int64), np.asarray(used, dtype=np.float64), np.asarray(result)
    over = np.zeros(len(keys)) if over is None else np.asarray(over, dtype=np.float64)
    order = np.argsort(keys, kind="stable")
    keys, used, result, over = keys[order], used[order], result[order], over[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    outcome = np.where(result >= 0, result, 3)
    return {int(keys[a]): _stats(int(keys[a]), used[a:b], np.bincount(outcome[a:b], minlength=4),
                                 float(used[a:b].sum()), float(over[a:b].sum())) for a, b in zip(starts, ends)}


def merged(groups: dict[object, list[Agg]]) -> dict[object, Stats]:
    """Stats per key from the reduced parts of its rows."""
    stats = {}
    for key, aggs in groups.items():
        values = aggs[0].values if len(aggs) == 1 else np.concatenate([agg.values for agg in aggs])
        counts = np.sum([agg.counts for agg in aggs], axis=0)
        stats[key] = _stats(key, values, counts, sum(agg.used for agg in aggs), sum(agg.over for agg in aggs))
    return stats


# Step runs: by step, unit and handler -----------------------------------------------------------------


def by_step(parts: list[StepPart], steps: dict[int, dict], units: dict[int, str]) -> list[Stats]:
    """Per step of a process version, in the order of the catalogue and the map."""
    groups: dict[int, list[Agg]] = {}
    for part in parts:
        groups.setdefault(part.step_id, []).append(part.whole)
    stats = merged(groups)
    for key, item in stats.items():
        info = steps.get(key, {})
        item.allotted = info.get("allotted")
        item.info = {**info, "unit": units.get(info.get("unit_id"), "")}
    return sorted(stats.values(), key=lambda s: (s.info.get("procedure_code", ""), s.info.get("version_no", 0),
                                                 s.info.get("position", 0)))


def _by_split(parts: list[StepPart], split: str, name) -> list[Stats]:
    """Stats per unit or per handler (*split*), named by *name(key)*, the busiest first."""
    split_parts(parts, split)
    groups: dict[object, list[Agg]] = {}
    for part in parts:
        for key, agg in part.split(split).items():
            groups.setdefault(key, []).append(agg)
    stats = merged(groups)
    for key, item in stats.items():
        item.info = {"name": name(key)}
    return sorted(stats.values(), key=lambda s: -s.count)


def by_unit(parts: list[StepPart], units: dict[int, str]) -> list[Stats]:
    return _by_split(parts, "unit", lambda key: units.get(key, "—"))


def by_handler(parts: list[StepPart]) -> list[Stats]:
    return _by_split(parts, "handler", lambda key: key)


# Dossiers: by procedure, channel and month -------------------------------------------------------------


def by_procedure(dossiers: DossierFacts) -> list[Stats]:
    """Per TTHC, the dossiers against their limit (the range of limits when a version changed it)."""
    stats = group_stats(dossiers.procedure, dossiers.used, dossiers.result)
    names = {p.id: p for p in db.session.scalars(select(AdministrativeProcedure).where(
        AdministrativeProcedure.id.in_(list(stats))))} if stats else {}
    for key, item in stats.items():
        limits = dossiers.limit[dossiers.procedure == key]
        item.allotted = float(limits.max())
        procedure = names.get(key)
        item.info = {"code": procedure.code if procedure else "", "name": procedure.name if procedure else "",
                     "field": procedure.field if procedure else "", "limit_min": float(limits.min())}
    return sorted(stats.values(), key=lambda s: s.info["code"])


def by_channel(dossiers: DossierFacts) -> list[Stats]:
    stats = group_stats(dossiers.channel, dossiers.used, dossiers.result)
    for key, item in stats.items():
        item.info = {"channel": CHANNELS[key] if 0 <= key < len(CHANNELS) else ""}
    return sorted(stats.values(), key=lambda s: s.key)


def by_month(dossiers: DossierFacts) -> list[Stats]:
    """The trend: the dossiers measured each month, month by month."""
    stats = group_stats(dossiers.month, dossiers.used, dossiers.result)
    for key, item in stats.items():
        item.info = {"month": f"{key % 100:02d}/{key // 100}"}
    return sorted(stats.values(), key=lambda s: s.key)


def overall(dossiers: DossierFacts) -> Stats | None:
    return group_stats(np.zeros(dossiers.size, dtype=np.int64), dossiers.used, dossiers.result).get(0)


# Bottlenecks ------------------------------------------------------------------------------------------


def bottlenecks(steps_stats: list[Stats], units_stats: list[Stats], dossiers: DossierFacts,
                steps: dict[int, dict], *, limit: int = 10) -> tuple[list[Bottleneck], list[Bottleneck]]:
    """The steps and the units ranked by the working time their late runs took over their allotment, with
    the late dossiers of the period that first fell behind their plan there."""
    late = dossiers.result == LATE
    first = dossiers.late_step[late]
    first_by_step = {int(k): int(n) for k, n in zip(*np.unique(first[first > 0], return_counts=True))}
    first_by_unit: dict[int, int] = {}
    for key, count in first_by_step.items():
        unit = steps.get(key, {}).get("unit_id") or 0
        first_by_unit[unit] = first_by_unit.get(unit, 0) + count
    late_dossiers = int(late.sum())
    step_rows = [Bottleneck(s.key, s.excess, s.late, first_by_step.get(s.key, 0), late_dossiers, s.info)
                 for s in steps_stats if s.late]
    unit_rows = [Bottleneck(s.key, s.excess, s.late, first_by_unit.get(s.key, 0), late_dossiers, s.info)
                 for s in units_stats if s.late]
    rank = (lambda b: (-b.excess, -b.first_late, -b.late_runs, str(b.key)))
    return sorted(step_rows, key=rank)[:limit], sorted(unit_rows, key=rank)[:limit]


# What the dashboard and ``qms step-stats`` read ---------------------------------------------------------


@dataclass
class Dashboard:
    filters: Filters
    steps: list[Stats]
    units: list[Stats]
    handlers: list[Stats]
    procedures: list[Stats]
    channels: list[Stats]
    months: list[Stats]
    total: Stats | None
    bottleneck_steps: list[Bottleneck]
    bottleneck_units: list[Bottleneck]
    runs: int  # step runs in the period and filters


def read_dashboard(filters: Filters) -> Dashboard:
    """Every aggregate of the dashboard, from one read of the rollups."""
    steps, units = step_catalogue(), unit_names()
    parts, dossiers = step_parts(filters, steps), dossier_facts(filters)
    step_rows, unit_rows = by_step(parts, steps, units), by_unit(parts, units)
    slow_steps, slow_units = bottlenecks(step_rows, unit_rows, dossiers, steps)
    return Dashboard(filters, step_rows, unit_rows, by_handler(parts), by_procedure(dossiers), by_channel(dossiers),
                     by_month(dossiers), overall(dossiers), slow_steps, slow_units, sum(s.count for s in step_rows))


def step_stats(filters: Filters) -> list[Stats]:
    """The per-step aggregates of the period and filters (the figures of ``qms step-stats``)."""
    steps = step_catalogue()
    return by_step(step_parts(filters, steps), steps, unit_names())


# Formatting --------------------------------------------------------------------------------------------


def in_days(units: float | None) -> float | None:
    return None if units is None else units / DAY


def decimal(value: float | None, digits: int = 1) -> str:
    """A number with the decimal comma (as the agency writes them), or a dash."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",")
