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
source scripts/lib.sh

ensure_venv
echo "==> Installing the project into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
ensure_cairo

echo "==> Migrating the database"
.venv/bin/qms db upgrade

echo "==> Loading the demo data"
.venv/bin/qms seed --demo

echo
echo "Open http://127.0.0.1:5000 and sign in with one of the accounts above"
echo "(Ctrl+C stops the server)."
exec .venv/bin/qms run --host 127.0.0.1 --port 5000
