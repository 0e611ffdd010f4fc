"""The columns of a one-stop system's export mapped to our fields: the two layouts, suggestions, saved mappings.

``events``: one row per step event (mã hồ sơ, mã TTHC, mã/tên bước, thời điểm, người xử lý, optionally
the kind of event start/complete and an event id). ``dossiers``: one row per dossier (mã hồ sơ, mã
TTHC, chủ hồ sơ, kênh, ngày nhận, ngày có kết quả, ngày trả) with one column per step holding the
time it was completed. The first import of an export maps its headers (suggested by similarity
without diacritics); the mapping is saved under a name and found again for the next file whose
headers contain all of its columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.extensions import db
from qms.text import fold

LAYOUTS = ("events", "dossiers")
STEP_HEADER = re.compile(r"(?:^|[^a-z0-9])b\s*(\d{1,2})(?:$|[^0-9])")


@dataclass(frozen=True)
class Field:
    key: str
    label: object  # lazy-translated
    layouts: tuple[str, ...]
    required: tuple[str, ...]  # the layouts that need it
    synonyms: tuple[str, ...]  # folded
    is_date: bool = False


FIELDS = (
    Field("code", _l("Dossier code"), LAYOUTS, LAYOUTS,
          ("ma ho so", "so ho so", "ma hs", "so hs", "ma so ho so", "dossier code", "case id", "code")),
    Field("procedure_code", _l("Procedure code"), LAYOUTS, LAYOUTS,
          ("ma tthc", "ma thu tuc", "ma thu tuc hanh chinh", "ma tt", "procedure code", "procedure")),
    Field("activity", _l("Step (code or name)"), ("events",), ("events",),
          ("ma buoc", "ten buoc", "buoc", "buoc xu ly", "cong viec", "step", "activity", "concept:name")),
    Field("time", _l("Time of the event"), ("events",), ("events",),
          ("thoi diem", "thoi gian", "ngay gio", "thoi gian xu ly", "ngay xu ly", "time", "timestamp",
           "time:timestamp"), is_date=True),
    Field("lifecycle", _l("Kind of event (start / complete)"), ("events",), (),
          ("loai su kien", "su kien", "trang thai buoc", "lifecycle", "event type", "lifecycle:transition")),
    Field("handler", _l("Handler"), ("events",), (),
          ("nguoi xu ly", "can bo xu ly", "can bo", "nguoi thuc hien", "handler", "org:resource", "resource")),
    Field("event_id", _l("Event id"), ("events",), (), ("ma su kien", "id su kien", "event id", "id")),
    Field("applicant", _l("Applicant"), LAYOUTS, (),
          ("chu ho so", "nguoi nop", "ten to chuc ca nhan", "to chuc ca nhan", "ten ca nhan", "applicant")),
    Field("channel", _l("Channel"), LAYOUTS, (), ("kenh tiep nhan", "kenh", "hinh thuc nop", "channel")),
    Field("received_at", _l("Received at"), LAYOUTS, ("dossiers",),
          ("ngay tiep nhan", "ngay nhan", "thoi diem tiep nhan", "ngay nhan ho so", "received at", "received"),
          is_date=True),
    Field("result_ready_at", _l("Result ready at"), LAYOUTS, (),
          ("ngay co ket qua", "ngay hoan thanh", "ngay xu ly xong", "result ready at", "result ready"), is_date=True),
    Field("returned_at", _l("Returned at"), LAYOUTS, (),
          ("ngay tra ket qua", "ngay tra", "ngay tra kq", "returned at", "returned"), is_date=True),
    Field("outcome", _l("Outcome"), LAYOUTS, (), ("ket qua giai quyet", "ket qua xu ly", "outcome")),
)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}


@dataclass
class Proposal:
    """A mapping of our fields to a file's headers: field key → header, step code → header."""

    layout: str
    fields: dict[str, str] = field(default_factory=dict)
    steps: dict[str, str] = field(default_factory=dict)

    def columns(self) -> list[str]:
        return list(self.fields.values()) + list(self.steps.values())

    def missing(self) -> list[Field]:
        """The required fields not mapped (and, for the dossiers layout, no step column)."""
        return [f for f in FIELDS if self.layout in f.required and not self.fields.get(f.key)]

    def as_json(self) -> dict:
        return {"fields": dict(self.fields), "steps": dict(self.steps)}


def fields_of(layout: str) -> list[Field]:
    return [f for f in FIELDS if layout in f.layouts]


