#!/usr/bin/env bash
# Run the application with the demo agency on http://127.0.0.1:5000.
#
#   bash scripts/demo.sh
#
# Needs only Python 3.11+. Creates .venv when missing, installs the project into it,
# migrates the default SQLite database (instance/qms.db), loads the demo data (printing
# the demo sign-ins) and starts the server. Safe to run again: the migration and the
# seed are idempotent.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# A Python of at least 3.11 for the venv.
find_python() {
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    if [[ -x .venv/bin/python ]] && .venv/bin/python -m pip --version >/dev/null 2>&1; then
        return 0
    fi
    local python
    if ! python=$(find_python); then
        echo "error: Python 3.11 or newer is required (python3 --version)." >&2
        exit 1
    fi
    echo "==> Creating .venv with $python"
    if ! "$python" -m venv .venv; then
        # Debian and Ubuntu ship venv's pip bootstrap separately.
        if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
            apt-get update -qq && apt-get install -y -qq python3-venv
            "$python" -m venv .venv
        else
            echo "error: could not create .venv; on Debian/Ubuntu install python3-venv (sudo apt-get install python3-venv)." >&2
            exit 1
        fi
    fi
}

ensure_venv
echo "==> Installing the project into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -e .

echo "==> Migrating the database"
.venv/bin/qms db upgrade

echo "==> Loading the demo data"
.venv/bin/qms seed --demo

echo
echo "Open http://127.0.0.1:5000 and sign in with one of the accounts above"
echo "(Ctrl+C stops the server)."
exec .venv/bin/qms run --host 127.0.0.1 --port 5000
