"""Quality records (ISO 9001:2008 clause 4.2.4): keep the categories, file records, find them, dispose of them.

Services flush but never commit, and re-check the actor's rights. A record is never deleted:
disposal (biên bản hủy) marks it with who, when and the minutes, and the audit log keeps the trail.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select

from qms.audit import log as audit
from qms.errors import Conflict, Forbidden
from qms.extensions import db
from qms.files.storage import OFFICE_KINDS, store_upload
from qms.records.models import QualityRecord, RecordCategory
from qms.records.permissions import can_file_records, can_manage_records, retention_ended
from qms.text import fold
from qms.timeutil import format_date, to_local, utcnow

#: Record files: office documents and scans.
RECORD_FILE_KINDS = OFFICE_KINDS


# Categories (Danh mục hồ sơ) -------------------------------------------------------------------------------


def save_category(category: RecordCategory | None, values: dict, *, actor) -> RecordCategory:
    """Create a record category (``category=None``) or update one. Codes are unique, whatever their case;
    ``retention_months`` is a positive number of months, or ``None`` for records kept permanently."""
    if not can_manage_records(actor):
        raise Forbidden(_("Only the ISO secretary keeps the list of quality record categories."))
    code = values["code"].strip()
    clash = db.session.scalar(select(RecordCategory).where(func.lower(RecordCategory.code) == code.lower()))
    if clash is not None and (category is None or clash.id != category.id):
        raise Conflict(_("The category code %(code)s is already used.", code=code), field="code")
    months = values.get("retention_months")
    if months is not None and months <= 0:
        raise Conflict(_("The retention is a positive number of months."), field="retention_months")
    is_new = category is None
    category = category or RecordCategory()
    for key, value in values.items():
        setattr(category, key, value.strip() if isinstance(value, str) else value)
    db.session.add(category)
    if is_new:
        audit.tag(db.session, category, "record_category.created")
    else:
        audit.tag(db.session, category, "record_category.updated")
    db.session.flush()
    return category


def retention_text(months: int | None) -> str:
    """"5 years", "18 months" or "Permanent", as the Danh mục hồ sơ shows it."""
    if months is None:
        return _("Permanent")
    if months % 12 == 0:
        return _("%(n)d years", n=months // 12)
    return _("%(n)d months", n=months)


# Filing ---------------------------------------------------------------------------------------------------


def compute_retain_until(record_date: date, retention_months: int | None) -> date | None:
    """The last day a record must be kept: its date plus the category's retention (None: permanent).
    Months are calendar months, the day clamped to the month's end (31/08 + 6 months = 28/02 or 29/02)."""
    if retention_months is None:
        return None
    index = record_date.month - 1 + retention_months
    year, month = record_date.year + index // 12, index % 12 + 1
    return date(year, month, min(record_date.day, calendar.monthrange(year, month)[1]))


def file_record(values: dict, upload=None, *, actor, now: datetime | None = None) -> QualityRecord:
    """File a quality record under an active category, with its file when there is one (a paper record kept
    at the category's location has none). ``values``: category, title, reference, record_date, unit_id,
    notes. The upload is checked by content and stored once (``qms.files.storage``)."""
    if not can_file_records(actor):
        raise Forbidden(_("You may not file quality records."))
    now = now or utcnow()
    category: RecordCategory = values["category"]
    if not category.is_active:
        raise Conflict(_("The category %(code)s is no longer in use.", code=category.code), field="category_id")
    record_date: date = values["record_date"]
    if record_date > to_local(now).date():
        raise Conflict(_("The date of a quality record cannot be in the future."), field="record_date")
    record = QualityRecord(
        category=category, title=values["title"].strip(), reference=(values.get("reference") or "").strip(),
        record_date=record_date, unit_id=values.get("unit_id"), notes=(values.get("notes") or "").strip(),
        retain_until=compute_retain_until(record_date, category.retention_months),
        created_by_id=actor.id, created_at=now,
    )
    if upload is not None and getattr(upload, "filename", ""):
        record.file, record.filename = store_upload(upload, actor=actor, allowed_kinds=RECORD_FILE_KINDS)
    db.session.add(record)
    audit.tag(db.session, record, "record.filed",
              f"{category.code}: {record.title}" + (f" ({record.filename})" if record.filename else ""))
    db.session.flush()
    return record


# Disposal -------------------------------------------------------------------------------------------------


def dispose_record(record: QualityRecord, *, actor, note: str, now: datetime | None = None) -> QualityRecord:
    """Record the disposal of a quality record whose retention has ended: who, when, and the minutes
    (biên bản hủy). The row and its file stay; the record leaves the default lists."""
    return dispose_records([record], actor=actor, note=note, now=now)[0]


