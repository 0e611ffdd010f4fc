"""Fill Vietnamese translations into qms/translations/vi/LC_MESSAGES/messages.po.

    .venv/bin/python scripts/i18n_fill.py FILE.json [FILE.json ...]
    .venv/bin/python scripts/i18n_fill.py --from-po OTHER/messages.po

A JSON file maps msgid -> msgstr; a plural entry maps the singular msgid to a list
[singular, plural] of msgstrs. ``--from-po`` takes every translated entry of another
catalogue (a branch's copy, say) for the msgids still untranslated here. Only empty
msgstrs are filled; the entries must already be in the catalogue (run
``scripts/i18n.sh extract`` and ``update`` first, ``compile`` after). Prints what is
still untranslated.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

VI_PO = Path(__file__).resolve().parents[1] / "qms" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def _load(args: list[str]) -> dict:
    known: dict = {}
    index = 0
    while index < len(args):
        if args[index] == "--from-po":
            with open(args[index + 1], "rb") as handle:
                for message in read_po(handle):
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    if key and message.string and all(message.string if isinstance(message.string, tuple)
                                                      else [message.string]):
                        known.setdefault(key, list(message.string) if isinstance(message.string, tuple)
                                         else message.string)
            index += 2
        else:
            known.update(json.loads(Path(args[index]).read_text(encoding="utf-8")))
            index += 1
    return known


def main(args: list[str]) -> int:
    if not args:
        print(__doc__)
        return 2
    known = _load(args)
    with open(VI_PO, "rb") as handle:
        catalog = read_po(handle)
    filled, missing = 0, []
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        current = message.string
        empty = not any(current) if isinstance(current, tuple) else not current
        if not empty:
            continue
        value = known.get(key)
        if value is None:
            missing.append(key)
            continue
        message.string = tuple(value) if isinstance(message.id, tuple) else value
        message.flags.discard("fuzzy")
        filled += 1
    with open(VI_PO, "wb") as handle:
        write_po(handle, catalog, width=0, sort_by_file=True)
    print(f"filled {filled}; still untranslated {len(missing)}")
    for key in missing:
        print("  ", json.dumps(key, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
