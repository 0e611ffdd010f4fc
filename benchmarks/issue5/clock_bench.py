"""(a) Working time for a million (start, end) pairs on the agency's calendar (VN holidays, lunch break).

The clock is the application's own (``qms.calendar.services.working_clock``) on a database migrated
and seeded with the demo, that is the default calendar: Monday-Friday, 07:30-11:30 and 13:30-17:00,
the public holidays of Vietnam with their substituted days and make-up Saturdays, Asia/Ho_Chi_Minh.
The pairs are random and reproducible (seeded): starts spread over two years, any time of day or
night, ends a few minutes to two months later. Target: ``between_many`` over 1,000,000 pairs in at
most 1 s. The scalar ``between`` is timed on a sample for contrast, and checked to give the same
figures as the vectorised one.

    python -m benchmarks.issue5.clock_bench --database sqlite:///benchmarks/issue5/data/template_seeded.db
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import datetime, timezone

import numpy as np

PAIRS = 1_000_000
SCALAR_SAMPLE = 20_000
REPEAT = 5
FIRST = datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()
LAST = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()


def random_pairs(count: int, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Starts uniform over 2024-2025 (UTC epoch seconds, to the microsecond); durations mostly days, some weeks."""
    rng = np.random.default_rng(seed)
    starts = np.round(rng.uniform(FIRST, LAST, count), 6)
    durations = np.minimum(rng.exponential(4 * 86400, count), 60 * 86400)
    return starts, np.round(starts + durations, 6)


def _timed(function, *args, repeat: int = REPEAT) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - started)
    return times, result


def measure(pairs: int = PAIRS, sample: int = SCALAR_SAMPLE, repeat: int = REPEAT) -> dict:
    from qms.calendar import services as calendar
    from qms.calendar.engine import Weighting

    started = time.perf_counter()
    clock = calendar.working_clock(Weighting.DAY)
    build = time.perf_counter() - started
    real_clock = calendar.working_clock(Weighting.REAL)
    starts, ends = random_pairs(pairs)
    vector_times, used = _timed(clock.between_many, starts, ends, repeat=repeat)
    real_times, _ = _timed(real_clock.between_many, starts, ends, repeat=repeat)
    at_times, _ = _timed(clock.at_many, clock.clock_many(starts) + 480.0, repeat=repeat)
    aware = [(datetime.fromtimestamp(s, timezone.utc), datetime.fromtimestamp(e, timezone.utc))
             for s, e in zip(starts[:sample].tolist(), ends[:sample].tolist())]
    started = time.perf_counter()
    scalar = [clock.between(s, e) for s, e in aware]
    scalar_seconds = time.perf_counter() - started
    return {
        "pairs": pairs, "weighting": "day (480 units a working day)", "calendar": f"{clock.first}..{clock.last}",
        "zone": str(clock.zone), "build_seconds": build,
        "between_many_seconds": vector_times, "between_many_median": statistics.median(vector_times),
        "between_many_real_median": statistics.median(real_times),
        "at_many_median": statistics.median(at_times),
        "scalar_sample": sample, "scalar_seconds": scalar_seconds,
        "scalar_per_second": sample / scalar_seconds, "scalar_million_estimate": scalar_seconds * pairs / sample,
        "max_difference_scalar_vector": float(np.max(np.abs(np.asarray(scalar) - used[:sample]))),
        "mean_used_days": float(used.mean() / 480),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a migrated database")
    parser.add_argument("--pairs", type=int, default=PAIRS)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    args = parser.parse_args(argv)
    from qms import create_app

    app = create_app(DATABASE_URL=args.database)
    with app.app_context():
        figures = measure(args.pairs, repeat=args.repeat)
    print(f"between_many, {figures['pairs']:,} pairs: median {figures['between_many_median']:.3f} s "
          f"(runs {', '.join(f'{t:.3f}' for t in figures['between_many_seconds'])}); scalar between: "
          f"{figures['scalar_per_second']:,.0f} pairs/s, about {figures['scalar_million_estimate']:.0f} s a million")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
