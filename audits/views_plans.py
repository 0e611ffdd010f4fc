"""Audit plan pages (Kế hoạch đánh giá, ISO 9001:2008 clause 8.2.2): create and edit the scope, the team (with
independence enforced by the services), auditees and sessions; move the audit; download the plan as .docx."""

from __future__ import annotations

from datetime import datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from audits import clauses, exports, permissions, plan_services
from audits.forms import AuditeesForm, AuditForm, SessionForm, TeamForm
from audits.models import Audit, Auditor, AuditProgramme, AuditSession, AuditStatus, AuditTransition
from audits.services import audits_done, lead_minimum
from audits.views import bp
from audits.workflow import Action, available_actions
from processes.models import AdministrativeProcedure, ProcedureStatus
from qms.documents.models import Document, DocumentKind, DocumentStatus, DocumentType
from qms.docx import DOCX_MIMETYPE
from qms.errors import DomainError
from qms.extensions import db
from qms.org.models import Unit
from qms.permissions import Permission, require_permission
from qms.timeutil import agency_zone, to_local
from qms.users.models import User
from qms.web import perform


def _scope_choices(form: AuditForm) -> AuditForm:
    form.unit_ids.choices = [(u.id, u.name) for u in db.session.scalars(
        select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.sort_order, Unit.name))]
    form.procedure_ids.choices = [(p.id, f"{p.code} {p.name}") for p in db.session.scalars(
        select(AdministrativeProcedure).where(AdministrativeProcedure.status == ProcedureStatus.IN_FORCE)
        .order_by(AdministrativeProcedure.code))]
    form.document_ids.choices = [(d.id, f"{d.code} {d.title}") for d in db.session.scalars(
        select(Document).join(DocumentType).where(DocumentType.kind == DocumentKind.PROCEDURE,
                                                  Document.status == DocumentStatus.EFFECTIVE)
        .order_by(Document.code))]
    locale = str(get_locale() or "vi")
    form.clause_codes.choices = [(c.code, f"{c.code} {clauses.title(c, locale)}") for c in clauses.CLAUSES]
    return form


def _scope_values(form: AuditForm) -> dict:
    return {"unit_ids": form.unit_ids.data or [], "procedure_ids": form.procedure_ids.data or [],
            "document_ids": form.document_ids.data or [], "clause_codes": form.clause_codes.data or []}


@bp.route("/new", methods=["GET", "POST"])
@require_permission(Permission.AUDITS_MANAGE)
def new_audit():
    programme = db.session.get(AuditProgramme, request.args.get("programme_id", 0, type=int))
    form = _scope_choices(AuditForm())
    if form.validate_on_submit():
        try:
            created = plan_services.create_audit({**form.data, **_scope_values(form)}, actor=current_user,
                                                 programme=programme)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("Audit %(code)s planned.", code=created.code), "success")
            return redirect(url_for("audits.detail", audit_id=created.id))
    return render_template("audits/audit_form.html", form=form, audit=None, programme=programme), \
        422 if form.errors else 200


