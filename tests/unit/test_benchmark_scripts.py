"""The benchmark of issue 5 stays runnable: its modules import and their ``--help`` works (no timing here).

The benchmark itself is run by hand (``python -m benchmarks.issue5.run``, see benchmarks/README.md).
"""

import importlib
import sys

import pytest

COMMANDS = ("run", "clock_bench", "import_bench", "stats_bench", "app_figures", "pm4py_compare", "synthetic_xes")


@pytest.mark.parametrize("name", COMMANDS)
def test_help(name, capsys):
    module = importlib.import_module(f"benchmarks.issue5.{name}")
    with pytest.raises(SystemExit) as done:
        module.main(["--help"])
    assert done.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_pm4py_is_never_imported_by_the_app_side():
    importlib.import_module("benchmarks.issue5.pm4py_reference")
    importlib.import_module("benchmarks.issue5.pm4py_env")
    assert "pm4py" not in sys.modules
