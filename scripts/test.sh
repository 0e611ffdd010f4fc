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

source scripts/lib.sh

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
