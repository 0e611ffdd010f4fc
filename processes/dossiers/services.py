"""Handling a dossier in the browser: the electronic Mẫu 05 (NĐ 61/2018 Art. 18-19, TT 01/2018).

receive (Mẫu 01) → hand the dossier from step to step → result ready → returned; on the way a
supplement request (Mẫu 02, with the agency's restart or pause policy), a refusal, one apology
with a new date (Mẫu 04), a withdrawal or a stop. Every call measures what it closes, flushes and
never commits. Imports and the ingest API build the same rows in bulk (see ``importing``).
"""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from processes.dossiers.models import (
    Apology,
    Channel,
    Dossier,
    DossierStatus,
    Outcome,
    StepRun,
    SupplementPolicy,
    SupplementRequest,
)
from processes.dossiers.timing import appointment, clock_for, measure_dossier, measure_step
from processes.models import AdministrativeProcedure, ProcedureStatus, ProcessStep, StepKind
from processes.queries import version_in_force
from qms.calendar import services as calendar
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.permissions import Permission, has_permission
from qms.timeutil import utcnow

#: TT 01/2018 Art. 19: unit code of the agency, receipt date yymmdd, a four-digit sequence.
CODE_PATTERN = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}$")
WORKING_DAY = 480


def can_handle_dossiers(user) -> bool:
    return has_permission(user, Permission.DOSSIERS_HANDLE)


def _require(actor) -> None:
    if not can_handle_dossiers(actor):
        raise Forbidden(_("You may not handle dossiers."))


def code_is_standard(code: str) -> bool:
    return bool(CODE_PATTERN.match(code))


def _check_time(at: datetime, now: datetime, earliest: datetime | None, what: str) -> None:
    if at > now:
        raise DomainError(_("%(what)s cannot be in the future.", what=what))
    if earliest is not None and at < earliest:
        raise DomainError(_("%(what)s cannot come before %(earlier)s.", what=what,
                            earlier=earliest.astimezone(calendar.working_clock().zone).strftime("%d/%m/%Y %H:%M")))


def receive_dossier(values: dict, *, actor, now: datetime | None = None) -> Dossier:
    """Receive a dossier at the one-stop shop (Mẫu 01): the version and rules in force, the due date, step one."""
    _require(actor)
    now = now or utcnow()
    code = (values.get("code") or "").strip()
    if not code:
        raise DomainError(_("The dossier code is required."), field="code")
    if db.session.scalar(select(Dossier.id).where(Dossier.code == code)) is not None:
        raise Conflict(_("The dossier %(code)s is already recorded.", code=code), field="code")
    procedure = db.session.get(AdministrativeProcedure, values.get("procedure_id") or 0)
    if procedure is None or procedure.status == ProcedureStatus.ABOLISHED:
        raise DomainError(_("Choose a procedure in force."), field="procedure_id")
    received_at = values.get("received_at") or now
    _check_time(received_at, now, None, _("The time of receipt"))
    version = version_in_force(procedure.id, received_at)
    if version is None or not version.steps:
        raise DomainError(_("%(code)s had no process in force on that date: its map must be approved first.",
                            code=procedure.code), field="procedure_id")
    rules = calendar.current_rules()
    dossier = Dossier(code=code, code_is_legacy=not code_is_standard(code), procedure_id=procedure.id,
                      version_id=version.id, applicant_name=(values.get("applicant_name") or "").strip(),
                      applicant_address=(values.get("applicant_address") or "").strip(),
                      applicant_phone=(values.get("applicant_phone") or "").strip(),
                      channel=Channel(values.get("channel") or Channel.IN_PERSON), received_at=received_at,
                      convention=rules.convention, timeliness_point=rules.timeliness_point,
                      supplement_policy=SupplementPolicy(values.get("supplement_policy") or SupplementPolicy.RESTART),
                      limit_minutes=version.total_minutes, status=int(DossierStatus.IN_PROGRESS), source="browser")
    if not dossier.applicant_name:
        raise DomainError(_("Who files the dossier? The applicant's name is required."), field="applicant_name")
    clock = clock_for(dossier.convention)
    dossier.original_due_at = dossier.due_at = appointment(
        dossier, clock, received_at, cutoff=rules.cutoff_at if rules.cutoff_enabled else None)
    db.session.add(dossier)
    db.session.flush()
    _open_step(dossier, version.steps[0], received_at, clock, from_label=_("Applicant"),
               handler=getattr(actor, "full_name", ""), handler_id=getattr(actor, "id", None))
    db.session.flush()
    return dossier


def running_step(dossier: Dossier) -> StepRun | None:
    return next((run for run in dossier.steps if run.finished_at is None), None)


