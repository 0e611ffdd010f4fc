"""Late dossiers raise nonconformities by themselves (issue 7): one per procedure and step with every late
dossier attached, nothing new on a re-import through the real import path, the margin and the grouping
window of the ISO secretary's rules, a new nonconformity once the previous one has ended, and an import
never refused because of it."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from nonconformities import late_dossiers
from nonconformities.late_dossiers import raise_from_late_dossiers
from nonconformities.late_dossiers_rules import update_rules
from nonconformities.models import NcSource, NcStatus, Nonconformity, NonconformityEvidence, NonconformityRules
from processes.dossiers.models import Dossier, StepRun, Timeliness
from qms.audit import log as audit
from qms.extensions import db
from qms.timeutil import utcnow
from tests.integration.test_dossier_import import EVENT_HEADER, HANDOVERS, local, run, write
from tests.process_samples import approve, draft_first_version, setup_people

P1, P2 = "1.004470", "1.004471"
# B3 (14 working days) finished on 05/06 instead of 17/05: B3 overran, the dossier is late (due 27/05).
LATE_AT_B3 = HANDOVERS[:2] + ["05/06/2024 16:00", "06/06/2024 10:15", "07/06/2024 09:20", "07/06/2024 14:30",
                              "10/06/2024 08:00"]
# B5 (2 working days) signed on 30/05 instead of 23/05: B5 overran, the dossier is late.
LATE_AT_B5 = HANDOVERS[:4] + ["30/05/2024 10:00", "30/05/2024 15:00", "31/05/2024 09:00"]


@pytest.fixture
def people(ctx, make_user):
    return setup_people(make_user)


@pytest.fixture
def procedures(people):
    """Two procedures with the same seven-step map (DOMAIN.md 9.3), in force since 01/04/2024."""
    made = []
    for code, name in ((P1, "Cấp giấy phép bưu chính (phạm vi nội tỉnh)"),
                       (P2, "Sửa đổi, bổ sung giấy phép bưu chính")):
        procedure, version = draft_first_version(people, code=code, name=name)
        approve(people, version, at=local(2024, 4, 1, 9, 0))
        made.append(procedure)
    return made


def rows(code: str, procedure: str, times: list[str]) -> list[str]:
    return [f"{code};{procedure};25/04/2024 14:30;{times[-1]};B{n};{at};Hoàn thành;Nguyễn Thị Thảo"
            for n, at in enumerate(times, start=1)]


def batch_file(tmp_path, name="tre-han.csv", count=3):
    """Per procedure: *count* dossiers late at B3, two late at B5, one on time (13 late dossiers for 2 × 2 steps)."""
    lines = [EVENT_HEADER]
    for procedure in (P1, P2):
        for n in range(count):
            lines += rows(f"{procedure}-B3-{n}", procedure, LATE_AT_B3)
        for n in range(2):
            lines += rows(f"{procedure}-B5-{n}", procedure, LATE_AT_B5)
        lines += rows(f"{procedure}-OK", procedure, HANDOVERS)
    return write(tmp_path, name, lines)


def late_ncs() -> list[Nonconformity]:
    db.session.expire_all()
    return list(db.session.scalars(select(Nonconformity).where(Nonconformity.source == NcSource.LATE_DOSSIER)
                                   .order_by(Nonconformity.id)))


def attached(nc: Nonconformity) -> set[str]:
    return {evidence.dossier.code for evidence in nc.evidence}


def evidence_count() -> int:
    return db.session.scalar(select(func.count(NonconformityEvidence.id)))


def set_rules(people, **values):
    base = {"raise_on_late_dossier": True, "raise_on_late_step": True, "late_step_margin_hours": 0,
            "grouping_window_days": 30, "default_severity": "minor", "effectiveness_after_working_days": 20,
            "reminder_lead_working_days": 3, "escalate_unit_head_after_working_days": 3,
            "escalate_director_after_working_days": 5, "default_action_working_days": 10}
    with audit.acting_as(audit.Actor.of_user(people["secretary"])):
        update_rules(base | values, actor=people["secretary"])
        db.session.commit()


def by_key(ncs) -> dict[tuple[str, str], Nonconformity]:
    return {(nc.procedure.code, nc.step.code): nc for nc in ncs}


def test_a_batch_import_opens_one_nonconformity_per_procedure_and_step_and_a_reimport_changes_nothing(
        people, procedures, tmp_path):
    path = batch_file(tmp_path)
    first = run(path, people)  # the real import path: the hook raises after the import's commit
    assert first.dossiers_created == 12
    late = db.session.scalar(select(func.count(Dossier.id)).where(Dossier.timeliness == Timeliness.LATE))
    assert late == 10
    ncs = late_ncs()
    assert len(ncs) == 4
    found = by_key(ncs)
    assert set(found) == {(P1, "B3"), (P1, "B5"), (P2, "B3"), (P2, "B5")}
    for procedure in (P1, P2):
        assert attached(found[(procedure, "B3")]) == {f"{procedure}-B3-{n}" for n in range(3)}
        assert attached(found[(procedure, "B5")]) == {f"{procedure}-B5-{n}" for n in range(2)}
    b3 = found[(P1, "B3")]
    assert b3.status == NcStatus.NEW and b3.unit.code == "BCVT" and b3.severity.value == "minor"
    assert found[(P1, "B5")].unit.code == "LDS"
    assert b3.code.startswith("NC-") and "Thẩm định hồ sơ" in b3.title
    assert "3" in b3.description and P1 in b3.description
    assert all(e.step_run_id is not None and e.kind.value == "dossier" for e in b3.evidence)

    again = run(path, people)  # the same file again: no new dossier, no new NC, no new evidence
    assert again.dossiers_created == 0
    assert len(late_ncs()) == 4 and evidence_count() == 10
    assert str(raise_from_late_dossiers(now=utcnow())).startswith("0 nonconformity(ies) opened, 0 late dossier")


def test_later_late_dossiers_join_the_open_nonconformity_and_only_once(people, procedures, tmp_path):
    run(batch_file(tmp_path, count=1), people)
    assert len(late_ncs()) == 4 and evidence_count() == 6
    more = write(tmp_path, "them.csv", [EVENT_HEADER] + rows("P1-B3-later", P1, LATE_AT_B3))
    run(more, people)
    ncs = late_ncs()
    assert len(ncs) == 4
    assert "P1-B3-later" in attached(by_key(ncs)[(P1, "B3")])
    assert evidence_count() == 7


def test_the_step_rule_keeps_to_the_margin(people, procedures, tmp_path):
    # B3 overran by about 14 working days (112 h), B5 by about 3 days (24 h): only the step rule is on
    set_rules(people, raise_on_late_dossier=False, late_step_margin_hours=40)
    run(batch_file(tmp_path, count=1), people)
    assert set(by_key(late_ncs())) == {(P1, "B3"), (P2, "B3")}
    set_rules(people, raise_on_late_dossier=False, late_step_margin_hours=0)
    raise_from_late_dossiers(now=utcnow())
    assert set(by_key(late_ncs())) == {(P1, "B3"), (P2, "B3"), (P1, "B5"), (P2, "B5")}


def test_a_step_late_only_because_of_the_steps_before_it_is_not_held_against_it(people, procedures, tmp_path):
    set_rules(people, raise_on_late_dossier=False)
    run(write(tmp_path, "b3.csv", [EVENT_HEADER] + rows("X", P1, LATE_AT_B3)), people)
    runs = {r.step_code: r for r in db.session.scalars(select(StepRun))}
    assert runs["B4"].result == Timeliness.LATE and runs["B4"].used_units <= runs["B4"].allotted_units
    assert set(by_key(late_ncs())) == {(P1, "B3")}


def test_nothing_is_raised_when_both_rules_are_off(people, procedures, tmp_path):
    set_rules(people, raise_on_late_dossier=False, raise_on_late_step=False)
    run(batch_file(tmp_path, count=1), people)
    assert late_ncs() == []


def test_outside_the_grouping_window_a_new_nonconformity_is_opened(people, procedures, tmp_path):
    set_rules(people, grouping_window_days=10)
    run(write(tmp_path, "a.csv", [EVENT_HEADER] + rows("A", P1, LATE_AT_B3)), people)
    (old,) = late_ncs()
    old.raised_at = utcnow() - timedelta(days=11)
    db.session.commit()
    run(write(tmp_path, "b.csv", [EVENT_HEADER] + rows("B", P1, LATE_AT_B3)), people)
    ncs = late_ncs()
    assert len(ncs) == 2 and attached(ncs[0]) == {"A"} and attached(ncs[1]) == {"B"}
    set_rules(people, grouping_window_days=30)  # within the window again: C joins the newest
    run(write(tmp_path, "c.csv", [EVENT_HEADER] + rows("C", P1, LATE_AT_B3)), people)
    ncs = late_ncs()
    assert len(ncs) == 2 and attached(ncs[1]) == {"B", "C"}


@pytest.mark.parametrize("ending", ["closed", "rejected"])
def test_once_the_nonconformity_has_ended_the_next_late_dossier_opens_a_new_one(people, procedures, tmp_path,
                                                                                  ending):
    run(write(tmp_path, "a.csv", [EVENT_HEADER] + rows("A", P1, LATE_AT_B3)), people)
    (first,) = late_ncs()
    end(first, people, ending)
    raise_from_late_dossiers(now=utcnow())  # A is attached already: nothing moves
    assert len(late_ncs()) == 1
    run(write(tmp_path, "b.csv", [EVENT_HEADER] + rows("B", P1, LATE_AT_B3)), people)
    ncs = late_ncs()
    assert len(ncs) == 2 and ncs[0].status.value == ending and attached(ncs[0]) == {"A"}
    assert ncs[1].status == NcStatus.NEW and attached(ncs[1]) == {"B"}


def end(nc: Nonconformity, people, ending: str) -> None:
    """Close (with an effective check) or reject *nc* directly: the workflow's own tests walk the services."""
    from nonconformities.models import EffectivenessCheck

    now = utcnow()
    if ending == "rejected":
        nc.status, nc.status_reason = NcStatus.REJECTED, "Không thuộc phạm vi"
    else:
        check = EffectivenessCheck(nc_id=nc.id, checked_by_id=people["secretary"].id, checked_at=now,
                                   is_effective=True, comment="Đã hiệu quả")
        db.session.add(check)
        db.session.flush()
        nc.plan_approved_by_id, nc.plan_approved_at = people["head"].id, now
        nc.status, nc.is_closed, nc.closed_at, nc.closed_by_id = NcStatus.CLOSED, True, now, people["secretary"].id
        nc.closed_check_id, nc.closed_check_is_effective = check.id, True
    db.session.commit()


