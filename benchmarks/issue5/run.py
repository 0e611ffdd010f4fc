"""The benchmark of issue 5, end to end: every figure of the issue's "Performance" section against its target.

    python -m benchmarks.issue5.run                   # everything: about 25 minutes on 2 cores
    python -m benchmarks.issue5.run --only clock,pm4py --engines sqlite
    python -m benchmarks.issue5.run --quick           # small sizes, to see that every part runs

Each part runs in its own child process (its own clock, memory and imports): (a) ``clock_bench``,
(b) ``import_bench`` on SQLite and PostgreSQL from .csv and .xlsx, (c) ``stats_bench`` on the
database the CSV import filled and ("million") on exactly a million step runs that
``benchmarks/step_stats_bench.py fill`` writes straight into a fresh database, (d) ``pm4py_compare``
on ../shared/data/receipt.xes.gz and on a synthetic log of a million events. The data are generated once under ``benchmarks/issue5/data/``
(git-ignored) and reused. Fresh databases are copies of one migrated and demo-seeded template per
engine; the PostgreSQL ones are named ``qms_bench_*`` and dropped at the end. The figures go to
``benchmarks/issue5/results.json`` and a table is printed at the end: figure, target, measured,
PASS/FAIL, with the machine. The machine's load average is printed beside each part: the run is
only as quiet as the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.issue5 import clock_bench, import_bench, machine, pm4py_compare
from benchmarks.issue5.common import DATA, PYTHON, RESULTS, Databases, load_average, run_measured

PARTS = ("clock", "import", "stats", "million", "pm4py", "synthetic")
UNTIL = "2026-11-01T12:00:00"  # the generated data end here, whenever the benchmark runs
RECEIPT = Path(__file__).resolve().parents[3] / "shared" / "data" / "receipt.xes.gz"
GB = 1000.0  # MB
GENERATOR = Path(__file__).resolve().parent.parent / "generate_dossiers.py"
STEP_BENCH = GENERATOR.with_name("step_stats_bench.py")


class Summary:
    """The rows of the final table and everything measured, written to results.json as it grows."""

    def __init__(self, args):
        self.rows: list[dict] = []
        self.data: dict = {"started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                           "arguments": vars(args) | {"parts": list(args.parts)}, "parts": {}}

    def row(self, figure: str, target: str, measured: str, passed: bool | None) -> None:
        self.rows.append({"figure": figure, "target": target, "measured": measured,
                          "verdict": "—" if passed is None else "PASS" if passed else "FAIL",
                          "load_average": load_average()})
        self.data["rows"] = self.rows
        self.save()

    def part(self, name: str, value) -> None:
        self.data["parts"][name] = value
        self.save()

    def save(self) -> None:
        RESULTS.write_text(json.dumps(self.data, indent=1, ensure_ascii=False, default=str), encoding="utf-8")

    def table(self) -> list[str]:
        width = max((len(row["figure"]) for row in self.rows), default=10)
        aim = max((len(row["target"]) for row in self.rows), default=10)
        lines = [f"{'figure':<{width}}  {'target':<{aim}}  {'measured':<26}  verdict"]
        lines += [f"{r['figure']:<{width}}  {r['target']:<{aim}}  {r['measured']:<26}  {r['verdict']}" for r in self.rows]
        return lines


def failed(summary: Summary, figure: str, target: str, error: Exception) -> None:
    """A measure that could not be taken: a FAIL row, and the error kept in results.json."""
    text = str(error).strip()
    say(f"  FAILED: {text[-1500:]}")
    summary.data.setdefault("errors", {})[figure] = text[-6000:]
    summary.row(figure, target, "error (see results.json)", False)


def say(text: str) -> None:
    load = ", ".join(f"{value:.2f}" for value in load_average())
    print(f"[{datetime.now():%H:%M:%S} load {load}] {text}", flush=True)


def part_clock(summary: Summary, databases: Databases, args) -> None:
    url = databases.fresh("sqlite", "clock")
    run = run_measured([PYTHON, "-m", "benchmarks.issue5.clock_bench", "--database", url,
                        "--pairs", str(args.pairs)]).check()
    result = run.json()
    summary.part("clock", result)
    say(run.stdout.splitlines()[0])
    median = result["between_many_median"]
    summary.row(f"working time, {result['pairs']:,} pairs (between_many)", "≤ 1 s", f"{median:.3f} s (median of 5)",
                median <= 1.0)
    summary.row("  scalar between, for contrast", "—",
                f"{result['scalar_per_second']:,.0f}/s ≈ {result['scalar_million_estimate']:.0f} s/1M", None)


def data_file(fmt: str, dossiers: int, until: str = UNTIL) -> Path:
    """The generated file, made by ``benchmarks.generate_dossiers`` and reused while the generator is unchanged."""
    path = DATA / f"dossiers-{dossiers}.{fmt}"
    marker = path.with_name(path.name + ".marker")
    made_by = hashlib.sha256(GENERATOR.read_bytes() + f"{dossiers} {fmt} {until}".encode()).hexdigest()
    if not (path.exists() and marker.exists() and marker.read_text() == made_by):
        say(f"generating {path.name} (benchmarks.generate_dossiers)")
        DATA.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial" + path.suffix)
        run_measured([PYTHON, "-m", "benchmarks.generate_dossiers", "--dossiers", str(dossiers), "--format", fmt,
                      "--out", str(partial), "--until", until]).check()
        partial.rename(path)
        marker.write_text(made_by)
    return path


def part_import(summary: Summary, databases: Databases, args) -> dict[str, str]:
    """Every import of (b); returns the database each engine's CSV import filled, for (c)."""
    filled = {}
    results = {}
    for engine in args.engines:
        for fmt in ("csv", "xlsx"):
            try:
                path = data_file(fmt, args.dossiers, args.until)
                url = databases.fresh(engine, f"import_{engine}_{fmt}")
                say(f"importing {path.name} into a fresh {engine} database")
                result = import_bench.import_file(path, url)
            except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
                failed(summary, f"import {fmt}, {engine}", "≤ 30 s", error)
                continue
            results[f"{engine}_{fmt}"] = result
            summary.part("import", results)
            say(f"  {result['seconds']:.1f} s, peak {result['peak_mb']:.0f} MB: {result['command_says']}")
            label = f"import {fmt} ({result['dossiers_imported']:,} dossiers, {result['step_runs_imported']:,} runs)"
            summary.row(f"{label}, {engine}", "≤ 30 s", f"{result['seconds']:.1f} s (its CPU {result['cpu_seconds']:.0f} s)",
                        result["seconds"] <= 30)
            summary.row(f"  peak memory of that import, {engine}", "≤ 1 GB", f"{result['peak_mb']:.0f} MB",
                        result["peak_mb"] <= GB)
            if fmt == "csv":
                filled[engine] = url
    return filled