def _open_step(dossier: Dossier, step: ProcessStep, at: datetime, clock, *, from_label: str = "",
               handler: str = "", handler_id: int | None = None) -> StepRun:
    run = StepRun(dossier_id=dossier.id, position=len(dossier.steps), step_id=step.id, step_code=step.code,
                  activity=step.name, unit_id=step.unit_id, from_label=from_label,
                  to_label=step.unit.name if step.unit is not None else step.performer, handler=handler,
                  handler_id=handler_id, started_at=at, allotted_units=float(step.allotted_minutes),
                  event_key=f"{step.code}:{len(dossier.steps)}")
    dossier.steps.append(run)
    measure_step(dossier, run, clock)
    return run


def finish_step(dossier: Dossier, *, actor, at: datetime | None = None, handler: str = "", note: str = "",
                now: datetime | None = None) -> StepRun:
    """Close the running step (measured against its allotment) and hand the dossier to the next one."""
    _require(actor)
    now = now or utcnow()
    at = at or now
    run = running_step(dossier)
    if run is None or dossier.status not in (DossierStatus.IN_PROGRESS, DossierStatus.RESULT_READY):
        raise Conflict(_("The dossier %(code)s has no step running.", code=dossier.code))
    _check_time(at, now, run.started_at, _("The end of the step"))
    clock = clock_for(dossier.convention)
    run.finished_at, run.note = at, (note or run.note).strip()
    if handler:
        run.handler = handler
    measure_step(dossier, run, clock)
    steps = dossier.version.steps if dossier.version is not None else []
    following = next((s for s in steps if s.position > _step_position(run, steps)), None)
    if following is None:
        _close(dossier, at, Outcome.ISSUED if dossier.outcome is None else dossier.outcome, clock)
        return run
    if following.kind == StepKind.RETURN and dossier.result_ready_at is None:
        dossier.result_ready_at, dossier.status = at, int(DossierStatus.RESULT_READY)
        measure_dossier(dossier, clock)
    _open_step(dossier, following, at, clock, from_label=run.to_label, handler=getattr(actor, "full_name", ""),
               handler_id=getattr(actor, "id", None))
    db.session.flush()
    return run


def _step_position(run: StepRun, steps: list[ProcessStep]) -> int:
    return next((s.position for s in steps if s.id == run.step_id), -1)


def _close(dossier: Dossier, at: datetime, outcome: Outcome, clock) -> None:
    dossier.outcome = outcome
    if dossier.result_ready_at is None:
        dossier.result_ready_at = at
    dossier.returned_at, dossier.status = at, int(DossierStatus.RETURNED)
    measure_dossier(dossier, clock)
    db.session.flush()


def request_supplement(dossier: Dossier, *, actor, reason: str, at: datetime | None = None,
                       now: datetime | None = None) -> SupplementRequest:
    """Mẫu 02: the dossier goes back to the applicant; the clock follows the dossier's policy."""
    _require(actor)
    now = now or utcnow()
    at = at or now
    if dossier.status != DossierStatus.IN_PROGRESS:
        raise Conflict(_("A supplement can only be requested while the dossier is in progress."))
    if not reason.strip():
        raise DomainError(_("Say what the applicant must supply."), field="reason")
    _check_time(at, now, dossier.received_at, _("The supplement request"))
    request = SupplementRequest(dossier_id=dossier.id, requested_at=at, reason=reason.strip(),
                                policy=dossier.supplement_policy)
    dossier.supplements.append(request)
    dossier.status = int(DossierStatus.SUPPLEMENT_REQUESTED)
    db.session.flush()
    return request


def complete_supplement(dossier: Dossier, *, actor, at: datetime | None = None,
                        now: datetime | None = None) -> SupplementRequest:
    """The complete dossier is back: the limit restarts from now (legal default) or the due date moves by
    the working time the applicant held it (pause policy)."""
    _require(actor)
    now = now or utcnow()
    at = at or now
    request = next((r for r in dossier.supplements if r.completed_at is None), None)
    if request is None or dossier.status != DossierStatus.SUPPLEMENT_REQUESTED:
        raise Conflict(_("No supplement is awaited for %(code)s.", code=dossier.code))
    _check_time(at, now, request.requested_at, _("The complete dossier"))
    clock = clock_for(dossier.convention)
    request.completed_at = at
    request.paused_units = clock.between(request.requested_at, at)
    if request.policy == SupplementPolicy.RESTART:
        dossier.due_at = appointment(dossier, clock, at)
    elif dossier.due_at is not None:
        dossier.due_at = clock.at(clock.clock(dossier.due_at) + request.paused_units)
    dossier.status = int(DossierStatus.IN_PROGRESS)
    run = running_step(dossier)
    if run is not None and request.policy == SupplementPolicy.RESTART:
        run.started_at = at  # the step starts again with the complete dossier
        measure_step(dossier, run, clock)
    db.session.flush()
    return request