def test_an_import_is_never_refused_because_of_the_nonconformities(people, procedures, tmp_path, monkeypatch):
    calls = []

    def broken(**kwargs):
        calls.append(kwargs)
        raise RuntimeError("boom")

    monkeypatch.setattr(late_dossiers, "raise_from_late_dossiers", broken)
    done = run(batch_file(tmp_path, count=1), people)
    assert done.status.value == "done" and done.dossiers_created == 8
    assert len(calls) == 1 and calls[0]["since"] == local(2024, 4, 25, 14, 30)  # the import's earliest receipt
    assert late_ncs() == []
    monkeypatch.undo()
    from nonconformities.jobs import raise_late_dossier_nonconformities  # the daily job catches up

    assert raise_late_dossier_nonconformities(utcnow()).startswith("4 nonconformity(ies) opened, 6 late dossier")
    assert len(late_ncs()) == 4


def test_the_rules_are_saved_by_the_iso_secretary_only_and_audited(people):
    from qms.audit.models import AuditEntry
    from qms.errors import DomainError, Forbidden

    set_rules(people, grouping_window_days=45)
    assert db.session.get(NonconformityRules, 1).grouping_window_days == 45
    with pytest.raises(Forbidden):
        update_rules({}, actor=people["head"])
    with pytest.raises(DomainError):
        update_rules({"grouping_window_days": -1}, actor=people["secretary"])
    db.session.rollback()
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.object_type == "nonconformity_rules")) >= 1
