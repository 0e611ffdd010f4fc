"""(d) The app's per-step figures against PM4Py's on the same XES log, activity by activity, and their times.

PM4Py runs in the benchmark's own virtualenv (``pm4py_env``) as a child process printing JSON
(``pm4py_reference``); the app's side runs in another child (``app_figures``) on a fresh migrated
database. Every activity must have the same count and the same mean, median, minimum, maximum and
sum within one second, for both of the app's paths (the stored step runs after the import, and
the reader measured directly); then PASS.

    python -m benchmarks.issue5.pm4py_compare ../shared/data/receipt.xes.gz
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.issue5 import pm4py_env
from benchmarks.issue5.common import DATA, HERE, PYTHON, Databases, run_measured

TOLERANCE = 1.0  # seconds
FIGURES = ("mean", "median", "min", "max", "sum")


def differences(reference: dict[str, dict], app: dict[str, dict]) -> list[dict]:
    """One row per activity of either side: counts, means, medians and the largest difference of any figure."""
    rows = []
    for name in sorted(set(reference) | set(app)):
        ours, theirs = app.get(name), reference.get(name)
        if ours is None or theirs is None:
            rows.append({"activity": name, "pm4py": theirs, "app": ours, "max_diff": None, "ok": False})
            continue
        gap = max(abs(ours[key] - theirs[key]) for key in FIGURES)
        rows.append({"activity": name, "pm4py": theirs, "app": ours, "max_diff": gap,
                     "ok": ours["count"] == theirs["count"] and gap <= TOLERANCE})
    return rows


def table(rows: list[dict], width: int = 44) -> list[str]:
    lines = [f"{'activity':<{width}} {'n':>7} {'mean PM4Py':>13} {'mean app':>13} {'median PM4Py':>13} "
             f"{'median app':>13} {'max |Δ| s':>10}  ok"]
    for row in rows:
        theirs, ours = row["pm4py"] or {}, row["app"] or {}
        name = row["activity"] if len(row["activity"]) <= width else row["activity"][:width - 1] + "…"
        count = ours.get("count", "—") if ours.get("count") == theirs.get("count") else \
            f"{theirs.get('count', '—')}≠{ours.get('count', '—')}"
        gap = "—" if row["max_diff"] is None else f"{row['max_diff']:.2e}"
        lines.append(f"{name:<{width}} {count:>7} {theirs.get('mean', float('nan')):>13.3f} "
                     f"{ours.get('mean', float('nan')):>13.3f} {theirs.get('median', float('nan')):>13.3f} "
                     f"{ours.get('median', float('nan')):>13.3f} {gap:>10}  {'yes' if row['ok'] else 'NO'}")
    return lines


def compare(log: Path, databases: Databases, *, name: str, engine: str = "sqlite", direct_only: bool = False) -> dict:
    """Run both sides on *log* and compare; the result holds the figures, the times and the verdict."""
    interpreter = pm4py_env.ensure()
    reference_run = run_measured([str(interpreter), str(HERE / "pm4py_reference.py"), str(log.resolve())]).check()
    reference = reference_run.json()
    database = databases.fresh(engine, name, seed=False)
    command = [PYTHON, "-m", "benchmarks.issue5.app_figures", str(log.resolve()), "--database", database]
    app_run = run_measured(command + (["--direct-only"] if direct_only else [])).check()
    app = app_run.json()
    verdicts = {}
    for path, result in app.items():
        rows = differences(reference["activities"], result["activities"])
        verdicts[path] = {"rows": rows, "pass": bool(rows) and all(row["ok"] for row in rows),
                          "max_diff": max((row["max_diff"] or 0.0) for row in rows) if rows else None}
    return {"log": str(log), "events": reference["events"], "cases": reference["cases"],
            "pm4py_version": reference["pm4py"], "pm4py_seconds": reference["seconds"],
            "pm4py_peak_mb": reference_run.peak_mb, "app_peak_mb": app_run.peak_mb,
            "app_seconds": {path: result["seconds"] for path, result in app.items()},
            "verdicts": verdicts, "pass": all(v["pass"] for v in verdicts.values())}


def report(result: dict) -> list[str]:
    pm = result["pm4py_seconds"]
    lines = [f"PM4Py {result['pm4py_version']} against the app on {result['log']} "
             f"({result['cases']:,} cases, {result['events']:,} events)"]
    first = next(iter(result["verdicts"].values()))
    lines += table(first["rows"]) if len(first["rows"]) <= 60 else [f"({len(first['rows'])} activities)"]
    for path, verdict in result["verdicts"].items():
        lines.append(f"  app ({path}): {'PASS' if verdict['pass'] else 'FAIL'}, {len(verdict['rows'])} activities, "
                     f"largest difference {verdict['max_diff']:.2e} s")
    lines.append(f"  PM4Py: read_xes {pm['read_xes']:.2f} s + service time (mean) {pm['service_time_mean']:.2f} s "
                 f"+ (median) {pm['service_time_median']:.2f} s = {pm['figures_total']:.2f} s "
                 f"(import of pm4py {pm['import_pm4py']:.1f} s not counted); peak {result['pm4py_peak_mb']:.0f} MB")
    app = result["app_seconds"]
    lines.append(f"  app, reader + clock (no database): read {app['direct']['read']:.2f} s + measure "
                 f"{app['direct']['measure']:.3f} s = {app['direct']['total']:.2f} s")
    if "stored" in app:
        stored = app["stored"]
        lines.append(f"  app, import into the database + figures from the stored runs: import {stored['import_xes']:.2f} s"
                     f" + read {stored['read_step_runs']:.2f} s + measure {stored['measure']:.3f} s = "
                     f"{stored['total']:.2f} s; peak {result['app_peak_mb']:.0f} MB")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--direct-only", action="store_true", help="only the reader + clock, no import")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    databases = Databases()
    try:
        result = compare(args.log, databases, name=f"pm4py_{args.log.name.split('.')[0]}".replace("-", "_"),
                         engine=args.engine, direct_only=args.direct_only)
    finally:
        databases.drop_all()
    print("\n".join(report(result)))
    (DATA / f"pm4py-{args.log.name.split('.')[0]}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
