"""The benchmark's own virtualenv for PM4Py (``benchmarks/.venv-pm4py``, git-ignored).

PM4Py is never a dependency of the application: it is installed here only, from PyPI at a pinned
version, and only ever run as a child process (``pm4py_reference``) that prints JSON, so the app's
environment never imports it.

    python -m benchmarks.issue5.pm4py_env      # create or check it
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

from benchmarks.issue5.common import HERE

PM4PY = "pm4py==2.7.23.11"
VENV = HERE.parent / ".venv-pm4py"


def python() -> Path:
    return VENV / "bin" / "python"


def installed_version() -> str | None:
    if not python().exists():
        return None
    done = subprocess.run([str(python()), "-c", "import importlib.metadata as m; print(m.version('pm4py'))"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def ensure(quiet: bool = True) -> Path:
    """The venv's interpreter, with PM4Py at the pinned version (created or repaired when needed)."""
    wanted = PM4PY.split("==")[1]
    if installed_version() == wanted:
        return python()
    if not python().exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    command = [str(python()), "-m", "pip", "install", "--disable-pip-version-check", PM4PY]
    subprocess.run(command + (["-q"] if quiet else []), check=True)
    if installed_version() != wanted:
        raise RuntimeError(f"{PM4PY} did not install into {VENV}")
    return python()


if __name__ == "__main__":
    print(ensure(quiet="-v" not in sys.argv), installed_version())
