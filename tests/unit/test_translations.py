"""The Vietnamese catalogue is complete, consistent with the source and compiled.

Vietnamese is the agency's default language, so a msgid without a Vietnamese
translation is English shown to a civil servant. The catalogue is extracted here
from the source itself, with babel.cfg and the keywords of scripts/i18n.sh, so a
new ``_()`` / ``_l()`` string fails this test until it is translated
(``scripts/i18n.sh``, translate ``qms/translations/vi/LC_MESSAGES/messages.po``,
``scripts/i18n.sh compile``).

English has empty msgstrs on purpose: gettext falls back to the msgid.
"""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = PROJECT_ROOT / "qms" / "translations"
VI_PO = TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po"

#: The same keywords as ``pybabel extract -k _l -k lazy_gettext -k lazy_pgettext:1c,2`` (plus Babel's defaults: _, gettext, ngettext...).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}

#: printf-style placeholders as Python's % operator reads them: %(name)s, %d, %%...
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])")


def _directory_filter(dirpath: str) -> bool:
    """Skip .venv, .git, caches and build output, but not templates/_macros.

    Babel's default filter skips every directory whose name starts with "_"; the
    shell script replaces it the same way with --ignore-dirs.
    """
    name = os.path.basename(dirpath)
    return not (name.startswith(".") or name in {"__pycache__", "node_modules", "build", "dist"}
                or name.endswith(".egg-info"))


def extract_messages() -> dict[tuple[str | tuple, str | None], list[str]]:
    """Every translatable message in the source: (msgid, context) -> ["file:line", ...]."""
    with open(PROJECT_ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(PROJECT_ROOT / "babel.cfg"))
    found: dict[tuple[str | tuple, str | None], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=_directory_filter,
    ):
        if isinstance(message, (list, tuple)):
            message = tuple(message)
            if not message[0]:
                continue
        elif not message:
            continue
        found.setdefault((message, context), []).append(f"{filename}:{lineno}")
    return found


def load_po(lang: str):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def load_mo(lang: str):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo", "rb") as f:
        return read_mo(f)


def _is_translated(message) -> bool:
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
    return bool(strings) and all(s and s.strip() for s in strings)


def _placeholders(text: str) -> set[tuple[str | None, str]]:
    """Named placeholders by (name, type); positional ones by (None, type); %% is not a placeholder."""
    return {(m.group("name"), m.group("type")) for m in PLACEHOLDER.finditer(text) if m.group("type") != "%"}


