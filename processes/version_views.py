"""Pages of the process versions (ISO 9001:2008 clauses 4.2.3, 7.5.1): a version's map and steps, the
step editor of a draft, the downloads (SVG, BPMN 2.0) and the comparison of two versions.

A version is content of a document revision: it is signed, approved and put into force on the
revision's page; these pages only show it and edit its steps while the revision is a draft.
"""

from __future__ import annotations

import re

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from processes import queries, services
from processes.forms import (
    BLANK_BRANCH_ROWS,
    BLANK_STEP_ROWS,
    StartVersionForm,
    StepsForm,
    branch_rows,
    editor_choices,
    rows_of,
    step_rows,
)
from processes.models import ProcessVersion
from processes.views import bp, load_procedure, map_svg, readable_versions
from qms.errors import DomainError
from qms.extensions import db
from qms.permissions import Permission, can_edit_revision, can_read_revision, require_permission
from qms.timeutil import local_today


def load_version(procedure_id: int, version_id: int) -> ProcessVersion:
    """The version of that procedure, if this user may read its revision; 404 otherwise (as for documents)."""
    version = db.get_or_404(ProcessVersion, version_id)
    if version.procedure_id != procedure_id or not can_read_revision(current_user, version.revision, local_today()):
        abort(404)
    return version


def _version_url(version: ProcessVersion) -> str:
    return url_for("processes.version", procedure_id=version.procedure_id, version_id=version.id)


def _file_stem(version: ProcessVersion) -> str:
    return f"{version.procedure.code}-v{version.version_no}".replace("/", "_").replace('"', "")


@bp.post("/<int:procedure_id>/versions/new")
@require_permission(Permission.DOCUMENTS_DRAFT)
def start_version(procedure_id: int):
    procedure = load_procedure(procedure_id)
    back = redirect(url_for("processes.detail", procedure_id=procedure.id))
    form = StartVersionForm()
    form.fill_choices()
    if not form.validate_on_submit():
        flash(_("Choose the kind of change."), "danger")
        return back
    values = {"change_summary": form.change_summary.data or "", "change_kind": form.change_kind.data}
    try:
        version = services.start_version(procedure, actor=current_user, values=values)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return back
    db.session.commit()
    flash(_("Version %(no)d is a draft: write its steps.", no=version.version_no), "success")
    return redirect(url_for("processes.edit_version", procedure_id=procedure.id, version_id=version.id))


@bp.get("/<int:procedure_id>/versions/<int:version_id>")
@require_permission(Permission.PROCESSES_VIEW)
def version(procedure_id: int, version_id: int):
    version = load_version(procedure_id, version_id)
    return render_template("processes/version.html", version=version, procedure=version.procedure,
                           problems=services.time_problems(version), svg=map_svg(version),
                           can_edit=can_edit_revision(current_user, version.revision))


@bp.route("/<int:procedure_id>/versions/<int:version_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.DOCUMENTS_DRAFT)
def edit_version(procedure_id: int, version_id: int):
    version = load_version(procedure_id, version_id)
    if not can_edit_revision(current_user, version.revision):
        abort(403)
    form = StepsForm(obj=version)
    steps, branches = rows_of(version)
    if form.validate_on_submit():
        steps, branches = step_rows(request.form), branch_rows(request.form)
        try:
            services.replace_steps(version, steps, branches, actor=current_user, notes=form.notes.data or "")
        except DomainError as error:
            db.session.rollback()
            return _editor(version, form, steps, branches, error=error.message), 422
        db.session.commit()
        flash(_("Steps of version %(no)d saved.", no=version.version_no), "success")
        return redirect(_version_url(version))
    return _editor(version, form, steps, branches)


def _editor(version: ProcessVersion, form: StepsForm, steps: list[dict], branches: list[dict], error: str = ""):
    blank_step, blank_branch = dict.fromkeys(("unit_id",)), {}
    return render_template("processes/edit_version.html", version=version, procedure=version.procedure, form=form,
                           steps=steps + [blank_step] * BLANK_STEP_ROWS,
                           branches=branches + [blank_branch] * BLANK_BRANCH_ROWS, error=error,
                           **editor_choices())


@bp.get("/<int:procedure_id>/versions/<int:version_id>/map.svg")
@require_permission(Permission.PROCESSES_VIEW)
def map_download(procedure_id: int, version_id: int):
    from processes.drawing import render_svg

    version = load_version(procedure_id, version_id)
    title = f"{version.procedure.code} {version.procedure.name}"
    return Response(render_svg(version, title=title), mimetype="image/svg+xml", headers={
        "Content-Disposition": f'attachment; filename="so-do-{_file_stem(version)}.svg"'})


@bp.get("/<int:procedure_id>/versions/<int:version_id>/bpmn")
@require_permission(Permission.PROCESSES_VIEW)
def bpmn(procedure_id: int, version_id: int):
    from processes.bpmn import version_bpmn

    version = load_version(procedure_id, version_id)
    procedure = version.procedure
    process_id = f"Process_{re.sub(r'[^0-9A-Za-z]', '_', procedure.code)}_v{version.version_no}"
    content = version_bpmn(version, process_name=procedure.name, process_id=process_id)
    return Response(content, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="quy-trinh-{_file_stem(version)}.bpmn"'})


@bp.get("/<int:procedure_id>/compare")
@require_permission(Permission.PROCESSES_VIEW)
def compare(procedure_id: int):
    """Compare two versions step by step; by default the current one with the one before it."""
    procedure = load_procedure(procedure_id)
    readable = readable_versions(procedure)
    default_older, default_newer = _default_pair(readable, queries.current_version(procedure))
    older_id = request.args.get("older", type=int) or default_older
    newer_id = request.args.get("newer", type=int) or default_newer
    if not older_id or not newer_id or older_id == newer_id:
        flash(_("There is no other version to compare with."), "info")
        return redirect(url_for("processes.detail", procedure_id=procedure.id))
    older, newer = sorted((load_version(procedure.id, older_id), load_version(procedure.id, newer_id)),
                          key=lambda v: v.version_no)
    return render_template("processes/compare.html", procedure=procedure, comparison=queries.compare_versions(
        older, newer), versions=readable)


def _default_pair(readable: list[ProcessVersion], current: ProcessVersion | None) -> tuple[int, int]:
    """The current version and the one before it; else (the earlier ones unreadable) the one after it."""
    if current not in readable:
        current = readable[-1] if readable else None
    if current is None:
        return 0, 0
    position = readable.index(current)
    if position > 0:
        return readable[position - 1].id, current.id
    return current.id, readable[1].id if len(readable) > 1 else 0
