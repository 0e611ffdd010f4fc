"""The per-step aggregates (``qms step-stats``) and the dashboard over a million stored step runs.

``fill`` writes dossiers and their step runs of the demo procedures straight into a migrated
database with plain inserts (executemany on SQLite, COPY on PostgreSQL), measured on the working
clock at once with NumPy, as the bulk import would store them: about 140,000 dossiers over two years
for 1,000,000 step runs, most steps early, the appraisal of the postal licence chronically late. It
seeds the demo first when the database has no process map. ``measure`` then times, on that data:

- the rollups: a full rebuild (what an import of that size triggers) and the check when nothing changed;
- the per-step aggregates of the whole period in-process (the work of ``qms step-stats``), and the
  command itself in a fresh process (its wall time includes starting Python and the app);
- the dashboard's time to first byte over HTTP (a real server in a thread, signed in as huong.nt).

    python benchmarks/step_stats_bench.py fill --database sqlite:////tmp/bench.db --runs 1000000
    python benchmarks/step_stats_bench.py measure --database sqlite:////tmp/bench.db
    (PostgreSQL: --database postgresql+psycopg://postgres@127.0.0.1:5432/qms_bench)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST, LAST = date(2024, 11, 1), date(2026, 10, 31)
DAY = 480
SHARE = {"receive": 0.35, "assign": 0.45, "appraise": 0.62, "review": 0.5, "sign": 0.55, "issue": 0.4,
         "return": 0.55}
SLOW_DAYS = {("1.004470", "B3"): 9.6}
HANDLERS = ["Nguyễn Thu Thảo", "Rơ Châm Dũng", "Lê Thị Mai Hoa", "Trần Minh Khoa", "Nguyễn Văn Quang",
            "Võ Thị Bích Ngọc", "Đỗ Anh Tuấn", "Lê Văn Hùng", "Phạm Đức Minh", "Kpă Thị Yến", "Phan Hoàng Sơn"]
DOSSIER_COLUMNS = ("id", "code", "code_is_legacy", "procedure_id", "version_id", "activity_set", "applicant_name",
                   "applicant_kind", "applicant_address", "applicant_phone", "channel", "received_at", "convention",
                   "timeliness_point", "supplement_policy", "limit_minutes", "original_due_at", "due_at",
                   "result_ready_at", "returned_at", "outcome", "status", "used_units", "timeliness", "source",
                   "created_at", "updated_at")
RUN_COLUMNS = ("dossier_id", "position", "step_id", "step_code", "activity", "unit_id", "from_label", "to_label",
               "handler", "started_at", "finished_at", "deadline_at", "allotted_units", "used_units", "result",
               "note", "event_key")


def app_for(url: str):
    from qms import create_app

    return create_app(DATABASE_URL=url)


def _stamps(epoch: np.ndarray) -> np.ndarray:
    """Naive UTC text as the UTCDateTime columns store it: 2026-03-02 02:00:00.000000."""
    return np.char.replace(np.datetime_as_string((epoch * 1e6).astype("datetime64[us]"), unit="us"), "T", " ")


def _versions():
    """(procedure code, version, steps) of every process version in force now, with a weight."""
    from processes.models import AdministrativeProcedure
    from processes.queries import current_version
    from qms.extensions import db
    from sqlalchemy import select

    found = []
    for procedure in db.session.scalars(select(AdministrativeProcedure).order_by(AdministrativeProcedure.code)):
        version = current_version(procedure)
        if version is not None and version.steps:
            found.append((procedure, version))
    return found


def generate(target_runs: int, rng: np.random.Generator):
    """Dossier rows and step-run rows (column arrays) adding up to about *target_runs* step runs."""
    from processes.dossiers.timing import clock_for
    from qms.calendar import services as calendar
    from qms.calendar.models import CountingConvention

    clock = clock_for(CountingConvention.HOURS)
    versions = _versions()
    mean_steps = np.mean([len(v.steps) for _p, v in versions])
    dossiers = int(target_runs / mean_steps)
    zone = calendar.working_clock().zone
    first_units = clock.clock(datetime(FIRST.year, FIRST.month, FIRST.day, tzinfo=zone))
    last_units = clock.clock(datetime(LAST.year, LAST.month, LAST.day, tzinfo=zone))
    which = rng.integers(0, len(versions), dossiers)
    received_units = np.sort(rng.uniform(first_units, last_units, dossiers))
    received = np.floor(clock.at_many(received_units) / 60) * 60
    received_units = clock.clock_many(received)
    channels = rng.choice(np.array(["in_person", "post", "online"]), dossiers, p=[0.4, 0.15, 0.45])
    d_cols = {name: np.empty(dossiers, dtype=object) for name in ("ready", "returned", "used", "timeliness", "due")}
    runs = {name: [] for name in RUN_COLUMNS}
    for index, (procedure, version) in enumerate(versions):
        rows = np.flatnonzero(which == index)
        if not len(rows):
            continue
        steps = version.steps
        allotted = np.array([s.allotted_minutes for s in steps], dtype=float)
        after = np.array([allotted[i + 1:].sum() for i in range(len(steps))])
        due_units = received_units[rows] + allotted.sum()
        used = np.empty((len(rows), len(steps)))
        for k, step in enumerate(steps):
            slow = SLOW_DAYS.get((procedure.code, step.code))
            if slow and version.total_minutes < 8000:
                used[:, k] = DAY * slow * np.exp(rng.normal(0, 0.2, len(rows)))
            else:
                used[:, k] = np.maximum(allotted[k] * np.minimum(
                    SHARE.get(step.kind.value, 0.5) * np.exp(rng.normal(0, 0.45, len(rows))), 3.0), 5.0)
        finish_units = received_units[rows, None] + np.cumsum(used, axis=1)
        finish = clock.at_many(finish_units.ravel()).reshape(finish_units.shape)
        deadline_units = due_units[:, None] - after[None, :]
        deadline = clock.at_many(deadline_units.ravel()).reshape(finish_units.shape)
        margin = deadline_units - finish_units
        result = np.where(margin < -1, "late", np.where(margin <= 1, "on_time", "early"))
        starts = np.concatenate([received[rows, None], finish[:, :-1]], axis=1)
        due = clock.at_many(due_units)
        ready = finish[:, -2] if len(steps) > 1 else finish[:, -1]
        zone_offset = 7 * 3600
        late = ready > due
        same_day = np.floor((ready + zone_offset) / 86400) == np.floor((due + zone_offset) / 86400)
        d_cols["due"][rows] = list(due)
        d_cols["ready"][rows], d_cols["returned"][rows] = list(ready), list(finish[:, -1])
        d_cols["used"][rows] = list(clock.clock_many(ready) - received_units[rows])
        d_cols["timeliness"][rows] = list(np.where(late, "late", np.where(same_day, "on_time", "early")))
        count = len(rows)
        handler = rng.integers(0, len(HANDLERS), (count, len(steps)))
        for k, step in enumerate(steps):
            runs["dossier_id"].append(rows + 1)
            runs["position"].append(np.full(count, k))
            runs["step_id"].append(np.full(count, step.id))
            runs["step_code"].append(np.full(count, step.code, dtype=object))
            runs["activity"].append(np.full(count, step.name[:200], dtype=object))
            runs["unit_id"].append(np.full(count, step.unit_id if step.unit_id else -1))
            runs["from_label"].append(np.full(count, "", dtype=object))
            label = (step.unit.name if step.unit else step.performer)[:200]
            runs["to_label"].append(np.full(count, label, dtype=object))
            runs["handler"].append(np.array(HANDLERS, dtype=object)[handler[:, k]])
            runs["started_at"].append(_stamps(starts[:, k]))
            runs["finished_at"].append(_stamps(finish[:, k]))
            runs["deadline_at"].append(_stamps(deadline[:, k]))
            runs["allotted_units"].append(np.full(count, allotted[k]))
            runs["used_units"].append(clock.clock_many(finish[:, k]) - clock.clock_many(starts[:, k]))
            runs["result"].append(result[:, k])
            runs["note"].append(np.full(count, "", dtype=object))
            runs["event_key"].append(np.full(count, f"{step.code}:{k}", dtype=object))
    now = _stamps(np.array([time.time()]))[0]
    stamps = {name: _stamps(np.array(d_cols[name], dtype=np.float64)).tolist()
              for name in ("due", "ready", "returned")}
    received_text = _stamps(received).tolist()
    dossier_rows = []
    for i in range(dossiers):
        procedure, version = versions[which[i]]
        dossier_rows.append((i + 1, f"BENCH-{i + 1:07d}", True, procedure.id, version.id, "",
                             f"Công ty bench {i % 997}", "organisation", "", "", str(channels[i]), received_text[i],
                             "hours", "result_ready", "restart", version.total_minutes, stamps["due"][i],
                             stamps["due"][i], stamps["ready"][i], stamps["returned"][i], "issued", 10,
                             float(d_cols["used"][i]), str(d_cols["timeliness"][i]), "bench", now, now))
    columns = [np.concatenate(runs[name]) for name in RUN_COLUMNS]
    run_rows = list(zip(*[c.tolist() for c in columns]))
    run_rows = [row[:5] + ((row[5] if row[5] > 0 else None),) + row[6:] for row in run_rows]
    return dossier_rows, run_rows


def fill(url: str, target_runs: int) -> None:
    from qms.extensions import db

    app = app_for(url)
    with app.app_context():
        from sqlalchemy import text

        if not db.session.scalar(text("SELECT COUNT(*) FROM process_steps")):
            from qms.audit import log as audit
            from qms.seeding import load_demo

            started = time.perf_counter()
            with audit.acting_as(audit.Actor.system("bench")):
                load_demo()
                db.session.commit()
            print(f"demo seeded in {time.perf_counter() - started:.1f} s")
        db.session.execute(text("DELETE FROM analysis_step_blocks"))
        db.session.execute(text("DELETE FROM analysis_dossier_blocks"))
        db.session.execute(text("DELETE FROM analysis_rollup_state"))
        db.session.execute(text("DELETE FROM nonconformity_evidence WHERE dossier_id IS NOT NULL "
                                "OR step_run_id IS NOT NULL"))  # the demo's late dossiers, cited by its NCs
        db.session.execute(text("DELETE FROM supplement_requests"))
        db.session.execute(text("DELETE FROM dossier_apologies"))
        db.session.execute(text("DELETE FROM step_runs"))
        db.session.execute(text("DELETE FROM dossiers"))
        db.session.commit()
        started = time.perf_counter()
        dossiers, runs = generate(target_runs, np.random.default_rng(2026))
        print(f"generated {len(dossiers)} dossiers, {len(runs)} step runs in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        # the secondary indexes are built once at the end rather than row by row
        indexes = [index for name in ("dossiers", "step_runs") for index in db.metadata.tables[name].indexes]
        for index in indexes:
            index.drop(bind=db.session.connection())
        connection = db.session.connection().connection.dbapi_connection
        if db.engine.dialect.name == "postgresql":
            _copy(connection, "dossiers", DOSSIER_COLUMNS, dossiers)
            _copy(connection, "step_runs", RUN_COLUMNS, runs)
        else:
            cursor = connection.cursor()
            cursor.execute("PRAGMA synchronous = OFF")
            for table, names, rows in (("dossiers", DOSSIER_COLUMNS, dossiers), ("step_runs", RUN_COLUMNS, runs)):
                marks = ", ".join("?" * len(names))
                cursor.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", rows)
        for index in indexes:
            index.create(bind=db.session.connection())
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('dossiers', 'id'), "
                                    "(SELECT MAX(id) FROM dossiers))"))
            db.session.execute(text("ANALYZE dossiers; ANALYZE step_runs"))
            db.session.commit()
        print(f"inserted in {time.perf_counter() - started:.1f} s")


def _copy(connection, table: str, names, rows) -> None:
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def measure(url: str, repeat: int) -> dict:
    from processes.dossiers.analysis import Filters, step_stats
    from processes.dossiers.rollups import refresh_rollups
    from qms.extensions import db

    app = app_for(url)
    figures = {"database": url.split(":")[0], "machine": _machine()}
    with app.app_context():
        from sqlalchemy import text

        figures["step_runs"] = db.session.scalar(text("SELECT COUNT(*) FROM step_runs"))
        figures["dossiers"] = db.session.scalar(text("SELECT COUNT(*) FROM dossiers"))
        started = time.perf_counter()
        refresh_rollups(full=True)
        db.session.commit()
        figures["rollups_full_rebuild_s"] = round(time.perf_counter() - started, 3)
        figures["rollups_check_unchanged_s"] = _summary(_timed(lambda: (refresh_rollups(), db.session.commit()),
                                                               repeat))
        whole = Filters(date(2000, 1, 1), date(2100, 12, 31))
        stats = step_stats(whole)
        figures["aggregated_step_runs"] = sum(s.count for s in stats)
        figures["steps"] = len(stats)
        figures["step_stats_in_process_s"] = _summary(_timed(lambda: step_stats(whole), repeat))
    figures["qms_step_stats_command"] = _command(url)
    figures["dashboard_ttfb_s"] = _dashboard(url, repeat)
    return figures


def _summary(times: list[float]) -> dict:
    return {"min": round(min(times), 3), "median": round(statistics.median(times), 3), "max": round(max(times), 3)}


def _command(url: str) -> dict:
    """``qms step-stats`` over everything in a fresh process: its own timing and the process's wall time."""
    env = {**os.environ, "QMS_DATABASE_URL": url}
    started = time.perf_counter()
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "qms"), "step-stats", "--from", "2000-01-01", "--to",
                           "2100-12-31", "--format", "json", "--out", "/tmp/step_stats_bench.json", "--timing"],
                          env=env, capture_output=True, text=True, check=True)
    return {"wall_s": round(time.perf_counter() - started, 3), "reported": done.stderr.strip()}


