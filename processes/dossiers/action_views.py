"""The actions recorded on a dossier's electronic Mẫu 05 (NĐ 61/2018 Art. 18-19): hand over to the next step,
request a supplement (Mẫu 02) and record the complete dossier, apologise with a new date (Mẫu 04), refuse,
return the result, withdraw or stop. Each is one service call; a refused one changes nothing and says why.
"""

from __future__ import annotations

from typing import Callable

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from processes.dossiers import services
from processes.dossiers.followups import dossier_changed
from processes.dossiers.forms import ApologyForm, EndForm, FinishStepForm, ReasonForm, WhenForm
from processes.dossiers.models import Dossier, Outcome
from processes.dossiers.views import bp, load_dossier
from qms.permissions import Permission, require_permission
from qms.web import perform


def _act(dossier_id: int, form: WhenForm, action: Callable[[Dossier, WhenForm], object],
         done: Callable[[Dossier], str]):
    """Validate the small form, then run *action* as the request's transaction and go back to the dossier."""
    dossier = load_dossier(dossier_id)
    back = url_for("dossiers.detail", dossier_id=dossier.id)
    if not form.validate_on_submit():
        for field in form:
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "danger")
        return redirect(back)
    response = perform(lambda: action(dossier, form), done=done(dossier), back=back)
    dossier_changed(dossier_id)  # after the commit: the rollups, and the nonconformities of a late dossier
    return response


@bp.post("/<int:dossier_id>/finish")
@require_permission(Permission.DOSSIERS_HANDLE)
def finish_step(dossier_id: int):
    return _act(dossier_id, FinishStepForm(prefix="finish"),
                lambda dossier, form: services.finish_step(dossier, actor=current_user, at=form.instant(),
                                                           handler=form.handler.data or "",
                                                           note=form.note.data or ""),
                lambda dossier: _("The step is finished and %(code)s handed over.", code=dossier.code))


@bp.post("/<int:dossier_id>/supplement")
@require_permission(Permission.DOSSIERS_HANDLE)
def request_supplement(dossier_id: int):
    return _act(dossier_id, ReasonForm(prefix="supplement"),
                lambda dossier, form: services.request_supplement(dossier, actor=current_user,
                                                                  reason=form.reason.data, at=form.instant()),
                lambda dossier: _("Supplement requested (Mẫu 02) for %(code)s.", code=dossier.code))


@bp.post("/<int:dossier_id>/supplement/complete")
@require_permission(Permission.DOSSIERS_HANDLE)
def complete_supplement(dossier_id: int):
    return _act(dossier_id, WhenForm(prefix="complete"),
                lambda dossier, form: services.complete_supplement(dossier, actor=current_user, at=form.instant()),
                lambda dossier: _("The complete dossier %(code)s is back in progress.", code=dossier.code))


@bp.post("/<int:dossier_id>/apologise")
@require_permission(Permission.DOSSIERS_HANDLE)
def apologise(dossier_id: int):
    return _act(dossier_id, ApologyForm(prefix="apology"),
                lambda dossier, form: services.apologise(dossier, actor=current_user, reason=form.reason.data,
                                                         new_due_at=form.new_due_at(), at=form.instant(),
                                                         signed_by=form.signed_by.data or ""),
                lambda dossier: _("Apology (Mẫu 04) recorded for %(code)s with its new date.", code=dossier.code))


@bp.post("/<int:dossier_id>/refuse")
@require_permission(Permission.DOSSIERS_HANDLE)
def refuse(dossier_id: int):
    return _act(dossier_id, ReasonForm(prefix="refuse"),
                lambda dossier, form: services.refuse(dossier, actor=current_user, reason=form.reason.data,
                                                      at=form.instant()),
                lambda dossier: _("%(code)s is refused: the refusal is ready to be returned.", code=dossier.code))


@bp.post("/<int:dossier_id>/return")
@require_permission(Permission.DOSSIERS_HANDLE)
def return_result(dossier_id: int):
    return _act(dossier_id, WhenForm(prefix="return"),
                lambda dossier, form: services.return_result(dossier, actor=current_user, at=form.instant()),
                lambda dossier: _("The result of %(code)s is returned; the dossier is closed.", code=dossier.code))


@bp.post("/<int:dossier_id>/end")
@require_permission(Permission.DOSSIERS_HANDLE)
def end_dossier(dossier_id: int):
    return _act(dossier_id, EndForm(prefix="end"), _end,
                lambda dossier: _("The handling of %(code)s has ended.", code=dossier.code))


def _end(dossier: Dossier, form: EndForm) -> None:
    services.end_dossier(dossier, Outcome(form.outcome.data), actor=current_user, reason=form.reason.data,
                         at=form.instant())
