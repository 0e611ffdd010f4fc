#!/usr/bin/env bash
# Shared by scripts/demo.sh and scripts/test.sh (sourced, not run): find Python 3.11+, run as root,
# create .venv when missing.

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

# Install a Debian package when *test* fails: ensure_debian_package PACKAGE "WHAT FAILS WITHOUT IT" TEST...
# Warns (and carries on) when there is no apt-get or no root.
ensure_debian_package() {
    local package=$1 consequence=$2
    shift 2
    "$@" && return 0
    echo "==> Debian's $package is missing: installing it"
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "warning: no apt-get here. Install $package yourself; $consequence." >&2
        return 0
    fi
    if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null 2>&1; then
        echo "warning: not root and no sudo: run 'apt-get install $package' as root; $consequence." >&2
        return 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! { as_root apt-get update -qq && as_root apt-get install -y -qq "$package"; }; then
        echo "warning: could not install $package with apt-get; $consequence." >&2
    fi
}

has_cairo() {
    ldconfig -p 2>/dev/null | grep -q 'libcairo\.so\.2'
}

ensure_cairo() {
    ensure_debian_package libcairo2 "the process maps in Word exports need it" has_cairo
}
