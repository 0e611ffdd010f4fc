"""Who may do what with quality records (ISO 9001:2008 clause 4.2.4). Pure predicates: no app needed.

The role → permission table stays in ``qms.permissions``; these add the object-level rules.
"""

from __future__ import annotations

from datetime import date

from qms.permissions import Permission, has_permission


def retention_ended(record, today: date) -> bool:
    """A record's retention has ended when it has a retention date and that date is past."""
    return record.retain_until is not None and record.retain_until < today


def can_file_records(user) -> bool:
    return has_permission(user, Permission.RECORDS_FILE)


def can_manage_records(user) -> bool:
    """Keep the categories (Danh mục hồ sơ) and dispose of records: the ISO secretary."""
    return has_permission(user, Permission.RECORDS_MANAGE)


def can_view_record(user, record) -> bool:
    return has_permission(user, Permission.RECORDS_VIEW)


def can_download(user, record) -> bool:
    """Everyone who reads records downloads their files; once disposed, only those who keep the records."""
    if not can_view_record(user, record):
        return False
    return record.disposed_at is None or can_manage_records(user)


def can_dispose(user, record, today: date) -> bool:
    """Disposal happens once, after the retention has ended, by those who keep the records."""
    return can_manage_records(user) and record.disposed_at is None and retention_ended(record, today)
