"""The demo's nonconformities (issue 7): the three told by hand, then the demo's late dossiers raised by the
agency's rules, one nonconformity per procedure and step with every late dossier attached once; a second load
changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from nonconformities.models import NcSource, Nonconformity, NonconformityEvidence, NonconformityRules
from processes.dossiers.models import Dossier, Timeliness
from qms.audit import log as audit
from qms.extensions import db
from qms.seeding import load_demo


def _load():
    with audit.acting_as(audit.Actor.system("test")):
        load_demo()
        db.session.commit()


def _counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(Nonconformity.id))),
            db.session.scalar(select(func.count(NonconformityEvidence.id))))


def test_the_demo_late_dossiers_make_one_nonconformity_per_procedure_and_step(ctx):
    _load()
    assert db.session.get(NonconformityRules, 1).late_step_margin_hours == 8
    raised = db.session.scalars(select(Nonconformity).where(Nonconformity.source == NcSource.LATE_DOSSIER)).all()
    keys = [(nc.procedure_id, nc.step_id) for nc in raised]
    assert len(raised) > 3 and len(keys) == len(set(keys))  # one per procedure and step
    b3 = next(nc for nc in raised if nc.code == "NC-2026-002")  # the one in progress, told by hand
    attached = db.session.scalars(select(NonconformityEvidence.dossier_id).where(
        NonconformityEvidence.nc_id == b3.id, NonconformityEvidence.dossier_id.is_not(None))).all()
    assert len(attached) > 10 and len(attached) == len(set(attached))
    late = set(db.session.scalars(select(Dossier.id).where(Dossier.timeliness == Timeliness.LATE)))
    evidence = set(db.session.scalars(select(NonconformityEvidence.dossier_id).where(
        NonconformityEvidence.dossier_id.is_not(None))))
    assert late <= evidence  # every late dossier is evidence somewhere
    before = _counts()
    _load()
    assert _counts() == before
