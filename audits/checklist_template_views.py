"""Pages of reusable checklist templates (ISO 9001:2008 clause 8.2.2): list, create, add and remove questions."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from audits import checklist_services as checklists
from audits.checklist_models import ChecklistTemplate, ChecklistTemplateQuestion
from audits.checklist_permissions import can_manage_templates
from audits.checklist_views import bp, perform
from audits.clauses import CLAUSES
from qms.extensions import db
from qms.permissions import Permission, require_permission


@bp.get("/checklist-templates")
@require_permission(Permission.AUDITS_VIEW)
def templates():
    rows = db.session.scalars(select(ChecklistTemplate).order_by(ChecklistTemplate.is_active.desc(),
                                                                 ChecklistTemplate.name)).all()
    return render_template("audit_checklists/templates.html", templates=rows,
                           may_manage=can_manage_templates(current_user))


@bp.post("/checklist-templates")
@require_permission(Permission.AUDITS_MANAGE)
def create_template():
    form = request.form
    return perform(lambda: checklists.create_template(actor=current_user, name=form.get("name", ""),
                                                      description=form.get("description", "")),
                   done=_("Template created: add its questions."), back=url_for(".templates"))


@bp.get("/checklist-templates/<int:template_id>")
@require_permission(Permission.AUDITS_VIEW)
def template(template_id: int):
    item = db.get_or_404(ChecklistTemplate, template_id)
    return render_template("audit_checklists/template.html", template=item, clauses=CLAUSES,
                           may_manage=can_manage_templates(current_user))


@bp.post("/checklist-templates/<int:template_id>/questions")
@require_permission(Permission.AUDITS_MANAGE)
def add_template_question(template_id: int):
    item = db.get_or_404(ChecklistTemplate, template_id)
    form = request.form
    return perform(lambda: checklists.add_template_question(item, actor=current_user,
                                                            clause_code=form.get("clause_code", ""),
                                                            text=form.get("text", ""),
                                                            guidance=form.get("guidance", "")),
                   done=_("Question added."), back=url_for(".template", template_id=item.id))


@bp.post("/checklist-templates/<int:template_id>/questions/<int:question_id>/remove")
@require_permission(Permission.AUDITS_MANAGE)
def remove_template_question(template_id: int, question_id: int):
    item = db.get_or_404(ChecklistTemplate, template_id)
    question = db.get_or_404(ChecklistTemplateQuestion, question_id)
    if question.template_id != item.id:
        abort(404)
    return perform(lambda: checklists.remove_template_question(item, question, actor=current_user),
                   done=_("Question removed."), back=url_for(".template", template_id=item.id))


@bp.post("/checklist-templates/<int:template_id>/active")
@require_permission(Permission.AUDITS_MANAGE)
def set_template_active(template_id: int):
    item = db.get_or_404(ChecklistTemplate, template_id)
    active = request.form.get("active") == "1"
    return perform(lambda: checklists.set_template_active(item, active, actor=current_user),
                   done=_("Template put back in use.") if active else _("Template retired."),
                   back=url_for(".template", template_id=item.id))
