"""Home-page panel: internal documents that must follow a legal change (QĐ 19/2014/QĐ-TTg Art. 4.4a)."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from qms.external_docs import services
from qms.permissions import Permission, Role, has_permission
from qms.timeutil import format_date, to_local
from qms.ui import HomePanel, add_home_panel

PANEL_SIZE = 8


def document_url(document_id: int) -> str:
    """The page of an internal document; a plain path while the documents pages are not registered."""
    try:
        return url_for("documents.detail", document_id=document_id)
    except BuildError:
        return f"{request.script_root}/documents/{document_id}"


def _concerns(user) -> bool:
    return (has_permission(user, Permission.DOCUMENTS_MANAGE) or has_permission(user, Permission.EXTERNAL_DOCS_MANAGE)
            or user.has_role(Role.DIRECTOR))


def update_flags_panel(user, now):
    """For the ISO secretary and the director: open "cần cập nhật" flags, overdue ones first."""
    if not _concerns(user):
        return None
    today = to_local(now).date()
    flags = services.open_flags(today)
    items = []
    for open_flag in flags[:PANEL_SIZE]:
        flag = open_flag.flag
        values = {"code": flag.document.code, "number": flag.relation.source.number, "date": format_date(flag.due_on)}
        if open_flag.is_overdue:
            text = _("%(code)s must follow %(number)s: overdue since %(date)s", **values)
        else:
            text = _("%(code)s must follow %(number)s by %(date)s", **values)
        items.append((text, document_url(flag.document_id), None if open_flag.tone == "default" else open_flag.tone))
    if len(flags) > PANEL_SIZE:
        items.append((_("All %(count)d documents to update", count=len(flags)), url_for("external_docs.flags"), None))
    tone = "default"
    if any(f.is_overdue for f in flags):
        tone = "danger"
    elif flags:
        tone = "warning"
    return HomePanel(_("Documents to update after legal changes"), items,
                     _("No internal document waits for a legal change."), tone)


def init_app(app: Flask) -> None:
    add_home_panel(app, update_flags_panel)
