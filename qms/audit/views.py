"""The audit-log viewer: filters, pagination, .xlsx export and a chain check on demand."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Blueprint, Flask, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.audit import labels
from qms.audit import log as audit
from qms.audit.exports import audit_log_xlsx
from qms.audit.models import AuditEntry
from qms.exports import XLSX_MIMETYPE
from qms.extensions import db
from qms.permissions import Permission, require_permission
from qms.timeutil import local_midnight_utc, local_today, parse_local_date
from qms.ui import NavItem, add_nav
from qms.users.models import User

bp = Blueprint("audit", __name__, url_prefix="/audit-log")
EXPORT_LIMIT = 100_000


def filtered_query(args):
    """The entries matching the viewer's filters (user, object type and id, action, date range)."""
    query = select(AuditEntry)
    errors = []
    if args.get("user", "").isdigit():
        query = query.where(AuditEntry.actor_id == int(args["user"]))
    if args.get("object_type"):
        query = query.where(AuditEntry.object_type == args["object_type"])
    if args.get("object_id"):
        query = query.where(AuditEntry.object_id == args["object_id"].strip())
    if args.get("action"):
        query = query.where(AuditEntry.action.like(args["action"].strip().replace("%", "") + "%"))
    for key, op in (("date_from", "ge"), ("date_to", "lt")):
        if args.get(key):
            try:
                day = parse_local_date(args[key])
            except ValueError:
                errors.append(_("%(value)s is not a date (dd/mm/yyyy).", value=args[key]))
                continue
            if op == "ge":
                query = query.where(AuditEntry.occurred_at >= local_midnight_utc(day))
            else:
                query = query.where(AuditEntry.occurred_at < local_midnight_utc(day + timedelta(days=1)))
    return query.order_by(AuditEntry.seq.desc()), errors


@bp.get("/")
@require_permission(Permission.AUDIT_LOG_VIEW)
def index():
    query, errors = filtered_query(request.args)
    for error in errors:
        flash(error, "danger")
    page = db.paginate(query, per_page=50, error_out=False)
    users = db.session.scalars(select(User).order_by(User.full_name)).all()
    object_types = db.session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type))
    return render_template("audit/index.html", page=page, users=users, object_types=[t for t in object_types if t],
                           changes_of=lambda e: json.loads(e.changes or "{}"), today=local_today(),
                           object_label=labels.object_label, action_label=labels.action_label)


@bp.get("/export.xlsx")
@require_permission(Permission.AUDIT_LOG_VIEW)
def export():
    query, _errors = filtered_query(request.args)
    entries = db.session.scalars(query.limit(EXPORT_LIMIT)).all()
    audit.record(db.session, "audit_log.exported", object_type="audit_entries",
                 summary=str(len(entries)), after={"count": len(entries), "filters": dict(request.args)})
    db.session.commit()
    filename = f"nhat-ky-he-thong-{local_today():%Y%m%d}.xlsx"
    return Response(audit_log_xlsx(entries), mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/verify")
@require_permission(Permission.AUDIT_LOG_VIEW)
def verify():
    result = audit.verify_chain(db.session)
    if result.ok:
        flash(_("The audit log is intact: %(n)d entries checked; last hash %(hash)s.",
                n=result.checked, hash=result.head_hash[:16]), "success")
    else:
        flash(_("The audit log has been tampered with: %(message)s", message=result.message), "danger")
    return redirect(url_for("audit.index"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, NavItem(_l("Administration"), _l("Audit log"), "audit.index", Permission.AUDIT_LOG_VIEW, 920))