def _singulars(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


# (a) every msgid of the source has a Vietnamese translation ---------------------------------------


def test_the_source_has_messages_to_translate():
    messages = extract_messages()
    assert len(messages) > 100, "extraction found almost nothing: is babel.cfg still right?"
    files = {where.split(":")[0] for places in messages.values() for where in places}
    assert any(f.startswith("templates/_macros/") for f in files), "templates/_macros/ was skipped"
    assert not any(f.startswith(".venv") for f in files)


def test_every_message_of_the_source_has_a_vietnamese_translation():
    catalog = load_po("vi")
    missing = []
    for (msgid, context), places in sorted(extract_messages().items(), key=lambda kv: kv[1][0]):
        message = catalog.get(msgid, context)
        if not _is_translated(message):
            state = "missing from the catalogue" if message is None else ("fuzzy" if message.fuzzy else "empty")
            missing.append(f"  {places[0]}: {msgid!r} ({state})")
    assert not missing, (
        f"{len(missing)} message(s) without a Vietnamese translation; run scripts/i18n.sh, translate them in "
        f"{VI_PO.relative_to(PROJECT_ROOT)}, then scripts/i18n.sh compile:\n" + "\n".join(missing)
    )


def test_the_vietnamese_catalogue_has_no_fuzzy_entry():
    catalog = load_po("vi")
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy: pybabel compile would skip the whole file"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries are not compiled; review them: {fuzzy}"


# (b) placeholders are kept ---------------------------------------------------------------------


def test_vietnamese_translations_keep_the_placeholders_of_their_msgid():
    wrong = []
    for message in load_po("vi"):
        if not message.id or not _is_translated(message):
            continue
        expected = set().union(*(_placeholders(s) for s in _singulars(message.id)))
        for translated in _singulars(message.string):
            got = _placeholders(translated)
            if got != expected:
                wrong.append(f"  {message.id!r}: {translated!r} has {sorted(got, key=str)}, "
                             f"expected {sorted(expected, key=str)}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_babel_checkers_accept_the_vietnamese_catalogue():
    """Babel's own checks (python-format compatibility, plural forms)."""
    problems = [f"  {message.id!r}: {'; '.join(map(str, errors))}" for message, errors in load_po("vi").check()
                if not message.fuzzy]  # fuzzy entries are not compiled; the test above reports them
    assert not problems, "\n".join(problems)


def test_the_english_catalogue_falls_back_to_the_msgid():
    """English msgstrs stay empty (gettext shows the msgid), so English cannot drift from the source."""
    filled = [m.id for m in load_po("en") if m.id and any(_singulars(m.string))]
    assert not filled, f"English msgstrs should be empty: {filled}"


# (c) the committed .mo files are compiled from the .po files ------------------------------------------


def _compiled_view(catalog) -> dict:
    """What gettext sees at run time: the non-fuzzy, translated messages (header excluded)."""
    view = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        strings = _singulars(message.string)
        if not any(strings):
            continue
        view[(message.id if isinstance(message.id, str) else tuple(message.id), message.context)] = strings
    return view


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_committed_mo_file_is_up_to_date(lang):
    # Compile the .po in memory as `pybabel compile` does (it fills untranslated plural forms with the
    # msgids, skips fuzzy entries), then compare what gettext would read from both.
    fresh = io.BytesIO()
    write_mo(fresh, load_po(lang))
    fresh.seek(0)
    po, mo = _compiled_view(read_mo(fresh)), _compiled_view(load_mo(lang))
    stale = sorted({str(k[0]) for k in po.keys() ^ mo.keys()} |
                   {str(k[0]) for k in po.keys() & mo.keys() if po[k] != mo[k]})
    assert not stale, (f"qms/translations/{lang}/LC_MESSAGES/messages.mo is out of date with messages.po "
                       f"(run scripts/i18n.sh compile): {stale[:20]}")


# (d) the login page in both languages -----------------------------------------------------------------


def test_login_page_is_vietnamese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập" in page
    assert "Tên đăng nhập" in page and "Mật khẩu" in page
    assert "Sign in" not in page


def test_login_page_is_english_with_the_language_cookie(client):
    client.set_cookie("qms_lang", "en")
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in" in page
    assert "Username" in page and "Password" in page
    assert "Đăng nhập" not in page


# (e) no English UI text on the pages an administrator sees in Vietnamese -----------------------------


class _VisibleText(HTMLParser):
    """Text nodes and the attributes a user reads or hears (placeholder, title, aria-label, confirm)."""

    ATTRIBUTES = {"placeholder", "title", "aria-label", "data-confirm", "alt"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and (name in self.ATTRIBUTES or (name == "value" and tag == "input"
                                                      and dict(attrs).get("type") in ("submit", "button"))):
                self.chunks.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.chunks.append(data)


_DECORATION = " \t\r\n‹›«»☰·•→←∅✓—–…:()#|"


def _visible_chunks(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    chunks = []
    for chunk in parser.chunks:
        chunk = " ".join(chunk.split()).strip(_DECORATION)
        if chunk:
            chunks.append(chunk)
    return chunks


class _EnglishDetector:
    """Finds msgids of the catalogue shown as they are, i.e. not translated.

    A chunk leaks when it *is* a msgid (placeholders matching anything), or when it contains a
    fragment of at least two English words of a msgid: Vietnamese text and the test data never
    contain those. Msgids whose Vietnamese translation is the same text (none today) are allowed.
    """

    def __init__(self, catalog):
        self.whole: list[tuple[str, re.Pattern]] = []
        self.fragments: list[tuple[str, re.Pattern]] = []
        for message in catalog:
            if not message.id or not _is_translated(message):
                continue
            for msgid, translated in zip(_singulars(message.id), _singulars(message.string) * 2):
                if msgid == translated:
                    continue
                pieces = PLACEHOLDER.split(msgid)[::3]  # text between placeholders
                kinds = [m.group("type") for m in PLACEHOLDER.finditer(msgid)]
                pattern = re.escape(pieces[0]) + "".join(
                    (r"\d+" if kind in "di" else ".+?") + re.escape(piece) for kind, piece in zip(kinds, pieces[1:]))
                self.whole.append((msgid, re.compile(f"^{pattern}$")))
                for piece in pieces:
                    piece = piece.strip(_DECORATION + ".,;?!\"'")
                    if len(piece.split()) >= 2 and len(piece) >= 8:
                        self.fragments.append((msgid, re.compile(rf"(?<![\w]){re.escape(piece)}(?![\w])")))

    def leaks(self, chunks: list[str]) -> set[str]:
        found = set()
        for chunk in chunks:
            for msgid, pattern in self.whole:
                if pattern.match(chunk) or pattern.match(chunk.rstrip(".")):
                    found.add(f"{msgid!r} shown as {chunk!r}")
            for msgid, pattern in self.fragments:
                if pattern.search(chunk):
                    found.add(f"{msgid!r} in {chunk!r}")
        return found


def _seed_pages_data(app, make_user):
    """An administrator (also director) and enough data for every list, panel and status to show."""
    from qms.audit import log as audit
    from qms.extensions import db
    from qms.org import services as org
    from qms.org.models import UnitKind
    from qms.permissions import SYSTEM_ACTOR
    from qms.timeutil import local_today, utcnow
    from qms.users import services as users
    from qms.users.models import User

    with app.app_context(), audit.acting_as(audit.Actor.system("test")):
        org.save_agency({"name": "Sở Thông tin và Truyền thông", "parent_body": "UBND tỉnh Nam Định",
                         "short_name": "Sở TTTT", "code": "000.00.19.H40"}, actor=SYSTEM_ACTOR)
        leaders = org.save_unit(None, {"code": "LD", "name": "Lãnh đạo Sở", "kind": UnitKind.LEADERSHIP,
                                       "description": "Ban Giám đốc Sở"}, actor=SYSTEM_ACTOR)
        office = org.save_unit(None, {"code": "VP", "name": "Văn phòng Sở", "short_name": "VP",
                                      "kind": UnitKind.OFFICE, "parent_id": leaders.id}, actor=SYSTEM_ACTOR)
        org.save_unit(None, {"code": "BCVT", "name": "Phòng Bưu chính, Viễn thông", "kind": UnitKind.SPECIALIST,
                             "is_active": False}, actor=SYSTEM_ACTOR)
        director_post = org.save_position(None, {"code": "GD", "name": "Giám đốc", "rank": 1,
                                                 "is_leadership": True}, actor=SYSTEM_ACTOR)
        org.save_position(None, {"code": "VT", "name": "Văn thư", "rank": 90, "is_active": False},
                          actor=SYSTEM_ACTOR)
        ids = {"unit_id": office.id, "position_id": director_post.id}
        leaders_id, director_post_id = leaders.id, director_post.id
        db.session.commit()
    admin_id = make_user("admin", "director", username="quantri", full_name="Nguyễn Văn An",
                         unit_id=leaders_id, position_id=director_post_id, email="an.nv@stttt.gov.vn")
    deputy_id = make_user("unit_head", username="binh.tt", full_name="Trần Thanh Bình", unit_id=ids["unit_id"])
    locked_id = make_user("specialist", username="cuong.lv", full_name="Lê Văn Cường")
    auditor_id = make_user("external_auditor", username="doan.kt", full_name="Phạm Thị Dung",
                           expires_on=local_today() + timedelta(days=5))
    inactive_id = make_user("one_stop_officer", username="em.hv", full_name="Hoàng Văn Em")
    for n in range(26):  # more than one page of users
        make_user("specialist", username=f"chuyenvien{n:02d}", full_name=f"Chuyên viên số {n:02d}")
    with app.app_context(), audit.acting_as(audit.Actor.system("test")):
        admin, deputy = db.session.get(User, admin_id), db.session.get(User, deputy_id)
        today = local_today()
        ids["delegation_id"] = users.create_delegation(
            admin, deputy, today - timedelta(days=1), today + timedelta(days=10), actor=admin,
            scope="Ký văn bản thuộc lĩnh vực bưu chính", decision_ref="Quyết định số 12/QĐ-STTTT").id
        old = users.create_delegation(admin, deputy, today - timedelta(days=60), today - timedelta(days=30),
                                      actor=admin)
        users.revoke_delegation(old, actor=admin)
        db.session.get(User, locked_id).locked_until = utcnow() + timedelta(hours=1)
        db.session.get(User, locked_id).must_change_password = True
        users.deactivate_user(db.session.get(User, inactive_id), actor=admin, reason="Nghỉ hưu")
        db.session.commit()
    ids["user_id"] = locked_id
    return ids, [admin_id, deputy_id, locked_id, auditor_id, inactive_id]


def test_no_english_leaks_into_the_pages_an_administrator_sees_in_vietnamese(app, client, auth, make_user):
    from flask import url_for

    ids, people = _seed_pages_data(app, make_user)
    assert auth.login("quantri").status_code == 302

    urls: dict[str, str] = {}
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static" or "GET" not in (rule.methods or ()):
                continue
            if not set(rule.arguments) <= ids.keys():
                continue  # a page of a part whose objects this test does not create
            urls[rule.endpoint] = url_for(rule.endpoint, **{a: ids[a] for a in rule.arguments})
        for user_id in people:
            urls[f"users.detail #{user_id}"] = url_for("users.detail", user_id=user_id)
        urls["users.index page 2"] = url_for("users.index", page=2)
        urls["users.index filtered"] = url_for("users.index", q="không có ai")
        urls["audit.index page 2"] = url_for("audit.index", page=2)
        urls["audit.index bad date"] = url_for("audit.index", date_from="32/13/2026")
    urls["404"] = "/khong-co-trang-nay"

    detector = _EnglishDetector(load_po("vi"))
    checked, leaks = [], []
    for name, url in sorted(urls.items()):
        try:
            response = client.get(url)
        except Exception:  # noqa: BLE001
            # A page of a part still being built may fail here; that is for its own tests to say.
            # The pages this test must check are listed below, so they cannot be skipped this way.
            continue
        if response.status_code not in (200, 404) or response.mimetype != "text/html":
            continue
        if url.startswith("/api/"):
            continue  # the ingest API's reference is for the one-stop system's developers, in English like its OpenAPI
        checked.append(name)
        for leak in sorted(detector.leaks(_visible_chunks(response.get_data(as_text=True)))):
            leaks.append(f"  {url}: {leak}")

    # A read-only account meets the 403 page.
    auth.logout()
    assert auth.login("doan.kt").status_code == 302
    response = client.get("/users/")
    assert response.status_code == 403
    checked.append("403")
    leaks += [f"  403: {leak}" for leak in sorted(detector.leaks(_visible_chunks(response.get_data(as_text=True))))]

    for must in ("home.index", "users.index", "users.detail", "users.edit", "users.new", "users.delegations",
                 "users.new_delegation", "org.directory", "org.agency", "org.units", "org.edit_unit",
                 "org.positions", "org.edit_position", "audit.index", "auth.change_password", "404"):
        assert must in checked, f"{must} was not rendered; checked: {checked}"
    assert not leaks, "English text on Vietnamese pages:\n" + "\n".join(leaks)
