"""Scheduled job of the external-documents register: remind of "cần cập nhật" flags (three-month rule)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from qms.extensions import db
from qms.external_docs.services import open_flags
from qms.notifications.services import notify
from qms.permissions import Permission, Role, has_permission
from qms.timeutil import to_local
from qms.users.models import User


def remind_update_flags(now: datetime, *, horizon_days: int = 30) -> str:
    """Tell the ISO secretaries and the director of documents to update within the horizon or overdue."""
    today = to_local(now).date()
    flags = [f for f in open_flags(today) if f.flag.due_on <= today + timedelta(days=horizon_days)]
    if not flags:
        return "no update flag due"
    people = [u for u in db.session.scalars(select(User).where(User.is_active.is_(True)))
              if has_permission(u, Permission.DOCUMENTS_MANAGE) or u.has_role(Role.DIRECTOR)]
    for person in people:
        for item in flags:
            flag = item.flag
            late = flag.due_on < today
            notify(person, kind="external.update_due",
                   title=("Quá hạn cập nhật tài liệu: " if late else "Sắp đến hạn cập nhật tài liệu: ")
                   + f"{flag.document.code} theo {flag.relation.source.number}",
                   body=f"Hạn cập nhật (3 tháng kể từ ngày văn bản mới có hiệu lực): {flag.due_on:%d/%m/%Y}.",
                   url=f"/documents/{flag.document_id}",
                   dedupe_key=f"update-flag:{flag.id}:{'late' if late else 'soon'}", now=now)
    overdue = sum(1 for item in flags if item.flag.due_on < today)
    return f"{len(flags)} flag(s) due ({overdue} overdue), {len(people)} person(s) told"
