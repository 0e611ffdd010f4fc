"""The machine a run was taken on: CPU, cores, memory, Python, NumPy, SQLite and PostgreSQL versions."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def postgres_version(host: str, user: str) -> str:
    """The server's version (``SHOW server_version``), or why it could not be read."""
    try:
        done = subprocess.run(["psql", "-h", host, "-U", user, "-d", "postgres", "-XAtc", "SHOW server_version"],
                              capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"
    return done.stdout.strip() if done.returncode == 0 else f"unavailable ({done.stderr.strip()[:120]})"


def describe(pg_host: str = "127.0.0.1", pg_user: str = "postgres") -> dict:
    import numpy

    return {"cpu": cpu_model(), "cores": os.cpu_count(), "memory_gib": memory_gib(),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "numpy": numpy.__version__, "sqlite": sqlite3.sqlite_version,
            "postgresql": postgres_version(pg_host, pg_user)}


def lines(machine: dict) -> list[str]:
    return [f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, {machine['os']}",
            f"Python {machine['python']}, NumPy {machine['numpy']}, SQLite {machine['sqlite']}, "
            f"PostgreSQL {machine['postgresql']}"]
