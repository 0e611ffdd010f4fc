"""What every part of the benchmark shares: paths, fresh databases, commands measured in a child process.

A measured command runs as a child of this process and is reaped with ``os.wait4``, which gives the
child's own resource usage: its wall time, CPU time and peak resident memory (``ru_maxrss``, with
its waited-for children), independent of anything else this process ran before.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
DATA = HERE / "data"
RESULTS = HERE / "results.json"
PYTHON = sys.executable
QMS = str(Path(sys.executable).with_name("qms"))
PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
PG_PREFIX = "qms_bench_"  # every database this benchmark creates, and the only ones it drops


@dataclass
class Measured:
    """One command's run: wall and CPU seconds, peak resident memory, exit code and what it printed."""

    command: list[str]
    seconds: float
    cpu_seconds: float
    peak_mb: float  # 10^6 bytes
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> Measured:
        if self.returncode != 0:
            raise RuntimeError(f"{' '.join(self.command)} exited {self.returncode}:\n{self.stderr[-3000:]}")
        return self

    def json(self) -> dict:
        """The last line of stdout that is a JSON object (what the benchmark's own children print)."""
        for line in reversed(self.stdout.splitlines()):
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError(f"no JSON in the output of {' '.join(self.command)}:\n{self.stdout[-2000:]}")

    def summary(self) -> dict:
        data = asdict(self)
        data.pop("stdout"), data.pop("stderr")
        return data


def run_measured(command: list[str], *, env: dict[str, str] | None = None, cwd: Path = PROJECT) -> Measured:
    """Run *command* in a child process; its output goes to temporary files (no pipe can fill up)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        return Measured(command, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024 / 1e6,
                        child.returncode, out.read(), err.read())


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


# Databases ---------------------------------------------------------------------------------------------


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of an app command on *database_url* (the rest as the caller's environment)."""
    env = {**os.environ, "QMS_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", **extra}
    env.setdefault("QMS_ENV", "development")
    return env


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def pg_url(name: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}/{name}"


def _pg(tool: str, *args: str) -> None:
    subprocess.run([tool, "-h", PG_HOST, "-U", PG_USER, *args], check=True, capture_output=True, text=True)


def drop_pg(name: str) -> None:
    if not name.startswith(PG_PREFIX):
        raise ValueError(f"refusing to drop {name}: not a benchmark database")
    _pg("dropdb", "--if-exists", "--force", name)


def migrate(database_url: str, *, seed: bool) -> None:
    """``qms db upgrade`` and, when asked, ``qms seed --demo`` (the procedures and their maps)."""
    env = app_env(database_url)
    run_measured([QMS, "db", "upgrade"], env=env).check()
    if seed:
        run_measured([QMS, "seed", "--demo"], env=env).check()


def template_marker() -> str:
    """What a template database was made from: the migrations and the demo data (a change makes a new one)."""
    digest = hashlib.sha256()
    for path in sorted([*(PROJECT / "migrations" / "versions").glob("*.py"), *(PROJECT / "seed_data").rglob("*.toml")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Databases:
    """Fresh databases for each measure, copied from one migrated and seeded template per engine.

    Seeding the demo takes a minute or two (password hashing), so it is done once per engine: a fresh
    SQLite database is a copy of the template file (kept under data/ while the migrations and the
    demo data are unchanged), a fresh PostgreSQL one ``createdb -T template``.
    """

    def __init__(self, tag: str = "run"):
        self.tag = tag
        self.templates: dict[tuple[str, bool], str] = {}
        self.created: list[str] = []

    def fresh(self, engine: str, name: str, *, seed: bool = True) -> str:
        template = self._template(engine, seed)
        if engine == "sqlite":
            path = DATA / f"{name}.db"
            path.unlink(missing_ok=True)
            shutil.copyfile(DATA / f"{template}.db", path)
            return sqlite_url(path)
        database = f"{PG_PREFIX}{name}"
        drop_pg(database)
        _pg("createdb", "-T", f"{PG_PREFIX}{template}", database)
        self.created.append(database)
        return pg_url(database)

    def _template(self, engine: str, seed: bool) -> str:
        key = (engine, seed)
        if key not in self.templates:
            name = f"template_{'seeded' if seed else 'empty'}"
            if engine == "sqlite":
                DATA.mkdir(parents=True, exist_ok=True)
                path, marker = DATA / f"{name}.db", DATA / f"{name}.marker"
                if not (path.exists() and marker.exists() and marker.read_text() == template_marker()):
                    path.unlink(missing_ok=True)
                    migrate(sqlite_url(path), seed=seed)
                    marker.write_text(template_marker())
            else:
                drop_pg(f"{PG_PREFIX}{name}")
                _pg("createdb", f"{PG_PREFIX}{name}")
                self.created.append(f"{PG_PREFIX}{name}")
                migrate(pg_url(f"{PG_PREFIX}{name}"), seed=seed)
            self.templates[key] = name
        return self.templates[key]

    def drop_all(self) -> None:
        """Drop the PostgreSQL databases this run created (the SQLite files stay under data/ for a look)."""
        for name in reversed(self.created):
            drop_pg(name)
        self.created.clear()


def seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
