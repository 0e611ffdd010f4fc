"""(c) The per-step aggregates of ``qms step-stats`` and the dashboard's first byte over the imported data.

The measuring itself is ``benchmarks/step_stats_bench.py measure`` (written with the analysis): on
the database the CSV import of (b) filled, it rebuilds the rollups once (what the first read after
an import does), times ``analysis.step_stats`` over the whole period in-process (the work of ``qms
step-stats``, median of five), the command in a fresh process (Python and the app starting
included), and the time to first byte of ``/analysis/`` over HTTP for a signed-in ISO secretary.
This module runs it in a child process and keeps its JSON. Targets: 1 s and 300 ms.

    python -m benchmarks.issue5.stats_bench --database sqlite:///benchmarks/issue5/data/import_sqlite_csv.db
"""

from __future__ import annotations

import argparse
import json

from benchmarks.issue5.common import HERE, PYTHON, run_measured

SCRIPT = HERE.parent / "step_stats_bench.py"


def measure(database_url: str, repeat: int = 5) -> dict:
    run = run_measured([PYTHON, str(SCRIPT), "measure", "--database", database_url, "--repeat", str(repeat)]).check()
    text = run.stdout[run.stdout.index("{"):]  # printed with an indent: everything from the first brace
    figures = json.loads(text)
    ttfb = figures.get("dashboard_ttfb_s", {})
    return {"raw": figures, "step_runs": figures.get("step_runs"),
            "step_stats_median": figures["step_stats_in_process_s"]["median"],
            "rollups_rebuild": figures.get("rollups_full_rebuild_s"),
            "command_wall": figures.get("qms_step_stats_command", {}).get("wall_s"),
            "dashboard_ttfb_median": max(value["median"] for value in ttfb.values()) if ttfb else None,
            "dashboard_ttfb": {name: value["median"] for name, value in ttfb.items()}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    result = measure(args.database, args.repeat)
    print(f"{result['step_runs']:,} step runs: step-stats {result['step_stats_median']:.3f} s (median), "
          f"dashboard first byte {result['dashboard_ttfb']} s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
