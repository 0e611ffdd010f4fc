"""A synthetic XES log of about a million complete events, for timing the PM4Py comparison at scale.

Reproducible (seeded): cases of a one-stop procedure with eight to twelve steps each, received over
two years at any hour, each step finishing minutes to days after the previous one, timestamps to
the millisecond with the +07:00 offset; complete-only, as the real receipt log. Written as gzip
XES under ``benchmarks/issue5/data/``.

    python -m benchmarks.issue5.synthetic_xes --events 1000000 --out benchmarks/issue5/data/synthetic-1m.xes.gz
"""

from __future__ import annotations

import argparse
import gzip
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

ZONE = timezone(timedelta(hours=7))
STEPS = ("Tiếp nhận hồ sơ", "Phân công xử lý", "Thẩm định hồ sơ", "Xin ý kiến đơn vị liên quan",
         "Dự thảo kết quả", "Trình lãnh đạo phòng", "Lãnh đạo phòng xem xét", "Trình lãnh đạo Sở",
         "Lãnh đạo Sở ký duyệt", "Vào số, đóng dấu", "Chuyển Bộ phận một cửa", "Trả kết quả")
HANDLERS = tuple(f"cb{n:02d}" for n in range(1, 25))
FIRST = datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()
SPAN = 2 * 365 * 86400


def write(path: Path, events: int, seed: int = 11) -> tuple[int, int]:
    """Write about *events* events; return (cases, events) written."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    cases = written = 0
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=3) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">\n'
                  '  <string key="concept:name" value="Synthetic one-stop log"/>\n')
        while written < events:
            cases += 1
            count = min(int(rng.integers(8, 13)), events - written)
            steps = _path(rng, count)
            gaps = np.where(rng.random(count) < 0.6, rng.exponential(3 * 3600, count),
                            rng.exponential(2 * 86400, count))
            gaps[0] = 0
            times = FIRST + rng.uniform(0, SPAN) + np.cumsum(np.round(gaps, 3))
            parts = [f'  <trace>\n    <string key="concept:name" value="case-{cases:06d}"/>\n']
            for step, moment in zip(steps, times.tolist()):
                stamp = datetime.fromtimestamp(moment, ZONE).isoformat(timespec="milliseconds")
                parts.append(f'    <event><string key="concept:name" value={quoteattr(STEPS[step])}/>'
                             f'<string key="org:resource" value="{HANDLERS[int(rng.integers(len(HANDLERS)))]}"/>'
                             f'<string key="lifecycle:transition" value="complete"/>'
                             f'<date key="time:timestamp" value="{stamp}"/></event>\n')
            parts.append("  </trace>\n")
            out.write("".join(parts))
            written += count
        out.write("</log>\n")
    return cases, written


def _path(rng: np.random.Generator, count: int) -> list[int]:
    """The steps of one case in order: receipt first, then the rest, some skipped, the return last."""
    middle = sorted(rng.choice(np.arange(1, len(STEPS) - 1), size=max(count - 2, 0), replace=False).tolist())
    return ([0] + middle + [len(STEPS) - 1])[:count]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    cases, events = write(args.out, args.events)
    print(f"{args.out}: {cases:,} cases, {events:,} events")


if __name__ == "__main__":
    main()
