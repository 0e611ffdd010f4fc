#!/usr/bin/env bash
# Translation catalogue maintenance.
#
#   scripts/i18n.sh            extract + update + compile
#   scripts/i18n.sh extract    source -> qms/translations/messages.pot
#   scripts/i18n.sh update     messages.pot -> vi and en messages.po (init when missing)
#   scripts/i18n.sh compile    messages.po -> messages.mo (committed: loaded at run time)
#
# Uses the project's venv (.venv/bin/pybabel) when present, else pybabel on PATH.
set -euo pipefail

cd "$(dirname "$0")/.."

if [[ -x .venv/bin/pybabel ]]; then
    PYBABEL=.venv/bin/pybabel
else
    PYBABEL=pybabel
fi

TRANSLATIONS=qms/translations
POT="$TRANSLATIONS/messages.pot"
LOCALES=(vi en)

extract() {
    # The mapping in babel.cfg only names qms/, processes/, audits/, nonconformities/
    # and templates/, and --ignore-dirs skips dot-directories (.venv, .git) anyway.
    # --ignore-dirs also replaces Babel's default filter, which would skip every
    # directory starting with "_" -- and so templates/_macros.
    "$PYBABEL" extract -F babel.cfg \
        -k _l -k lazy_gettext -k lazy_pgettext:1c,2 \
        --ignore-dirs='.* __pycache__ node_modules build dist *.egg-info' \
        --sort-by-file --no-wrap \
        --project="qms-tthc" --copyright-holder="Sở Thông tin và Truyền thông" \
        -o "$POT" .
}

update() {
    [[ -f "$POT" ]] || extract
    local lang
    for lang in "${LOCALES[@]}"; do
        if [[ -f "$TRANSLATIONS/$lang/LC_MESSAGES/messages.po" ]]; then
            "$PYBABEL" update -i "$POT" -d "$TRANSLATIONS" -l "$lang" --no-wrap --ignore-obsolete --no-fuzzy-matching
        else
            "$PYBABEL" init -i "$POT" -d "$TRANSLATIONS" -l "$lang" --no-wrap
        fi
    done
}

compile() {
    # --use-fuzzy is deliberately absent: fuzzy entries must be reviewed, not shipped.
    "$PYBABEL" compile -d "$TRANSLATIONS" --statistics
}

case "${1:-all}" in
    extract) extract ;;
    update) update ;;
    compile) compile ;;
    all) extract; update; compile ;;
    *) echo "usage: $0 [extract|update|compile]" >&2; exit 2 ;;
esac
