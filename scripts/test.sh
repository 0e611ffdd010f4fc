#!/usr/bin/env bash
# Run the whole test suite (unit, integration, functional and browser tests).
#
#   bash scripts/test.sh                 # everything, on a throw-away SQLite database
#   bash scripts/test.sh tests/unit -x   # arguments go to pytest
#   QMS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/qms_mine bash scripts/test.sh
#   QMS_TEST_WORKERS=0 bash scripts/test.sh   # in this one process (default: one pytest-xdist worker per core)
#
# The tests run in parallel (pytest-xdist), each worker on its own database: a SQLite file of its own,
# or on PostgreSQL a database of its own beside the one named (<name>_gw0, <name>_gw1 …, dropped at the end).
#
# Creates .venv when missing, installs the project with its test extras and makes sure
# Debian's Chromium (/usr/bin/chromium) is there for the Playwright tests: Playwright never
# downloads a browser here. Exits with pytest's status.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CHROMIUM=/usr/bin/chromium

source scripts/lib.sh

has_chromium() {
    [[ -x $CHROMIUM ]]
}

ensure_venv
echo "==> Installing the project and its test dependencies into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
ensure_debian_package chromium "the browser tests (tests/e2e) fail without $CHROMIUM" has_chromium
ensure_cairo

workers=${QMS_TEST_WORKERS:-auto}
echo "==> python -m pytest -n $workers $*"
status=0
.venv/bin/python -m pytest -n "$workers" "$@" || status=$?
exit "$status"
