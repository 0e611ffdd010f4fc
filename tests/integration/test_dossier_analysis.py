"""The analysis of dossier timing (issue 5): hand-computed aggregates, bottlenecks, trend and the at-risk list.

The sample (``tests.analysis_samples``): five measured dossiers of the postal licence written as rows
with their measured times, so that every figure below can be checked by hand (480 units a working day).
"""

from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from processes.dossiers import analysis
from processes.dossiers.analysis import DAY, Filters
from processes.dossiers.at_risk import dossiers_at_risk
from processes.dossiers.models import DossierStatus, StepRun, Timeliness
from processes.dossiers.rollups import DossierBlock, StepRunBlock, refresh_rollups
from processes.dossiers.timing import clock_for
from qms.calendar.models import CountingConvention
from qms.extensions import db
from tests.analysis_samples import add_dossier, add_sample_dossiers, local
from tests.process_samples import approve, draft_first_version, setup_people, unit

MAY_JUNE = Filters(date(2024, 5, 1), date(2024, 6, 30))


@pytest.fixture
def people(ctx, make_user):
    return setup_people(make_user)


@pytest.fixture
def version(people):
    procedure, version = draft_first_version(people)
    approve(people, version, at=local(2024, 4, 1, 9, 0))
    return version


@pytest.fixture
def sample(version):
    add_sample_dossiers(version)
    refresh_rollups()
    db.session.commit()
    return version


def test_per_step_count_results_mean_median_p90_and_allotment(sample):
    rows = {s.info["code"]: s for s in analysis.step_stats(MAY_JUNE)}
    assert list(rows) == ["B1", "B3", "B5"]  # in the order of the map
    b3 = rows["B3"]
    assert (b3.count, b3.early, b3.on_time, b3.late) == (5, 2, 1, 2)
    assert b3.share(analysis.LATE) == pytest.approx(0.4) and b3.on_time_rate == pytest.approx(0.6)
    assert b3.mean == pytest.approx(14.4 * DAY) and b3.median == pytest.approx(14 * DAY)
    assert b3.p90 == pytest.approx(18.4 * DAY)
    assert b3.allotted == 14 * DAY and b3.ratio == pytest.approx(1.0)
    assert b3.excess == pytest.approx((2 + 6) * DAY)  # over the allotment in its late runs only
    b5 = rows["B5"]
    assert (b5.count, b5.late, b5.mean, b5.median, b5.p90) == (2, 1, 2 * DAY, 2 * DAY, pytest.approx(2.8 * DAY))
    assert rows["B1"].count == 6  # the withdrawn dossier's first step was measured too
    assert b3.info["procedure_code"] == "1.004470" and b3.info["unit"] == "BCVT" and b3.info["version_no"] == 1


def test_the_same_figures_as_numpy_on_the_rows(sample):
    used = np.array([10, 12, 14, 16, 20]) * DAY
    b3 = next(s for s in analysis.step_stats(MAY_JUNE) if s.info["code"] == "B3")
    assert (b3.median, b3.p90) == (pytest.approx(np.percentile(used, 50)), pytest.approx(np.percentile(used, 90)))
    stats = analysis.group_stats(np.array([7, 3, 7, 7, 3]), np.array([1.0, 5.0, 2.0, 4.0, 9.0]),
                                 np.array([0, 2, -1, 1, 2]))
    assert (stats[7].count, stats[7].early, stats[7].on_time, stats[7].late, stats[7].median) == (3, 1, 1, 0, 2.0)
    assert (stats[3].late, stats[3].mean, stats[3].p90) == (2, 7.0, pytest.approx(8.6))