@bp.route("/<int:audit_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.AUDITS_VIEW)
def edit_audit(audit_id: int):
    audit = db.get_or_404(Audit, audit_id)
    if not permissions.can_edit_plan(current_user, audit):
        abort(403)
    form = _scope_choices(AuditForm(obj=audit))
    if not form.is_submitted():
        form.unit_ids.data = audit.unit_ids
        form.procedure_ids.data = [p.procedure_id for p in audit.process_rows if p.procedure_id]
        form.document_ids.data = [p.document_id for p in audit.process_rows if p.document_id]
        form.clause_codes.data = audit.clause_codes
    if form.validate_on_submit():
        try:
            plan_services.update_audit(audit, form.data, actor=current_user)
            plan_services.set_scope(audit, **_scope_values(form), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("The plan of %(code)s was saved.", code=audit.code), "success")
            return redirect(url_for("audits.detail", audit_id=audit.id))
    return render_template("audits/audit_form.html", form=form, audit=audit, programme=audit.programme), \
        422 if form.errors else 200


@bp.get("/<int:audit_id>")
@require_permission(Permission.AUDITS_VIEW)
def detail(audit_id: int):
    """The audit plan: scope, criteria, team, auditees, schedule, state and history."""
    audit = db.get_or_404(Audit, audit_id)
    active = db.session.scalars(select(Auditor).join(User, Auditor.user_id == User.id)
                                .where(Auditor.is_active.is_(True)).order_by(User.full_name)).all()
    team_form = TeamForm(lead_id=audit.lead_auditor_id, member_ids=[m.auditor_id for m in audit.team])
    done = audits_done()
    team_form.lead_id.choices = [(a.id, _("%(name)s (%(done)d audits)", name=a.user.full_name,
                                          done=done.get(a.id, 0))) for a in active]
    team_form.member_ids.choices = [(a.id, a.user.full_name) for a in active]
    auditees_form = AuditeesForm(user_ids=[a.user_id for a in audit.auditees])
    auditees_form.user_ids.choices = [(u.id, f"{u.full_name} ({u.unit.name if u.unit else '—'})") for u in
                                      db.session.scalars(select(User).where(User.is_active.is_(True))
                                                         .order_by(User.full_name))]
    session_form = SessionForm(day=audit.planned_start)
    session_form.unit_id.choices = [(0, "—")] + [(row.unit_id, row.unit.name) for row in audit.unit_rows]
    history = db.session.scalars(select(AuditTransition).where(AuditTransition.audit_id == audit.id)
                                 .order_by(AuditTransition.id)).all()
    return render_template("audits/detail.html", audit=audit, team_form=team_form, auditees_form=auditees_form,
                           session_form=session_form, history=history, actions=available_actions(audit.status),
                           criteria_documents=plan_services.criteria_documents(audit), minimum=lead_minimum(),
                           can_edit=permissions.can_edit_plan(current_user, audit),
                           can_move=permissions.can_move_audit(current_user, audit),
                           locale=str(get_locale() or "vi"), clause_title=clauses.title, clause=clauses.clause,
                           local=to_local, state_label=lambda value: AuditStatus(value).label if value else "")


def _editable(audit_id: int) -> Audit:
    audit = db.get_or_404(Audit, audit_id)
    if not permissions.can_edit_plan(current_user, audit):
        abort(403)
    return audit


@bp.post("/<int:audit_id>/team")
@require_permission(Permission.AUDITS_VIEW)
def set_team(audit_id: int):
    audit = _editable(audit_id)
    lead = db.session.get(Auditor, request.form.get("lead_id", 0, type=int))
    members = [db.session.get(Auditor, i) for i in request.form.getlist("member_ids", type=int)]
    if lead is None:
        flash(_("Choose the lead auditor."), "danger")
        return redirect(url_for("audits.detail", audit_id=audit.id))
    return perform(lambda: plan_services.set_team(audit, lead=lead, members=[m for m in members if m],
                                                  actor=current_user),
                   done=_("The audit team was saved."), back=url_for("audits.detail", audit_id=audit.id))


@bp.post("/<int:audit_id>/auditees")
@require_permission(Permission.AUDITS_VIEW)
def set_auditees(audit_id: int):
    audit = _editable(audit_id)
    users = [u for u in (db.session.get(User, i) for i in request.form.getlist("user_ids", type=int)) if u]
    return perform(lambda: plan_services.set_auditees(audit, users, actor=current_user),
                   done=_("The auditees were saved."), back=url_for("audits.detail", audit_id=audit.id))


@bp.post("/<int:audit_id>/sessions")
@require_permission(Permission.AUDITS_VIEW)
def add_session(audit_id: int):
    audit = _editable(audit_id)
    form = SessionForm()
    form.unit_id.choices = [(0, "—")] + [(row.unit_id, row.unit.name) for row in audit.unit_rows]
    back = url_for("audits.detail", audit_id=audit.id)
    if not form.validate_on_submit():
        flash(_("Give the session's date, start and end times."), "danger")
        return redirect(back)
    zone = agency_zone()
    starts = datetime.combine(form.day.data, form.starts.data, tzinfo=zone)
    ends = datetime.combine(form.day.data, form.ends.data, tzinfo=zone)
    return perform(lambda: plan_services.add_session(audit, starts_at=starts, ends_at=ends,
                                                     unit_id=form.unit_id.data or None, topic=form.topic.data or "",
                                                     actor=current_user),
                   done=_("The session was added."), back=back)


@bp.post("/<int:audit_id>/sessions/<int:session_id>/delete")
@require_permission(Permission.AUDITS_VIEW)
def delete_session(audit_id: int, session_id: int):
    audit = _editable(audit_id)
    session = db.get_or_404(AuditSession, session_id)
    if session.audit_id != audit.id:
        abort(404)
    return perform(lambda: plan_services.remove_session(audit, session, actor=current_user),
                   done=_("The session was removed."), back=url_for("audits.detail", audit_id=audit.id))


@bp.post("/<int:audit_id>/move/<action>")
@require_permission(Permission.AUDITS_VIEW)
def move(audit_id: int, action: str):
    audit = db.get_or_404(Audit, audit_id)
    if not permissions.can_move_audit(current_user, audit):
        abort(403)
    try:
        chosen = Action(action)
    except ValueError:
        abort(404)
    return perform(lambda: plan_services.move_audit(audit, chosen, actor=current_user,
                                                    comment=request.form.get("comment", ""),
                                                    plan_url=url_for("audits.detail", audit_id=audit.id)),
                   done=_("%(code)s: %(state)s.", code=audit.code, state=chosen.label),
                   back=url_for("audits.detail", audit_id=audit.id))


@bp.get("/<int:audit_id>/plan.docx")
@require_permission(Permission.AUDITS_VIEW)
def plan_docx(audit_id: int):
    audit = db.get_or_404(Audit, audit_id)
    data = exports.plan_docx(audit, plan_services.criteria_documents(audit))
    return Response(data, mimetype=DOCX_MIMETYPE, headers={
        "Content-Disposition": f"attachment; filename=ke-hoach-danh-gia-{audit.id}.docx"})
