"""Dependencies point one way (STYLE.md): the kernel imports no domain; processes imports neither
audits nor nonconformities; audits does not import nonconformities."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "qms": {"processes", "audits", "nonconformities"},
    "processes": {"audits", "nonconformities"},
    "audits": {"nonconformities"},
    "nonconformities": set(),
}
# The aggregating views of the kernel (dashboard, management review, evidence pack) may read every domain.
AGGREGATORS = {"qms/dashboard", "qms/review", "qms/evidence"}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0], node.lineno


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downwards(package):
    offences = []
    for path in (ROOT / package).rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if any(relative.startswith(prefix) for prefix in AGGREGATORS):
            continue
        for module, line in _imports(path):
            if module in FORBIDDEN[package]:
                offences.append(f"{relative}:{line} imports {module}")
    assert not offences, "\n".join(offences)