def step_code_of(header: str) -> str | None:
    """``"Hoàn thành B3"``, ``"Bước 3 (B3)"`` → ``"B3"``."""
    match = STEP_HEADER.search(fold(header))
    return f"B{int(match.group(1))}" if match else None


def _score(header: str, synonyms: tuple[str, ...]) -> int:
    folded = fold(header)
    if not folded:
        return 0
    if folded in synonyms:
        return 4
    words = set(re.findall(r"[a-z0-9:]+", folded))
    best = 0
    for synonym in synonyms:
        if len(synonym) > 3 and (folded.startswith(synonym) or synonym in folded):
            best = max(best, 3 if folded.startswith(synonym) else 2)
        wanted = set(synonym.split())
        if len(wanted) > 1 and len(wanted & words) / len(wanted | words) >= 0.5:
            best = max(best, 1)
    return best


def suggest(headers: list[str], layout: str | None = None) -> Proposal:
    """The best guess for *headers*: the layout (step columns → dossiers) and each field's column."""
    steps = {}
    for header in headers:
        code = step_code_of(header)
        if code and code not in steps and not fold(header).startswith(("ma buoc", "ten buoc")):
            steps[code] = header
    if layout is None:
        layout = "dossiers" if len(steps) >= 2 else "events"
    proposal = Proposal(layout, steps=dict(sorted(steps.items(), key=lambda kv: int(kv[0][1:])))
                        if layout == "dossiers" else {})
    taken = set(proposal.steps.values())
    candidates = sorted(((_score(header, f.synonyms), -position, f.key, header)
                         for f in fields_of(layout) for position, header in enumerate(headers)), reverse=True)
    for score, _position, key, header in candidates:
        if score < 2 or key in proposal.fields or header in taken:
            continue
        proposal.fields[key] = header
        taken.add(header)
    return proposal


def proposal_of(mapping) -> Proposal:
    data = mapping.data
    return Proposal(mapping.layout, dict(data.get("fields", {})), dict(data.get("steps", {})))


def matching_mapping(headers: list[str]):
    """The saved mapping all of whose columns are among *headers* (the one using most of them, then the newest)."""
    from processes.dossiers.import_models import ColumnMapping

    present = set(headers)
    best = None
    for mapping in db.session.scalars(select(ColumnMapping).order_by(ColumnMapping.id.desc())):
        columns = proposal_of(mapping).columns()
        if columns and set(columns) <= present and (best is None or len(columns) > best[0]):
            best = (len(columns), mapping)
    return best[1] if best else None


# Values ---------------------------------------------------------------------------------------------------

_CHANNEL_WORDS = (("online", ("truc tuyen", "online", "dich vu cong", "dvc", "qua mang", "dien tu")),
                  ("post", ("buu chinh", "buu dien", "post", "qua buu")),
                  ("in_person", ("truc tiep", "in person", "in_person", "tai quay", "mot cua")))
_LIFECYCLE_WORDS = (("start", ("start", "bat dau", "nhan xu ly", "tiep nhan xu ly", "bat dau xu ly", "nhan")),
                    ("complete", ("complete", "hoan thanh", "ket thuc", "xong", "chuyen", "chuyen buoc", "xu ly xong")))
_OUTCOME_WORDS = (("refused", ("tu choi", "khong giai quyet", "refused")),
                  ("withdrawn", ("rut ho so", "rut", "withdrawn")),
                  ("stopped", ("dung xu ly", "dung giai quyet", "dung", "stopped")),
                  ("issued", ("co ket qua", "da giai quyet", "cap", "dong y", "issued", "giai quyet")))


def _normaliser(table, default: str):
    cache: dict[str, str | None] = {}

    def normalise(value) -> str | None:
        """Our value for the file's text; *default* for an empty cell; None when not recognised."""
        text = "" if value is None else str(value)
        if text in cache:
            return cache[text]
        folded = fold(text)
        result = default if not folded else None
        for ours, words in table:
            if result is None and (folded == ours or any(word in folded for word in words)):
                result = ours
        cache[text] = result
        return result
    return normalise


def channel_normaliser():
    return _normaliser(_CHANNEL_WORDS, "in_person")


def lifecycle_normaliser():
    return _normaliser(_LIFECYCLE_WORDS, "complete")


def outcome_normaliser():
    return _normaliser(_OUTCOME_WORDS, "")
