"""An internal audit in progress for the tests of checklists, findings and the report (issue 6, second half).

On ``tests.audit_samples.setup_audit_world``: the postal licence's measured dossiers of May and June 2024
(``tests.analysis_samples``), an audit of BCVT and that procedure led by the senior auditor with the VP
auditor as member, the BCVT unit head as auditee; notified and started.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from audits import plan_services
from audits.checklist_builder import Period
from audits.workflow import Action
from qms.audit import log as audit_log
from qms.extensions import db
from qms.users.models import User
from tests import audit_samples
from tests.analysis_samples import add_sample_dossiers
from tests.process_samples import unit

MAY_JUNE = Period(date(2024, 5, 1), date(2024, 6, 30))
STARTED = datetime(2026, 10, 19, 2, 0, tzinfo=timezone.utc)


def audit_world(make_user) -> dict:
    people = audit_samples.setup_audit_world(make_user)
    head = people["head"]
    head.unit_id = unit("BCVT")
    add_sample_dossiers(people["version"])
    db.session.commit()
    people["outsider"] = db.session.get(User, make_user("unit_head", username="tuan.da", full_name="Đỗ Anh Tuấn",
                                                        unit_id=unit("VP")))
    return people


def running_audit(people, *, start: bool = True, clauses=("7.5", "8.2.3")):
    """The audit of BCVT and the postal licence, team set, auditee named; notified and (by default) started."""
    audit = audit_samples.new_audit(people, units=("BCVT",), procedures=[people["procedure"]], clauses=clauses)
    secretary = people["secretary"]
    with audit_log.acting_as(audit_log.Actor.of_user(secretary)):
        plan_services.set_team(audit, lead=people["a_senior"], members=[people["a_vp"]], actor=secretary)
        plan_services.set_auditees(audit, [people["head"]], actor=secretary)
        plan_services.move_audit(audit, Action.NOTIFY, actor=secretary, now=STARTED)
        if start:
            plan_services.move_audit(audit, Action.START, actor=secretary, now=STARTED)
        db.session.commit()
    return audit


def as_user(user):
    """The audit log's actor for service calls made in a test."""
    return audit_log.acting_as(audit_log.Actor.of_user(user))
