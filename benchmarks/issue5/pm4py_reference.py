"""PM4Py's reference figures for an XES log: per activity, the step durations in business hours (seconds).

Runs only in the benchmark's PM4Py virtualenv (``pm4py_env``) and imports nothing of the application:

    benchmarks/.venv-pm4py/bin/python benchmarks/issue5/pm4py_reference.py ../shared/data/receipt.xes.gz

The pandas path end to end: ``pm4py.read_xes`` (timestamps in UTC), the start of each event is the
previous event of its case (the case's first event starts at its own time, so it lasts 0), then
PM4Py's service time (``pm4py.statistics.service_time.pandas.get``) with business hours on the
schedule Monday-Friday 07:30-11:30 and 13:30-17:00 (seconds since the week's start), no work
calendar (no holidays). PM4Py drops the time zone of the timestamps, which are UTC by then, so the
schedule is read on the UTC clock. The mean and the median come from PM4Py's own aggregation; the
count, minimum, maximum and sum from the durations it computed. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

DAY = 86400
SLOTS = [slot for weekday in range(5) for slot in ((weekday * DAY + 7.5 * 3600, weekday * DAY + 11.5 * 3600),
                                                     (weekday * DAY + 13.5 * 3600, weekday * DAY + 17 * 3600))]
START = "@@start_timestamp"


def main(path: str) -> dict:
    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")
    warnings.simplefilter("ignore")
    began = time.perf_counter()
    import pandas as pd
    import pm4py
    from pm4py.statistics.service_time.pandas import get as service_time

    imported = time.perf_counter()
    frame = pm4py.read_xes(path)
    frame["time:timestamp"] = pd.to_datetime(frame["time:timestamp"], utc=True)
    read = time.perf_counter()
    # the previous event of the same case, in the log's order; the case's first event: its own time
    frame = frame.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    previous = frame.groupby("case:concept:name", sort=False)["time:timestamp"].shift(1)
    frame[START] = previous.fillna(frame["time:timestamp"])
    parameters = {service_time.Parameters.ACTIVITY_KEY: "concept:name",
                  service_time.Parameters.TIMESTAMP_KEY: "time:timestamp",
                  service_time.Parameters.START_TIMESTAMP_KEY: START,
                  service_time.Parameters.BUSINESS_HOURS: True,
                  service_time.Parameters.BUSINESS_HOUR_SLOTS: SLOTS}
    mean = service_time.apply(frame, parameters={**parameters, service_time.Parameters.AGGREGATION_MEASURE: "mean"})
    measured = time.perf_counter()
    median = service_time.apply(frame, parameters={**parameters,
                                                   service_time.Parameters.AGGREGATION_MEASURE: "median"})
    medians = time.perf_counter()
    durations = frame.groupby("concept:name")[service_time.DIFF_KEY]  # what the first apply computed
    counts, minima, maxima, sums = (durations.count(), durations.min(), durations.max(), durations.sum())
    activities = {str(name): {"count": int(counts[name]), "mean": mean[name], "median": median[name],
                              "min": float(minima[name]), "max": float(maxima[name]), "sum": float(sums[name])}
                  for name in mean}
    done = time.perf_counter()
    return {"pm4py": pm4py.__version__, "pandas": pd.__version__, "events": int(len(frame)),
            "cases": int(frame["case:concept:name"].nunique()), "activities": activities,
            "seconds": {"import_pm4py": imported - began, "read_xes": read - imported,
                        "service_time_mean": measured - read, "service_time_median": medians - measured,
                        "other_figures": done - medians, "figures_total": done - imported,
                        "read_and_one_pass": measured - imported}}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