def part_stats(summary: Summary, filled: dict[str, str], data: str = "imported") -> None:
    results = {}
    for engine, url in filled.items():
        say(f"step-stats and the dashboard on the {engine} database ({data})")
        try:
            run = run_measured([PYTHON, "-m", "benchmarks.issue5.stats_bench", "--database", url]).check()
            result = run.json()
        except (RuntimeError, ValueError) as error:
            failed(summary, f"step-stats and dashboard, {engine}, {data}", "≤ 1 s", error)
            continue
        results[engine] = result
        summary.part(f"stats_{data}", results)
        say("  " + run.stdout.splitlines()[0])
        median = result["step_stats_median"]
        summary.row(f"step-stats, all {result['aggregated_runs']:,} runs ({data}), {engine}", "≤ 1 s",
                    f"{median:.3f} s (median of 5)", median <= 1.0)
        summary.row(f"  rollups brought up to date at the first read ({data}), {engine}", "—",
                    f"{result['refresh_after_import']:.2f} s", None)
        summary.row(f"  qms step-stats command, whole process, {engine}", "—", f"{result['command']['wall']:.2f} s",
                    None)
        for label, page in result["dashboard"].items():
            summary.row(f"dashboard first byte, {label} ({data}), {engine}", "≤ 300 ms",
                        f"{page['median'] * 1000:.0f} ms (median of 5)", page["median"] <= 0.3)


