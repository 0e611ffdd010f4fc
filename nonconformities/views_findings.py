"""An internal audit finding becomes a nonconformity in one click (ISO 9001:2008 clauses 8.2.2, 8.3, 8.5.2).

The POST route on the nonconformities blueprint, and the hooks through which the audits module, which
may not import this package, shows each finding's nonconformity (or the button) and counts the open
nonconformities of an audit before it closes.
"""

from __future__ import annotations

from flask import Flask, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

import audits
from audits.checklist_models import Finding
from nonconformities import permissions as can
from nonconformities import services_findings
from nonconformities.views import bp
from qms.errors import DomainError, Forbidden
from qms.extensions import db
from qms.permissions import Permission, require_permission


@bp.post("/from-finding/<int:finding_id>")
@require_permission(Permission.NONCONFORMITIES_RAISE)
def from_finding(finding_id: int):
    finding = db.get_or_404(Finding, finding_id)
    back = url_for("audit_checklists.findings_page", audit_id=finding.audit_id) + f"#f{finding.id}"
    try:
        nc, raised = services_findings.raise_from_finding(finding, actor=current_user)
    except Forbidden:
        db.session.rollback()
        abort(403)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(back)
    db.session.commit()
    if raised:
        flash(_("%(code)s raised from the finding %(ref)s.", code=nc.code, ref=finding.reference), "success")
    else:
        flash(_("The finding %(ref)s already became %(code)s.", ref=finding.reference, code=nc.code), "info")
    return redirect(url_for("nonconformities.detail", nc_id=nc.id))


def _codes_of(finding_ids: list[int]) -> dict[int, str]:
    return {key: nc.code for key, nc in services_findings.nonconformities_of(finding_ids).items()}


def _links_for_page(findings: list, user, audit) -> dict[int, audits.FindingLink]:
    """Each finding's nonconformity with its page, or the button for those who may raise it."""
    raised = services_findings.nonconformities_of([f.id for f in findings])
    may_raise = can.can_raise_from_finding(user, audit)
    links = {}
    for finding in findings:
        nc = raised.get(finding.id)
        if nc is not None:
            links[finding.id] = audits.FindingLink(code=nc.code, status=nc.status.label,
                                                   url=url_for("nonconformities.detail", nc_id=nc.id))
        elif may_raise and can.finding_becomes_nonconformity(finding):
            links[finding.id] = audits.FindingLink(raise_url=url_for("nonconformities.from_finding",
                                                                     finding_id=finding.id))
    return links


def init_app(app: Flask) -> None:
    audits.count_open_nonconformities_with(app, services_findings.open_count_of_audit)
    audits.link_findings_with(app, audits.FindingLinks(raised_from=_codes_of, for_page=_links_for_page))
