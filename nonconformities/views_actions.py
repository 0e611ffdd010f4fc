"""The POST actions of a nonconformity (ISO 9001:2008 clauses 8.5.2, 8.5.3): the workflow moves, the
analysis, the actions with their progress and evidence, the effectiveness check, reject and duplicate.

Each view parses the form, calls one service with ``actor=current_user`` and lets ``perform`` commit
or show the refusal; the services re-check every permission.
"""

from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from nonconformities import services, services_actions, services_analysis
from nonconformities.models import CorrectiveAction, Nonconformity, NonconformityCause
from nonconformities.views import bp
from nonconformities.workflow import Action
from qms.documents.models import Document
from qms.extensions import db
from qms.files.models import StoredFile
from qms.files.storage import store_upload
from qms.files.views import send_stored
from qms.permissions import Permission, require_permission
from qms.users.models import User
from qms.web import perform

_MOVES = {
    Action.START_ANALYSIS: services.start_analysis,
    Action.FINISH_ANALYSIS: services.finish_analysis,
    Action.START_ACTIONS: services.start_actions,
    Action.REQUEST_CHECK: services.request_check,
    Action.CLOSE: services.close_nonconformity,
}


def _nc(nc_id: int) -> Nonconformity:
    return db.get_or_404(Nonconformity, nc_id)


def _chosen(model, field: str):
    """The record a form's select names by its id; None when none is chosen or the value is not an id (the
    service then names the field)."""
    value = (request.form.get(field) or "").strip()
    return db.session.get(model, int(value)) if value.isdigit() else None


def _back(nc: Nonconformity, anchor: str = "") -> str:
    return url_for("nonconformities.detail", nc_id=nc.id) + (f"#{anchor}" if anchor else "")