def part_million(summary: Summary, databases: Databases, args) -> None:
    """(c) again on exactly a million step runs, written straight into the tables by ``step_stats_bench.py fill``
    (every dossier returned: nothing in progress, unlike the import's data)."""
    filled = {}
    for engine in args.engines:
        try:
            url = databases.fresh(engine, f"million_{engine}")
            say(f"writing {args.runs:,} step runs into a fresh {engine} database (step_stats_bench.py fill)")
            run_measured([PYTHON, str(STEP_BENCH), "fill", "--database", url, "--runs", str(args.runs)]).check()
            filled[engine] = url
        except (RuntimeError, subprocess.CalledProcessError) as error:
            failed(summary, f"a million step runs written, {engine}", "—", error)
    part_stats(summary, filled, "written directly")


def part_pm4py(summary: Summary, databases: Databases, log: Path, name: str) -> None:
    say(f"PM4Py comparison on {log.name}")
    try:
        result = pm4py_compare.compare(log, databases, name=name)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
        failed(summary, f"figures equal PM4Py's, {log.name}", "≤ 1 s apart", error)
        return
    summary.part(f"pm4py_{name}", result)
    for line in pm4py_compare.report(result):
        print(line)
    pm, app = result["pm4py_seconds"], result["app_seconds"]
    summary.row(f"figures equal PM4Py's, {log.name} ({result['events']:,} events)", "≤ 1 s apart",
                f"{max(v['max_diff'] for v in result['verdicts'].values()):.1e} s", result["pass"])
    summary.row("  time: PM4Py read + service time (mean)", "—", f"{pm['read_and_one_pass']:.2f} s", None)
    summary.row("  time: app reader + clock", "—", f"{app['direct']['total']:.2f} s", None)
    summary.row("  time: app import into the DB + figures", "—", f"{app['stored']['total']:.2f} s", None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", dest="parts", default=",".join(PARTS),
                        type=lambda text: [p for p in text.split(",") if p], help=f"comma-separated: {','.join(PARTS)}")
    parser.add_argument("--engines", default=["sqlite", "postgresql"], type=lambda text: text.split(","),
                        help="sqlite,postgresql")
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=clock_bench.PAIRS)
    parser.add_argument("--synthetic-events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1_000_000, help="step runs written directly for 'million'")
    parser.add_argument("--until", default=UNTIL, help="the end of the generated data (local time)")
    parser.add_argument("--quick", action="store_true", help="small sizes: 2,000 dossiers, 50,000 pairs, events, runs")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases (qms_bench_*)")
    args = parser.parse_args(argv)
    if args.quick:
        args.dossiers, args.pairs, args.synthetic_events, args.runs = 2_000, 50_000, 50_000, 50_000
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    summary = Summary(args)
    described = machine.describe()
    summary.data["machine"] = described
    for line in machine.lines(described):
        print(line)
    started = time.perf_counter()
    databases = Databases()
    try:
        if "clock" in args.parts:
            part_clock(summary, databases, args)
        filled = part_import(summary, databases, args) if "import" in args.parts else {}
        if "stats" in args.parts:
            part_stats(summary, filled, "CSV import")
        if "million" in args.parts:
            part_million(summary, databases, args)
        if "pm4py" in args.parts:
            part_pm4py(summary, databases, RECEIPT, "pm4py_receipt")
        if "synthetic" in args.parts:
            log = DATA / f"synthetic-{args.synthetic_events}.xes.gz"
            if not log.exists():
                say(f"writing {log.name}")
                run_measured([PYTHON, "-m", "benchmarks.issue5.synthetic_xes", "--events",
                              str(args.synthetic_events), "--out", str(log)]).check()
            part_pm4py(summary, databases, log, "pm4py_synthetic")
    finally:
        if not args.keep:
            databases.drop_all()
    summary.data["seconds"] = time.perf_counter() - started
    summary.save()
    print()
    for line in machine.lines(described):
        print(line)
    for line in summary.table():
        print(line)
    print(f"Figures in {RESULTS}")
    return 0 if all(row["verdict"] != "FAIL" for row in summary.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
