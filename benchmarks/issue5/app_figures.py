"""The application's per-activity figures for an XES log, to set beside PM4Py's (``pm4py_reference``).

Two timings of the same figures:

- *stored*: the log goes through the app's XES import (``processes.dossiers.xes.import_xes``: the
  streaming reader, the checks, the bulk ingest) into the given fresh database as an observed
  process; then the stored step runs (started at the previous event of the dossier, or its
  receipt, which is its first event; finished at the event) are read back and measured at once;
- *direct*: the app's XES reader alone (``xes_reader.read_traces``), the same start rule, measured
  at once, nothing written: what PM4Py does, reading and measuring.

Either way the measure is a ``WorkingClock`` of the comparison's schedule (Monday-Friday 07:30-11:30
and 13:30-17:00, no holidays, zone UTC, real minutes, times 60 for seconds), and the aggregates
are the analysis module's ``group_stats`` (mean; median by linear interpolation) plus count,
minimum, maximum and sum. Prints one JSON object.

    python -m benchmarks.issue5.app_figures --database sqlite:///benchmarks/issue5/data/pm4py_receipt.db \\
        ../shared/data/receipt.xes.gz
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

SESSIONS = ((7 * 60 + 30, 11 * 60 + 30), (13 * 60 + 30, 17 * 60))  # 07:30-11:30, 13:30-17:00


def comparison_clock(first: date, last: date):
    """Monday-Friday 07:30-11:30 and 13:30-17:00, no holidays, on the UTC clock, counted in real minutes."""
    from qms.calendar.engine import Weighting, WorkingClock

    return WorkingClock(first, last, lambda day: SESSIONS if day.weekday() < 5 else (), zone=timezone.utc,
                        weighting=Weighting.REAL)


def epoch_seconds(values: list) -> np.ndarray:
    """UTC epoch seconds of naive UTC timestamps as the database gives them (text on SQLite, datetimes else)."""
    return np.array(values, dtype="datetime64[us]").astype(np.int64) / 1e6


def figures(activities: list[str], starts: np.ndarray, ends: np.ndarray) -> dict[str, dict]:
    """Per activity: count, mean, median, min, max and sum of the working seconds of each step."""
    from processes.dossiers.analysis import group_stats

    first = datetime.fromtimestamp(float(min(starts.min(), ends.min())), timezone.utc).date() - timedelta(days=1)
    last = datetime.fromtimestamp(float(max(starts.max(), ends.max())), timezone.utc).date() + timedelta(days=1)
    clock = comparison_clock(first, last)
    used = clock.between_many(starts, ends) * 60.0
    names = sorted(set(activities))  # numbered through a dict: sorting a million strings would take seconds
    codes = {name: number for number, name in enumerate(names)}
    keys = np.fromiter(map(codes.__getitem__, activities), dtype=np.int64, count=len(activities))
    stats = group_stats(keys, used, np.full(len(used), -1, dtype=np.int64))
    order = np.argsort(keys, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(keys, minlength=len(names)))]
    ordered = used[order]
    result = {}
    for key, item in stats.items():
        values = ordered[bounds[key]:bounds[key + 1]]
        result[str(names[key])] = {"count": item.count, "mean": item.mean, "median": item.median,
                                   "min": float(values.min()), "max": float(values.max()),
                                   "sum": float(values.sum())}
    return result


def stored_runs(label: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The step runs of the observed process *label*: activity, started and finished (epoch seconds)."""
    from sqlalchemy import text

    from qms.extensions import db

    if db.engine.dialect.name == "postgresql":
        columns = "EXTRACT(EPOCH FROM s.started_at), EXTRACT(EPOCH FROM s.finished_at)"
    else:
        columns = "s.started_at, s.finished_at"
    rows = db.session.execute(text(f"SELECT s.activity, {columns} FROM step_runs s JOIN dossiers d "
                                   "ON d.id = s.dossier_id WHERE d.activity_set = :label AND s.finished_at "
                                   "IS NOT NULL ORDER BY s.id"), {"label": label}).all()
    activities, started, finished = (list(column) for column in zip(*rows)) if rows else ([], [], [])
    if db.engine.dialect.name == "postgresql":
        return activities, np.array(started, dtype=np.float64), np.array(finished, dtype=np.float64)
    return activities, epoch_seconds(started), epoch_seconds(finished)


def import_and_measure(path: Path) -> dict:
    """The log through the app's import into the database, then the figures from the stored step runs."""
    from processes.dossiers.xes import XesOptions, import_xes
    from qms.audit import log as audit
    from qms.extensions import db
    from qms.timeutil import utcnow

    began = time.perf_counter()
    actor = audit.Actor.system("benchmark:pm4py")
    with audit.acting_as(actor):
        report = import_xes(path, XesOptions(log_name=path.name), actor_name=actor.name, now=utcnow())
        db.session.commit()
    imported = time.perf_counter()
    activities, starts, ends = stored_runs(report.log_name)
    read = time.perf_counter()
    result = figures(activities, starts, ends)
    done = time.perf_counter()
    return {"traces": report.traces, "events": report.events, "steps_created": report.ingest.steps_created,
            "activities": result,
            "seconds": {"import_xes": imported - began, "read_step_runs": read - imported, "measure": done - read,
                        "total": done - began}}


def read_and_measure(path: Path) -> dict:
    """The app's reader alone and the clock: no database, as PM4Py works."""
    from processes.dossiers.xes_reader import LogHeader, read_traces

    began = time.perf_counter()
    activities: list[str] = []
    stamps: list[str] = []
    firsts: list[int] = []
    for trace in read_traces(path, LogHeader()):
        firsts.append(len(stamps))
        for event in trace.events:
            if event.get("lifecycle:transition", "complete").lower() == "complete":
                activities.append(event["concept:name"])
                stamps.append(event["time:timestamp"])
    ends = _parse_xes_times(stamps)
    starts = np.r_[ends[:1], ends[:-1]]  # the previous event of the log ...
    first = np.asarray(firsts, dtype=np.int64)
    first = first[first < len(ends)]
    starts[first] = ends[first]  # ... except for a case's first event, which starts at its own time
    read = time.perf_counter()
    result = figures(activities, starts, ends)
    done = time.perf_counter()
    return {"events": len(ends), "activities": result,
            "seconds": {"read": read - began, "measure": done - read, "total": done - began}}


def _parse_xes_times(stamps: list[str]) -> np.ndarray:
    """xs:dateTime texts (offset or Z) to UTC epoch seconds, as the app's reader parses them."""
    from processes.dossiers.xes_reader import parse_timestamp

    return np.array([parse_timestamp(stamp).timestamp() for stamp in stamps], dtype=np.float64)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path, help="an XES log (.xes or .xes.gz)")
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a fresh migrated database")
    parser.add_argument("--direct-only", action="store_true", help="skip the import (no database written)")
    args = parser.parse_args(argv)
    from qms import create_app

    app = create_app(DATABASE_URL=args.database)
    with app.app_context():
        output = {"direct": read_and_measure(args.log)}
        if not args.direct_only:
            output["stored"] = import_and_measure(args.log)
    print(json.dumps(output))


if __name__ == "__main__":
    main()
