"""(b) Importing the generated dossier records with ``qms import-dossiers`` into a fresh database.

The file comes from ``benchmarks.generate_dossiers`` (100,000 dossiers of the demo procedures: a
.csv with one row per step event, about a million rows, and a .xlsx with one row per dossier);
the database is a fresh copy of one migrated with ``qms db upgrade`` and seeded with ``qms seed
--demo`` (the procedures and their process maps). The command runs in a child process, timed from
its start to its exit (Python and the app starting included), its peak resident memory read from
``os.wait4``. The first import of a file saves the mapping of its columns (``--mapping``), as a
person would on the import page. Targets: at most 30 s, at most 1 GB.

    python -m benchmarks.issue5.import_bench benchmarks/issue5/data/dossiers-100k.csv --engine sqlite
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from benchmarks.issue5.common import QMS, Databases, app_env, run_measured

MAPPING = "benchmark"


def counts(database_url: str) -> dict[str, int]:
    """What the database holds after the import: dossiers and step runs by source, events of the imports."""
    from sqlalchemy import create_engine, text

    from config import normalise_database_url

    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as connection:
            return {"dossiers_imported": connection.scalar(text("SELECT COUNT(*) FROM dossiers WHERE source = 'import'")),
                    "step_runs_imported": connection.scalar(text(
                        "SELECT COUNT(*) FROM step_runs s JOIN dossiers d ON d.id = s.dossier_id "
                        "WHERE d.source = 'import'")),
                    "step_runs_total": connection.scalar(text("SELECT COUNT(*) FROM step_runs"))}
    finally:
        engine.dispose()


def import_file(path: Path, database_url: str) -> dict:
    """Run the import on *database_url*; its wall time, CPU time, peak memory and what it wrote."""
    run = run_measured([QMS, "import-dossiers", str(path.resolve()), "--mapping", MAPPING],
                       env=app_env(database_url)).check()
    said = re.search(r"\(([\d,]+) events, ([\d.]+) s\)", run.stdout)
    return {"file": path.name, "bytes": path.stat().st_size, **run.summary(),
            "command_says": run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "",
            "events_read": int(said.group(1).replace(",", "")) if said else None,
            "seconds_inside": float(said.group(2)) if said else None, **counts(database_url)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    args = parser.parse_args(argv)
    databases = Databases()
    try:
        url = databases.fresh(args.engine, f"import_{args.engine}_{args.file.suffix.lstrip('.')}")
        result = import_file(args.file, url)
    finally:
        if not args.keep:
            databases.drop_all()
    print(f"{args.file.name} into {args.engine}: {result['seconds']:.1f} s, peak {result['peak_mb']:.0f} MB; "
          f"{result['dossiers_imported']:,} dossiers, {result['step_runs_imported']:,} step runs")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
