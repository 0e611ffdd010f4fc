"""Pages of audit checklists (ISO 9001:2008 clause 8.2.2): build, add questions, answer, attach evidence.

A blueprint of its own under /audits; the findings and report pages (``findings_views``,
``report_views``) and the checklist templates (``checklist_template_views``) hang on it too.
Views parse the form, call one service with ``actor=current_user``, commit and redirect.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from audits import checklist_services as checklists
from audits.checklist_builder import Period
from audits.checklist_models import ChecklistAttachment, ChecklistQuestion, ChecklistTemplate, QuestionResult
from audits.checklist_permissions import can_work_on
from audits.clauses import CLAUSES
from audits.models import Audit
from qms.errors import DomainError, Forbidden
from qms.extensions import db
from qms.files.views import send_stored
from qms.permissions import Permission, require_permission
from qms.timeutil import parse_local_date
from qms.ui import NavItem, add_nav

bp = Blueprint("audit_checklists", __name__, url_prefix="/audits")


def perform(action, *, done: str, back: str):
    """Run one service call as the request's transaction: 403 when the actor may not, the message of any
    other domain error on the page it came from, else commit and say *done*."""
    try:
        action()
    except Forbidden:
        db.session.rollback()
        abort(403)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(back)
    db.session.commit()
    flash(done, "success")
    return redirect(back)


def load_audit(audit_id: int) -> Audit:
    return db.get_or_404(Audit, audit_id)


def load_question(audit: Audit, question_id: int) -> ChecklistQuestion:
    question = db.get_or_404(ChecklistQuestion, question_id)
    if question.audit_id != audit.id:
        abort(404)
    return question


def audit_tabs(audit: Audit) -> dict:
    """The links between the pages of one audit (the plan's page belongs to the other half of the issue)."""
    plan = (url_for("audits.detail", audit_id=audit.id) if "audits.detail" in current_app.view_functions else None)
    return {"plan_url": plan}


def question_groups(questions: list[ChecklistQuestion]) -> list[tuple[str, list[ChecklistQuestion]]]:
    """The standard's questions first, then one group per TTHC and per QMS procedure, in checklist order."""
    groups: dict[object, tuple[str, list]] = {}
    for question in questions:
        if question.procedure is not None:
            key, title = ("p", question.procedure_id), f"{question.procedure.code} – {question.procedure.name}"
        elif question.document is not None:
            key, title = ("d", question.document_id), f"{question.document.code} – {question.document.title}"
        else:
            key, title = ("c", 0), _("Requirements of the standard")
        groups.setdefault(key, (title, []))[1].append(question)
    ordered = sorted(groups.items(), key=lambda item: item[0][0] != "c")
    return [value for _key, value in ordered]


@bp.get("/<int:audit_id>/checklist")
@require_permission(Permission.AUDITS_VIEW)
def checklist(audit_id: int):
    audit = load_audit(audit_id)
    questions = checklists.questions_of(audit)
    templates = db.session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.is_active)
                                   .order_by(ChecklistTemplate.name)).all()
    period = Period.year_before(audit.planned_start)
    return render_template("audit_checklists/checklist.html", audit=audit, groups=question_groups(questions),
                           total=len(questions), answered=sum(1 for q in questions if q.result is not None),
                           may_prepare=checklists.can_prepare(current_user, audit),
                           may_work=can_work_on(current_user, audit), templates=templates, period=period,
                           results=list(QuestionResult), clauses=CLAUSES, **audit_tabs(audit))


def _period(form) -> Period | None:
    try:
        return Period(parse_local_date(form.get("from", "")), parse_local_date(form.get("to", "")))
    except ValueError:
        return None


@bp.post("/<int:audit_id>/checklist/build")
@require_permission(Permission.AUDITS_VIEW)
def build(audit_id: int):
    audit = load_audit(audit_id)
    template_ids = [int(i) for i in request.form.getlist("template_id") if i.isdigit()]
    return perform(lambda: checklists.build_checklist(audit, actor=current_user, template_ids=template_ids,
                                                      period=_period(request.form)),
                   done=_("Checklist built from the scope."), back=url_for(".checklist", audit_id=audit.id))


@bp.post("/<int:audit_id>/checklist/questions")
@require_permission(Permission.AUDITS_VIEW)
def add_question(audit_id: int):
    audit = load_audit(audit_id)
    form = request.form
    return perform(lambda: checklists.add_question(audit, actor=current_user, clause_code=form.get("clause_code", ""),
                                                   text=form.get("text", ""), guidance=form.get("guidance", ""),
                                                   procedure_id=form.get("procedure_id", type=int)),
                   done=_("Question added."), back=url_for(".checklist", audit_id=audit.id) + "#add-question")


@bp.post("/<int:audit_id>/checklist/questions/<int:question_id>/answer")
@require_permission(Permission.AUDITS_VIEW)
def answer(audit_id: int, question_id: int):
    audit = load_audit(audit_id)
    question = load_question(audit, question_id)
    form = request.form
    return perform(lambda: checklists.answer_question(question, actor=current_user, result=form.get("result"),
                                                      notes=form.get("notes", ""),
                                                      sampled_codes=form.get("sampled_codes", "")),
                   done=_("Answer saved."), back=url_for(".checklist", audit_id=audit.id) + f"#q{question.id}")


@bp.post("/<int:audit_id>/checklist/questions/<int:question_id>/files")
@require_permission(Permission.AUDITS_VIEW)
def attach(audit_id: int, question_id: int):
    audit = load_audit(audit_id)
    question = load_question(audit, question_id)
    return perform(lambda: checklists.attach_evidence(question, request.files.get("file"), actor=current_user),
                   done=_("File attached."), back=url_for(".checklist", audit_id=audit.id) + f"#q{question.id}")


def _attachment(question: ChecklistQuestion, attachment_id: int) -> ChecklistAttachment:
    attachment = db.get_or_404(ChecklistAttachment, attachment_id)
    if attachment.question_id != question.id:
        abort(404)
    return attachment


@bp.post("/<int:audit_id>/checklist/questions/<int:question_id>/files/<int:attachment_id>/remove")
@require_permission(Permission.AUDITS_VIEW)
def detach(audit_id: int, question_id: int, attachment_id: int):
    audit = load_audit(audit_id)
    question = load_question(audit, question_id)
    attachment = _attachment(question, attachment_id)
    return perform(lambda: checklists.detach_evidence(question, attachment, actor=current_user),
                   done=_("File removed."), back=url_for(".checklist", audit_id=audit.id) + f"#q{question.id}")


@bp.get("/<int:audit_id>/checklist/questions/<int:question_id>/files/<int:attachment_id>")
@require_permission(Permission.AUDITS_VIEW)
def download(audit_id: int, question_id: int, attachment_id: int):
    question = load_question(load_audit(audit_id), question_id)
    attachment = _attachment(question, attachment_id)
    return send_stored(attachment.file, attachment.filename)


def init_app(app: Flask) -> None:
    """Register the models (before the first query) and the pages of checklists, findings and reports."""
    from audits import checklist_models, models  # noqa: F401
    from audits import checklist_template_views, findings_views, report_views  # noqa: F401 - routes on bp

    app.register_blueprint(bp)
    add_nav(app, NavItem(_l("Internal audits"), _l("Checklist templates"), "audit_checklists.templates",
                         Permission.AUDITS_VIEW, order=64))
    from audits import checklist_seeding
    from qms.seeding import add_demo_step

    add_demo_step(app, 65, checklist_seeding.load_checklist_demo)  # after the demo audits (60)