def apologise(dossier: Dossier, *, actor, reason: str, new_due_at: datetime, at: datetime | None = None,
              signed_by: str = "", now: datetime | None = None) -> Apology:
    """Mẫu 04: at most once, at least one working day before the due date; the statistics keep the due date."""
    _require(actor)
    now = now or utcnow()
    at = at or now
    if db.session.scalar(select(Apology.id).where(Apology.dossier_id == dossier.id)) is not None:
        raise Conflict(_("An apology with a new date has already been issued for %(code)s; the law allows one.",
                         code=dossier.code))
    if not dossier.is_open or dossier.due_at is None:
        raise Conflict(_("Only a dossier in progress can get a new date."))
    if not reason.strip():
        raise DomainError(_("Give the reason for the delay."), field="reason")
    _check_time(at, now, dossier.received_at, _("The apology"))
    clock = clock_for(dossier.convention)
    if clock.between(at, dossier.due_at) < WORKING_DAY:
        raise DomainError(_("The apology must be issued at least one working day before the due date %(due)s.",
                            due=dossier.due_at.astimezone(clock.zone).strftime("%d/%m/%Y %H:%M")))
    if new_due_at <= dossier.due_at:
        raise DomainError(_("The new date must come after the due date."), field="new_due_at")
    apology = Apology(dossier_id=dossier.id, issued_at=at, reason=reason.strip(), new_due_at=new_due_at,
                      signed_by=signed_by.strip())
    dossier.extended_due_at = new_due_at
    db.session.add(apology)
    db.session.flush()
    return apology


def refuse(dossier: Dossier, *, actor, reason: str, at: datetime | None = None, now: datetime | None = None) -> None:
    """A refusal with its reasons: the refusal letter is the result; it is returned like any result."""
    _require(actor)
    now = now or utcnow()
    at = at or now
    if not dossier.is_open:
        raise Conflict(_("The dossier %(code)s is closed.", code=dossier.code))
    if not reason.strip():
        raise DomainError(_("Give the reasons for the refusal."), field="reason")
    _check_time(at, now, dossier.received_at, _("The refusal"))
    clock = clock_for(dossier.convention)
    run = running_step(dossier)
    if run is not None:
        run.finished_at, run.note = at, reason.strip()
        measure_step(dossier, run, clock)
    dossier.outcome, dossier.result_ready_at = Outcome.REFUSED, at
    dossier.status = int(DossierStatus.RESULT_READY)
    measure_dossier(dossier, clock)
    db.session.flush()


def return_result(dossier: Dossier, *, actor, at: datetime | None = None, now: datetime | None = None) -> None:
    """The result (or the refusal) is handed to the applicant: the dossier closes."""
    _require(actor)
    now = now or utcnow()
    at = at or now
    if dossier.status == DossierStatus.RETURNED:
        raise Conflict(_("The result of %(code)s has already been returned.", code=dossier.code))
    if dossier.result_ready_at is None and dossier.status != DossierStatus.IN_PROGRESS:
        raise Conflict(_("The dossier %(code)s has no result to return.", code=dossier.code))
    _check_time(at, now, dossier.result_ready_at or dossier.received_at, _("The return of the result"))
    clock = clock_for(dossier.convention)
    run = running_step(dossier)
    if run is not None:
        run.finished_at = at
        measure_step(dossier, run, clock)
    _close(dossier, at, dossier.outcome or Outcome.ISSUED, clock)


def end_dossier(dossier: Dossier, outcome: Outcome, *, actor, reason: str, at: datetime | None = None,
                now: datetime | None = None) -> None:
    """The applicant withdraws the dossier, or its handling is stopped (status 7 or 8)."""
    _require(actor)
    now = now or utcnow()
    at = at or now
    if outcome not in (Outcome.WITHDRAWN, Outcome.STOPPED):
        raise DomainError(_("Choose withdrawal or stop."))
    if not dossier.is_open:
        raise Conflict(_("The dossier %(code)s is closed.", code=dossier.code))
    if not reason.strip():
        raise DomainError(_("Give the reason."), field="reason")
    _check_time(at, now, dossier.received_at, _("The end of the dossier"))
    clock = clock_for(dossier.convention)  # before the step changes: building it queries (and would autoflush)
    run = running_step(dossier)
    if run is not None:
        run.finished_at, run.note = at, reason.strip()
        measure_step(dossier, run, clock)
    dossier.outcome = outcome
    dossier.status = int(DossierStatus.WITHDRAWN if outcome == Outcome.WITHDRAWN else DossierStatus.STOPPED)
    db.session.flush()