def test_period_channel_unit_and_handler_filters(sample, version):
    june = Filters(date(2024, 6, 1), date(2024, 6, 30))
    b3 = next(s for s in analysis.step_stats(june) if s.info["code"] == "B3")
    assert (b3.count, b3.median) == (3, 16 * DAY)
    online = analysis.read_dashboard(Filters(date(2024, 5, 1), date(2024, 6, 30), channel="online"))
    assert [s.count for s in online.steps] == [1, 1, 1] and online.total.count == 1 and online.total.late == 1
    leaders = analysis.read_dashboard(Filters(date(2024, 5, 1), date(2024, 6, 30), unit_id=unit("LDS")))
    assert [s.info["code"] for s in leaders.steps] == ["B5"]
    hoa = analysis.read_dashboard(Filters(date(2024, 5, 1), date(2024, 6, 30), handler="Lê Thị Mai Hoa"))
    assert [(s.info["code"], s.count, s.median) for s in hoa.steps] == [("B3", 3, 14 * DAY)]
    mid_may = Filters(date(2024, 5, 16), date(2024, 6, 30))  # the May runs finished on the 15th
    assert next(s for s in analysis.step_stats(mid_may) if s.info["code"] == "B3").count == 3


def test_by_unit_handler_procedure_channel(sample):
    board = analysis.read_dashboard(MAY_JUNE)
    units = {s.info["name"]: s for s in board.units}
    assert (units["BCVT"].count, units["BCVT"].median) == (5, 14 * DAY)
    assert (units["BPMC"].count, units["LDS"].late) == (6, 1)
    handlers = {s.info["name"]: s for s in board.handlers}
    assert (handlers["Lê Thị Mai Hoa"].count, handlers["Lê Thị Mai Hoa"].median) == (3, 14 * DAY)
    assert (handlers["Trần Minh Khoa"].count, handlers["Trần Minh Khoa"].mean, handlers["Trần Minh Khoa"].late) \
        == (2, 14 * DAY, 1)
    (procedure,) = board.procedures
    assert (procedure.count, procedure.early, procedure.on_time, procedure.late) == (5, 2, 1, 2)
    assert procedure.allotted == 20 * DAY and procedure.info["code"] == "1.004470"
    total = board.total
    assert (total.mean, total.median, total.p90) == (18.8 * DAY, 20 * DAY, pytest.approx(23.8 * DAY))
    assert [(c.info["channel"], c.count, c.late) for c in board.channels] == [("in_person", 3, 0), ("post", 1, 1),
                                                                               ("online", 1, 1)]
    assert board.runs == 13


def test_trend_month_by_month(sample):
    months = analysis.read_dashboard(MAY_JUNE).months
    assert [(m.info["month"], m.count, m.on_time_rate) for m in months] == [("05/2024", 2, 1.0),
                                                                            ("06/2024", 3, pytest.approx(1 / 3))]


def test_bottlenecks_rank_the_steps_and_units_by_their_time_over_allotment(sample):
    board = analysis.read_dashboard(MAY_JUNE)
    steps = [(b.info["code"], b.excess, b.late_runs, b.first_late, b.late_dossiers) for b in board.bottleneck_steps]
    assert steps == [("B3", 8 * DAY, 2, 2, 2), ("B5", 1 * DAY, 1, 0, 2)]
    assert board.bottleneck_steps[0].share_of_late == 1.0
    assert [(b.info["name"], b.excess, b.first_late) for b in board.bottleneck_units] == [("BCVT", 8 * DAY, 2),
                                                                                         ("LDS", DAY, 0)]