def _dashboard(url: str, repeat: int) -> dict:
    """The dashboard measured in a fresh process, so that its first request finds nothing in memory."""
    done = subprocess.run([sys.executable, __file__, "dashboard", "--database", url, "--repeat", str(repeat)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def dashboard(url: str, repeat: int) -> dict:
    """Time to first byte of /analysis/ over HTTP: the first request of the process (blocks read and reduced),
    the next ones, and the first one after a new dossier with one finished step run was recorded (the
    request refreshes the rollups: one step block and one dossier block are rewritten and read again)."""
    from werkzeug.serving import make_server

    app = app_for(url)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_port
    cookie = _login(port)
    results = {}
    for label, path in (("last_12_months", "/analysis/"), ("everything", "/analysis/?from=01/01/2000&to=31/12/2100"),
                        ("one_procedure", "/analysis/?procedure=1&from=01/01/2000&to=31/12/2100")):
        times = [_ttfb(port, path, cookie) for _ in range(repeat + 1)]
        results[label] = {"first": round(times[0], 3), **_summary(times[1:])}
    _record_one_run(app)
    results["last_12_months_after_a_new_run"] = round(_ttfb(port, "/analysis/", cookie), 3)
    server.shutdown()
    return results


def _ttfb(port: int, path: str, cookie: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()  # returns when the status line and headers have arrived
    elapsed = time.perf_counter() - started
    response.read()
    assert response.status == 200, (path, response.status)
    connection.close()
    return elapsed


def _record_one_run(app) -> None:
    """A copy of the last dossier with its first step run, finished now (plain inserts, as an import writes)."""
    from sqlalchemy import text

    from qms.extensions import db

    with app.app_context():
        now = _stamps(np.array([time.time() - 3600]))[0]
        top = db.session.scalar(text("SELECT MAX(id) FROM dossiers"))
        db.session.execute(text(
            f"INSERT INTO dossiers ({', '.join(DOSSIER_COLUMNS)}) SELECT {top + 1}, 'BENCH-NEW-{top + 1}', "
            "code_is_legacy, procedure_id, version_id, activity_set, applicant_name, applicant_kind, applicant_address, "
            "applicant_phone, channel, received_at, convention, timeliness_point, supplement_policy, limit_minutes, "
            "original_due_at, due_at, :now, :now, outcome, status, used_units, timeliness, source, created_at, "
            "updated_at FROM dossiers WHERE id = :top"), {"now": now, "top": top})
        db.session.execute(text(
            f"INSERT INTO step_runs ({', '.join(RUN_COLUMNS)}) SELECT {top + 1}, position, step_id, step_code, "
            "activity, unit_id, from_label, to_label, handler, started_at, :now, deadline_at, allotted_units, "
            "used_units, result, note, event_key FROM step_runs WHERE dossier_id = :top AND position = 0"),
            {"now": now, "top": top})
        db.session.commit()


def _login(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    from urllib.parse import urlencode

    body = urlencode({"username": "huong.nt", "password": "GiaLai@2026demo", "csrf_token": token})
    connection.request("POST", "/login", body=body, headers={"Cookie": cookie + "; qms_lang=en",
                                                             "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    return response.getheader("Set-Cookie").split(";")[0] + "; qms_lang=en"


def _machine() -> str:
    import platform

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["fill", "measure", "dashboard"])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a migrated database")
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.action == "fill":
        fill(args.database, args.runs)
    elif args.action == "dashboard":
        print(json.dumps(dashboard(args.database, args.repeat)))
    else:
        print(json.dumps(measure(args.database, args.repeat), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