def dispose_records(records: list[QualityRecord], *, actor, note: str,
                    now: datetime | None = None) -> list[QualityRecord]:
    """Dispose of several records under one set of minutes; all or none."""
    if not can_manage_records(actor) or getattr(actor, "id", None) is None:
        raise Forbidden(_("Only the ISO secretary disposes of quality records."))
    note = (note or "").strip()
    if not note:
        raise Conflict(_("Give the disposal minutes (number, date, how the records were disposed of)."),
                       field="note")
    if not records:
        raise Conflict(_("Choose at least one quality record."), field="record_ids")
    now = now or utcnow()
    today = to_local(now).date()
    for record in records:
        if record.disposed_at is not None:
            raise Conflict(_("%(title)s was already disposed of on %(date)s.", title=record.title,
                             date=format_date(record.disposed_at)))
        if record.retain_until is None:
            raise Conflict(_("%(title)s is kept permanently and cannot be disposed of.", title=record.title))
        if not retention_ended(record, today):
            raise Conflict(_("%(title)s must be kept until %(date)s.", title=record.title,
                             date=format_date(record.retain_until)))
    for record in records:
        record.disposed_at, record.disposed_by_id, record.disposal_note = now, actor.id, note
        audit.tag(db.session, record, "record.disposed", f"{record.category.code}: {record.title} — {note}"[:500])
    db.session.flush()
    return records


def retention_ended_query(today: date) -> Select:
    """Records whose retention ended before *today* and that are not disposed of yet, oldest first."""
    return (select(QualityRecord)
            .where(QualityRecord.disposed_at.is_(None), QualityRecord.retain_until < today)
            .order_by(QualityRecord.retain_until, QualityRecord.id))


# Finding records ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFilters:
    """The filters of the records list and its export (all optional)."""

    category_id: int | None = None
    unit_id: int | None = None
    year: int | None = None
    q: str = ""
    status: str = "current"  # current (not disposed) | disposed | all

    STATUSES = ("current", "disposed", "all")

    @classmethod
    def from_args(cls, args) -> RecordFilters:
        def number(key):
            value = (args.get(key) or "").strip()
            return int(value) if value.isdigit() else None

        status = args.get("status") or "current"
        year = number("year")
        return cls(category_id=number("category"), unit_id=number("unit"),
                   year=year if year and 1900 <= year <= 9999 else None,
                   q=(args.get("q") or "").strip()[:200], status=status if status in cls.STATUSES else "current")


def _filtered(query: Select, filters: RecordFilters) -> Select:
    if filters.category_id:
        query = query.where(QualityRecord.category_id == filters.category_id)
    if filters.unit_id:
        query = query.where(QualityRecord.unit_id == filters.unit_id)
    if filters.year:
        query = query.where(QualityRecord.record_date >= date(filters.year, 1, 1),
                            QualityRecord.record_date < date(filters.year + 1, 1, 1))
    if filters.status == "current":
        query = query.where(QualityRecord.disposed_at.is_(None))
    elif filters.status == "disposed":
        query = query.where(QualityRecord.disposed_at.is_not(None))
    return query.order_by(QualityRecord.record_date.desc(), QualityRecord.id.desc())


def matching_record_ids(filters: RecordFilters) -> list[int]:
    """The ids of the records matching *filters*, in list order. The text search ignores case and
    diacritics ("bien ban" finds "Biên bản"): every word must appear in the title, reference, notes,
    file name or category. It is done in Python because the records table has no folded column."""
    columns = select(QualityRecord.id, QualityRecord.title, QualityRecord.reference, QualityRecord.notes,
                     QualityRecord.filename, RecordCategory.code, RecordCategory.name).join(QualityRecord.category)
    words = fold(filters.q).split()
    ids = []
    for row in db.session.execute(_filtered(columns, filters)):
        haystack = fold(" ".join(part or "" for part in row[1:]))
        if all(word in haystack for word in words):
            ids.append(row.id)
    return ids


class _IdListPagination(Pagination):
    """A page over an ordered list of ids: only the ids of the page go to the database."""

    def _query_items(self) -> list:
        start = (self.page - 1) * self.per_page
        chunk = self._query_args["ids"][start:start + self.per_page]
        if not chunk:
            return []
        rows = db.session.scalars(select(QualityRecord).where(QualityRecord.id.in_(chunk))).unique()
        by_id = {row.id: row for row in rows}
        return [by_id[i] for i in chunk if i in by_id]

    def _query_count(self) -> int:
        return len(self._query_args["ids"])


def search_records(filters: RecordFilters, *, page: int | None = None, per_page: int = 25) -> Pagination:
    """One page of the records list."""
    if not filters.q:
        return db.paginate(_filtered(select(QualityRecord), filters), page=page, per_page=per_page,
                           error_out=False)
    return _IdListPagination(page=page, per_page=per_page, error_out=False, ids=matching_record_ids(filters))


def records_for_export(filters: RecordFilters, limit: int = 100_000) -> list[QualityRecord]:
    """Every record matching *filters* (up to *limit*), in list order."""
    if not filters.q:
        return list(db.session.scalars(_filtered(select(QualityRecord), filters).limit(limit)).unique())
    ids = matching_record_ids(filters)[:limit]
    found: dict[int, QualityRecord] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update((r.id, r) for r in db.session.scalars(select(QualityRecord)
                                                           .where(QualityRecord.id.in_(chunk))).unique())
    return [found[i] for i in ids if i in found]
