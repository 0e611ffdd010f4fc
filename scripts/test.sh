#!/usr/bin/env bash
# Run the whole test suite (unit, integration, functional and browser tests).
#
#   bash scripts/test.sh                 # everything, on a throw-away SQLite database
#   bash scripts/test.sh tests/unit -x   # arguments go to pytest
#   QMS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/qms_mine bash scripts/test.sh
#
# Creates .venv when missing, installs the project with its test extras and makes sure
# Debian's Chromium (/usr/bin/chromium) is there for the Playwright tests: Playwright never
# downloads a browser here. Exits with pytest's status.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CHROMIUM=/usr/bin/chromium

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

# Run a command as root: directly when we are root, through sudo when it is available.
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 127
    fi
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
        if command -v apt-get >/dev/null 2>&1 && as_root true 2>/dev/null; then
            as_root apt-get update -qq && as_root apt-get install -y -qq python3-venv
            "$python" -m venv .venv
        else
            echo "error: could not create .venv; on Debian/Ubuntu install python3-venv (sudo apt-get install python3-venv)." >&2
            exit 1
        fi
    fi
}

ensure_chromium() {
    [[ -x $CHROMIUM ]] && return 0
    echo "==> $CHROMIUM is missing: installing Debian's chromium package"
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "warning: no apt-get here. Install Chromium at $CHROMIUM yourself; the browser tests (tests/e2e) fail without it." >&2
        return 0
    fi
    if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null 2>&1; then
        echo "warning: not root and no sudo: run 'apt-get install chromium' as root; the browser tests (tests/e2e) fail without it." >&2
        return 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! { as_root apt-get update -qq && as_root apt-get install -y -qq chromium; }; then
        echo "warning: could not install chromium with apt-get; the browser tests (tests/e2e) fail without $CHROMIUM." >&2
    fi
}

ensure_venv
echo "==> Installing the project and its test dependencies into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
ensure_chromium

echo "==> python -m pytest $*"
status=0
.venv/bin/python -m pytest "$@" || status=$?
exit "$status"