def _upload():
    """The uploaded evidence file, if any: (StoredFile, name) or (None, "")."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None, ""
    return store_upload(upload, actor=current_user)


@bp.post("/<int:nc_id>/move/<action>")
@require_permission(Permission.NONCONFORMITIES_RAISE)
def move(nc_id: int, action: str):
    nc = _nc(nc_id)
    try:
        service = _MOVES[Action(action)]
    except (KeyError, ValueError):
        abort(404)
    return perform(lambda: service(nc, actor=current_user), done=_("%(code)s: %(action)s.", code=nc.code,
                                                                    action=Action(action).label), back=_back(nc))


@bp.post("/<int:nc_id>/details")
@require_permission(Permission.NONCONFORMITIES_RAISE)
def edit_details(nc_id: int):
    """Correct the title, description, severity and clause (refused once the record is closed)."""
    nc = _nc(nc_id)
    form = request.form
    return perform(lambda: services.update_details(nc, actor=current_user, title=form.get("title", ""),
                                                   description=form.get("description", ""),
                                                   severity=form.get("severity", ""), clause=form.get("clause", "")),
                   done=_("The details of %(code)s are saved.", code=nc.code), back=_back(nc))


@bp.post("/<int:nc_id>/approve")
@require_permission(Permission.NONCONFORMITIES_APPROVE_PLAN)
def approve_plan(nc_id: int):
    nc = _nc(nc_id)
    return perform(lambda: services.approve_plan(nc, actor=current_user, comment=request.form.get("comment", "")),
                   done=_("The action plan of %(code)s is approved.", code=nc.code), back=_back(nc))


@bp.post("/<int:nc_id>/return")
@require_permission(Permission.NONCONFORMITIES_APPROVE_PLAN)
def return_plan(nc_id: int):
    nc = _nc(nc_id)
    return perform(lambda: services.return_plan(nc, actor=current_user, comment=request.form.get("comment", "")),
                   done=_("The plan went back to the analysis."), back=_back(nc))


@bp.post("/<int:nc_id>/check")
@require_permission(Permission.NONCONFORMITIES_VERIFY)
def record_check(nc_id: int):
    nc = _nc(nc_id)
    effective = request.form.get("is_effective") == "yes"

    def run():
        stored, name = _upload()
        services.record_check(nc, actor=current_user, is_effective=effective, comment=request.form.get("comment", ""),
                              evidence=request.form.get("evidence", ""), stored_file=stored, filename=name)

    return perform(run, done=_("The effectiveness check is recorded."), back=_back(nc, "effectiveness"))


@bp.post("/<int:nc_id>/reject")
@require_permission(Permission.NONCONFORMITIES_MANAGE)
def reject(nc_id: int):
    nc = _nc(nc_id)
    return perform(lambda: services.reject_nonconformity(nc, actor=current_user,
                                                         reason=request.form.get("reason", "")),
                   done=_("%(code)s is rejected.", code=nc.code), back=_back(nc))


@bp.post("/<int:nc_id>/duplicate")
@require_permission(Permission.NONCONFORMITIES_MANAGE)
def mark_duplicate(nc_id: int):
    nc = _nc(nc_id)
    original = _chosen(Nonconformity, "duplicate_of_id")
    return perform(lambda: services.mark_duplicate(nc, original, actor=current_user,
                                                   reason=request.form.get("reason", "")),
                   done=_("%(code)s is marked as a duplicate; its evidence was merged.", code=nc.code),
                   back=_back(nc))


@bp.post("/<int:nc_id>/evidence")
@require_permission(Permission.NONCONFORMITIES_RAISE)
def add_evidence(nc_id: int):
    nc = _nc(nc_id)

    def run():
        stored, name = _upload()
        services.add_evidence(nc, actor=current_user, kind="file" if stored else "note",
                              text=request.form.get("text", ""), stored_file=stored, filename=name)

    return perform(run, done=_("Evidence added."), back=_back(nc, "evidence"))


@bp.post("/<int:nc_id>/correction")
@require_permission(Permission.NONCONFORMITIES_RAISE)
def record_correction(nc_id: int):
    nc = _nc(nc_id)
    return perform(lambda: services_analysis.record_correction(nc, actor=current_user,
                                                               text=request.form.get("correction", "")),
                   done=_("The immediate correction is recorded."), back=_back(nc, "analysis"))


@bp.post("/<int:nc_id>/analysis")
@require_permission(Permission.NONCONFORMITIES_RAISE)
def save_analysis(nc_id: int):
    """The 5 Whys and the root cause, saved together from one form."""
    nc = _nc(nc_id)
    pairs = [(request.form.get(f"why_q{i}", ""), request.form.get(f"why_a{i}", "")) for i in range(1, 6)]

    def run():
        services_analysis.save_whys(nc, pairs, actor=current_user)
        services_analysis.set_root_cause(nc, actor=current_user, text=request.form.get("root_cause", ""))

    return perform(run, done=_("The analysis is saved."), back=_back(nc, "analysis"))


@bp.post("/<int:nc_id>/causes")
@require_permission(Permission.NONCONFORMITIES_RAISE)
def add_cause(nc_id: int):
    nc = _nc(nc_id)
    return perform(lambda: services_analysis.add_cause(nc, actor=current_user, category=request.form.get("category", ""),
                                                       text=request.form.get("text", ""),
                                                       is_root=bool(request.form.get("is_root"))),
                   done=_("Cause added."), back=_back(nc, "analysis"))


@bp.post("/<int:nc_id>/causes/<int:cause_id>/delete")
@require_permission(Permission.NONCONFORMITIES_RAISE)
def remove_cause(nc_id: int, cause_id: int):
    nc = _nc(nc_id)
    cause = db.get_or_404(NonconformityCause, cause_id)
    return perform(lambda: services_analysis.remove_cause(nc, cause, actor=current_user),
                   done=_("Cause removed."), back=_back(nc, "analysis"))


@bp.post("/<int:nc_id>/actions")
@require_permission(Permission.NONCONFORMITIES_RAISE)
def add_action(nc_id: int):
    nc = _nc(nc_id)
    owner = _chosen(User, "owner_id")
    days = request.form.get("working_days", "")
    return perform(lambda: services_actions.add_action(
        nc, actor=current_user, kind=request.form.get("kind", "corrective"),
        description=request.form.get("description", ""), owner=owner,
        working_days=int(days) if days.isdigit() else None, done_criteria=request.form.get("done_criteria", "")),
        done=_("Action added to the plan."), back=_back(nc, "actions"))


def _action(action_id: int) -> CorrectiveAction:
    return db.get_or_404(CorrectiveAction, action_id)


@bp.post("/actions/<int:action_id>/progress")
@require_permission(Permission.NONCONFORMITIES_RAISE)
def record_progress(action_id: int):
    action = _action(action_id)

    def run():
        stored, name = _upload()
        services_actions.record_progress(action, actor=current_user, text=request.form.get("text", ""),
                                         stored_file=stored, filename=name)

    return perform(run, done=_("Progress recorded."), back=_back(action.nonconformity, f"action-{action.id}"))


@bp.post("/actions/<int:action_id>/complete")
@require_permission(Permission.NONCONFORMITIES_RAISE)
def complete_action(action_id: int):
    action = _action(action_id)
    return perform(lambda: services_actions.complete_action(action, actor=current_user,
                                                            text=request.form.get("text", "")),
                   done=_("The action is done."), back=_back(action.nonconformity, f"action-{action.id}"))


@bp.post("/actions/<int:action_id>/cancel")
@require_permission(Permission.NONCONFORMITIES_RAISE)
def cancel_action(action_id: int):
    action = _action(action_id)
    return perform(lambda: services_actions.cancel_action(action, actor=current_user,
                                                          reason=request.form.get("reason", "")),
                   done=_("The action is cancelled."), back=_back(action.nonconformity, "actions"))


@bp.post("/actions/<int:action_id>/change-request")
@require_permission(Permission.NONCONFORMITIES_RAISE)
def request_document_change(action_id: int):
    action = _action(action_id)
    document = _chosen(Document, "document_id")
    return perform(lambda: services_actions.request_document_change(
        action, document, actor=current_user, proposed_change=request.form.get("proposed_change", "")),
                   done=_("A change request was filed for the document."),
                   back=_back(action.nonconformity, f"action-{action.id}"))


@bp.get("/actions/<int:action_id>/progress/<int:progress_id>/file")
@require_permission(Permission.NONCONFORMITIES_VIEW)
def progress_file(action_id: int, progress_id: int):
    action = _action(action_id)
    note = next((p for p in action.progress if p.id == progress_id), None)
    if note is None or note.file_id is None:
        abort(404)
    return send_stored(db.session.get(StoredFile, note.file_id), note.filename or "evidence")
