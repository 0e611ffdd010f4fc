"""The demo TTHC catalogue of issue 4: about ten procedures of a Sở TT&TT whose procedure documents carry
process maps adding up to their limits; QT-BC-01 shortened from 20 to 14 working days by its first amendment.

The demo goes through the real services and the signed document workflow, so loading it at all proves
that every map adds up (the workflow refuses to sign one that does not). One load for the whole module
of checks: it takes a while.
"""

from datetime import date

from sqlalchemy import func, select

from processes import queries
from processes.models import AdministrativeProcedure, BranchKind, ProcedureStatus, StepKind
from qms.audit import log as audit
from qms.audit.models import AuditEntry
from qms.documents.models import RevisionState
from qms.extensions import db
from qms.seeding import load_demo

WORKING_DAY = 480  # minutes


def _load():
    with audit.acting_as(audit.Actor.system("test")):
        report = load_demo()
        db.session.commit()
    return report


def _procedure(code: str) -> AdministrativeProcedure:
    return db.session.scalar(select(AdministrativeProcedure).where(AdministrativeProcedure.code == code))


def test_the_demo_catalogue_and_its_process_maps(ctx):
    _load()
    procedures = db.session.scalars(select(AdministrativeProcedure)).all()
    assert len(procedures) >= 9
    assert len({p.field for p in procedures}) >= 5
    assert all(p.legal_bases for p in procedures)  # every legal basis resolved in the external register

    # Both cases for the catalogue page: with and without a procedure document; one abolished.
    documented = [p for p in procedures if p.document_id is not None]
    assert len(documented) >= 8 and len(procedures) - len(documented) >= 1
    abolished = [p for p in procedures if p.status == ProcedureStatus.ABOLISHED]
    assert [p.code for p in abolished] == ["1.003725"] and abolished[0].abolished_on == date(2026, 7, 1)
    assert any(p.committed_limit_minutes is not None for p in procedures if p.code != "1.004470")

    # Every documented procedure has (or had, when abolished) a version in force adding up to its limit.
    for procedure in documented:
        when = date(2026, 6, 1) if procedure.status == ProcedureStatus.ABOLISHED else date(2026, 11, 22)
        version = queries.version_in_force_on(procedure.id, when)
        assert version is not None, procedure.code
        assert version.total_minutes == version.limit_minutes == procedure.target_minutes, procedure.code
        assert 5 <= len(version.steps) <= 10, procedure.code
        assert version.steps[0].kind == StepKind.RECEIVE and version.steps[-1].kind == StepKind.RETURN
        assert any(b.kind == BranchKind.SUPPLEMENT and b.from_step.code == "B1" for b in version.branches)

    # QT-BC-01: 20 working days, then 14 from 10/03/2026 (QĐ 145/QĐ-UBND: B3 15 → 9 days); its third
    # revision (online receipt, 01/09/2026) keeps the 14 days.
    postal = _procedure("1.004470")
    assert postal.document.code == "QT-BC-01"
    assert (postal.legal_limit_minutes, postal.committed_limit_minutes) == (20 * WORKING_DAY, 14 * WORKING_DAY)
    assert postal.internal_approval_no == "145/QĐ-UBND"
    first, second, *later = queries.versions_of(postal)
    assert first.revision.state == RevisionState.SUPERSEDED and first.limit_minutes == 20 * WORKING_DAY
    assert second.limit_minutes == second.total_minutes == 14 * WORKING_DAY
    assert [s.allotted_minutes // WORKING_DAY for s in first.steps if s.code == "B3"] == [15]
    assert [s.allotted_minutes // WORKING_DAY for s in second.steps if s.code == "B3"] == [9]
    assert "20 xuống 14 ngày làm việc" in second.revision.change_summary
    assert queries.version_in_force_on(postal.id, date(2026, 1, 15)).id == first.id
    assert queries.version_in_force_on(postal.id, date(2026, 4, 1)).id == second.id
    in_force = queries.current_version(postal)
    assert in_force.revision.state == RevisionState.EFFECTIVE and in_force.limit_minutes == 14 * WORKING_DAY
    assert all(v.limit_minutes == 14 * WORKING_DAY for v in later)
    assert {b.kind for b in first.branches} == {BranchKind.SUPPLEMENT, BranchKind.CONSULTATION, BranchKind.REFUSAL}

    # One map of ten steps over five lanes, for the readability of the drawing.
    sizes = {(len(v.steps), len({s.lane for s in v.steps})) for p in documented for v in queries.versions_of(p)}
    assert (10, 5) in sizes

    # A second load creates nothing and writes nothing to the audit log, whose chain stays intact.
    entries = db.session.scalar(select(func.count(AuditEntry.id)))
    again = _load()
    assert again.created == 0
    assert db.session.scalar(select(func.count(AuditEntry.id))) == entries
    assert audit.verify_chain(db.session).ok