def test_the_rollups_follow_new_and_finished_runs(sample, version):
    blocks = db.session.scalar(select(StepRunBlock.id).limit(1))
    assert blocks is not None and db.session.scalars(select(DossierBlock)).first() is not None
    assert not refresh_rollups().changed  # nothing new: nothing rewritten
    late_june = local(2024, 6, 25, 10, 0)
    running = add_dossier(version, "D7", ready=None, used_days=None, timeliness=None, status=DossierStatus.IN_PROGRESS,
                          runs=[("B3", None, None, None, "Ksor H'Nhi")])
    report = refresh_rollups()
    assert not report.changed  # a running step is not measured yet
    run = db.session.scalar(select(StepRun).where(StepRun.dossier_id == running.id))
    run.finished_at, run.used_units, run.result = late_june, 30 * DAY, Timeliness.LATE
    running.result_ready_at, running.status = late_june, int(DossierStatus.RESULT_READY)
    running.used_units, running.timeliness = 31 * DAY, Timeliness.LATE
    db.session.flush()
    report = refresh_rollups()
    assert (report.step_blocks, report.dossier_blocks) == (1, 1)  # B3 in June; the procedure in June
    db.session.commit()
    board = analysis.read_dashboard(MAY_JUNE)
    b3 = next(s for s in board.steps if s.info["code"] == "B3")
    assert (b3.count, b3.late, b3.median) == (6, 3, 15 * DAY)
    assert board.total.count == 6 and board.bottleneck_steps[0].first_late == 3
    incremental = [(s.key, s.count, s.median, s.p90) for s in analysis.step_stats(MAY_JUNE)]
    refresh_rollups(full=True)
    db.session.commit()
    assert [(s.key, s.count, s.median, s.p90) for s in analysis.step_stats(MAY_JUNE)] == incremental


def test_dossiers_at_risk_within_n_working_hours(version):
    """B3 is current after B1 and B2: its plan deadline is the due date less the 5 days of B4-B7."""
    due = local(2024, 5, 24, 16, 0)  # Friday: the plan wants B3 done by Friday 17/05 16:00
    done = [("B1", local(2024, 4, 22, 11, 0), 0.25, "early", "Thảo"), ("B2", local(2024, 4, 23, 9, 0), 0.5, "early",
                                                                        "Quang")]
    soon = add_dossier(version, "R1", ready=None, used_days=None, timeliness=None, due=due,
                       status=DossierStatus.IN_PROGRESS, runs=done)
    add_dossier(version, "R2", ready=None, used_days=None, timeliness=None, due=due + timedelta(days=14),
                status=DossierStatus.IN_PROGRESS, runs=done)
    late = add_dossier(version, "R3", ready=None, used_days=None, timeliness=None, due=local(2024, 5, 22, 16, 0),
                       status=DossierStatus.IN_PROGRESS, runs=done)
    add_dossier(version, "R4", ready=None, used_days=None, timeliness=None, due=local(2024, 5, 22, 16, 0),
                status=DossierStatus.SUPPLEMENT_REQUESTED, runs=done)  # waiting for the applicant
    db.session.commit()
    now = local(2024, 5, 17, 9, 0)
    found = dossiers_at_risk(None, within_hours=8, now=now)
    assert [item.code for item in found] == ["R3", "R1"]
    first, second = found
    assert first.dossier_id == late.id and first.is_late and first.step_code == "B3"
    assert first.step_deadline == local(2024, 5, 15, 16, 0)
    assert second.dossier_id == soon.id and not second.is_late
    assert second.step_deadline == local(2024, 5, 17, 16, 0)
    # 09:00-11:30 and 13:30-16:00: 300 of the day's 450 office minutes, 480 units a day
    assert second.left == pytest.approx(300 * 480 / 450) and second.hours_left == pytest.approx(16 / 3)
    clock = clock_for(CountingConvention.HOURS)
    assert first.left == pytest.approx(clock.clock(local(2024, 5, 15, 16, 0)) - clock.clock(now))
    assert [item.code for item in dossiers_at_risk(None, within_hours=4, now=now)] == ["R3"]
    wider = dossiers_at_risk(None, within_hours=200, now=now)
    assert [item.code for item in wider] == ["R3", "R1", "R2"]
    assert wider[2].step_deadline == local(2024, 5, 31, 16, 0)  # due 07/06 16:00 less five working days
    assert wider[2].left == pytest.approx(clock.clock(local(2024, 5, 31, 16, 0)) - clock.clock(now))


@pytest.mark.parametrize("size", [1, 2, 3, 10, 11, 1001])
def test_quantiles_from_a_partition_equal_numpys(size):
    values = np.random.default_rng(size).exponential(500, size)
    shuffled = values.copy()
    assert analysis.quantiles(shuffled) == [float(np.quantile(values, 0.5)), float(np.quantile(values, 0.9))]
    assert (shuffled == values).all()  # the caller's array is left as it was
