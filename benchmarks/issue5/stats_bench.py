"""(c) The per-step aggregates of ``qms step-stats`` and the dashboard's first byte over the imported data.

On the database the CSV import of (b) filled (every stored step run, none added):

- the rollups brought up to date once (what the first read after an import does; cheap when the
  import already did it), then ``analysis.step_stats`` over the whole period in-process, the work of
  ``qms step-stats`` (median of five), target 1 s;
- the ``qms step-stats`` command in a fresh process, for contrast (Python and the app starting included);
- the dashboard: ``qms run`` serves the app, an ISO secretary of the demo signs in through the login
  form, and the time from sending ``GET /analysis/`` (the default period, then every date) to the
  arrival of the status line is taken, after one request to warm the server; median of five, target
  300 ms.

    python -m benchmarks.issue5.stats_bench --database sqlite:///benchmarks/issue5/data/import_sqlite_csv.db
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import socket
import statistics
import subprocess
import tempfile
import time
from datetime import date
from urllib.parse import urlencode

from benchmarks.issue5.common import PROJECT, QMS, app_env, run_measured

USER, PASSWORD = "huong.nt", "GiaLai@2026demo"  # the demo's ISO secretary (README, demo accounts)
PAGES = {"default period": "/analysis/", "every date": "/analysis/?from=01/01/2000&to=31/12/2100"}
EVERYTHING = ("2000-01-01", "2100-12-31")


def in_process(database_url: str, repeat: int) -> dict:
    """The rollups' refresh after the import, then ``step_stats`` over everything, *repeat* times."""
    from sqlalchemy import text

    from processes.dossiers.analysis import Filters, step_stats
    from processes.dossiers.rollups import refresh_rollups
    from qms import create_app
    from qms.extensions import db

    app = create_app(DATABASE_URL=database_url)
    with app.app_context():
        runs = db.session.scalar(text("SELECT COUNT(*) FROM step_runs"))
        started = time.perf_counter()
        refresh_rollups()
        db.session.commit()
        refresh = time.perf_counter() - started
        whole = Filters(date.fromisoformat(EVERYTHING[0]), date.fromisoformat(EVERYTHING[1]))
        times, stats = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            stats = step_stats(whole)
            times.append(time.perf_counter() - started)
    return {"step_runs": runs, "aggregated_runs": sum(s.count for s in stats), "steps": len(stats),
            "refresh_after_import": refresh, "step_stats": times, "step_stats_median": statistics.median(times)}


def command(database_url: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        run = run_measured([QMS, "step-stats", "--from", EVERYTHING[0], "--to", EVERYTHING[1], "--format", "json",
                            "--out", out.name, "--timing"], env=app_env(database_url)).check()
    return {"wall": run.seconds, "says": run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """A signed-in client of a local server over plain HTTP: cookies kept, time to first byte measured."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[float, int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection.request(method, path, body=urlencode(body) if body is not None else None, headers=headers)
        response = connection.getresponse()  # returns once the status line and the headers have arrived
        first_byte = time.perf_counter() - started
        page = response.read().decode("utf-8", "replace")
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";")[0].partition("=")
            self.cookies[name] = value
        connection.close()
        return first_byte, response.status, page

    def sign_in(self) -> None:
        _time, _status, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        _time, status, _page = self.request("POST", "/login", {"username": USER, "password": PASSWORD,
                                                                "csrf_token": token})
        if status != 302:
            raise RuntimeError(f"signing in as {USER} answered {status}")


def dashboard(database_url: str, repeat: int) -> dict:
    """Time to first byte of the dashboard served by ``qms run``."""
    port = _free_port()
    server = subprocess.Popen([QMS, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
                              cwd=PROJECT, env=app_env(database_url), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        browser = Browser(port)
        for _ in range(300):
            try:
                browser.sign_in()
                break
            except (ConnectionError, OSError):
                time.sleep(0.2)
        else:
            raise RuntimeError("qms run did not answer within a minute")
        result = {}
        for label, path in PAGES.items():
            times = []
            for _ in range(repeat + 1):
                first_byte, status, _page = browser.request("GET", path)
                if status != 200:
                    raise RuntimeError(f"GET {path} answered {status}")
                times.append(first_byte)
            result[label] = {"first_request": times[0], "times": times[1:], "median": statistics.median(times[1:])}
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure(database_url: str, repeat: int = 5) -> dict:
    figures = in_process(database_url, repeat)
    figures["command"] = command(database_url)
    figures["dashboard"] = dashboard(database_url, repeat)
    figures["dashboard_worst_median"] = max(page["median"] for page in figures["dashboard"].values())
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    figures = measure(args.database, args.repeat)
    pages = ", ".join(f"{label} {page['median'] * 1000:.0f} ms" for label, page in figures["dashboard"].items())
    print(f"{figures['step_runs']:,} step runs: step_stats {figures['step_stats_median']:.3f} s (median), command "
          f"{figures['command']['wall']:.2f} s as a whole; dashboard first byte: {pages}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
