"""The effectiveness check of a late-dossier nonconformity shows its step's timeliness before and after the
actions (issue 7), computed from the measured step runs of tests/analysis_samples.py (B3: 14 working days).

Plan approved and last action done on 01/06/2024, checked on 01/07/2024: both windows are 30 days long.
Before (May): B3 used 10 and 12 days, both early. After (June): 14 (on time), 16 and 20 days (late).
"""

from datetime import timedelta

import pytest
from flask import render_template
from flask_babel import force_locale

from nonconformities.models import ActionStatus, CorrectiveAction, NcSource, NcStatus, Nonconformity
from nonconformities.timeliness_compare import compare_step_timeliness
from processes.dossiers.analysis import DAY
from qms.extensions import db
from tests.analysis_samples import add_sample_dossiers, local, step
from tests.process_samples import approve, draft_first_version, setup_people, unit

DONE = local(2024, 6, 1, 0, 0)
NOW = local(2024, 7, 1, 0, 0)


@pytest.fixture
def nc(ctx, make_user):
    people = setup_people(make_user)
    procedure, version = draft_first_version(people)
    approve(people, version, at=local(2024, 4, 1, 9, 0))
    add_sample_dossiers(version)
    b3 = step(version, "B3")
    nc = Nonconformity(code="NC-2024-001", title="Hồ sơ trễ hạn ở bước B3", source=NcSource.LATE_DOSSIER,
                       unit_id=unit("BCVT"), procedure_id=procedure.id, step_id=b3.id, status=NcStatus.IN_PROGRESS,
                       plan_approved_by_id=people["head"].id, plan_approved_at=DONE, raised_at=DONE - timedelta(days=40))
    db.session.add(nc)
    db.session.flush()
    action = CorrectiveAction(nc_id=nc.id, description="Bổ sung người thẩm định", owner_id=people["specialist"].id,
                              due_on=DONE.date())
    db.session.add(action)
    db.session.flush()
    action.status, action.nc_open_guard, action.completed_at = ActionStatus.DONE, None, DONE
    db.session.commit()
    return nc


def test_before_and_after_windows_of_the_same_length(nc):
    comparison = compare_step_timeliness(nc, now=NOW)
    before, after = comparison.before, comparison.after
    assert (before.start, before.end) == (DONE - timedelta(days=30), DONE)
    assert (after.start, after.end) == (DONE, NOW)
    assert (before.count, before.on_time, before.late, before.on_time_share) == (2, 2, 0, 1.0)
    assert before.median == pytest.approx(11 * DAY) and before.p90 == pytest.approx(11.8 * DAY)
    assert (after.count, after.on_time, after.late) == (3, 1, 2)
    assert after.median == pytest.approx(16 * DAY) and after.p90 == pytest.approx(19.2 * DAY)
    assert after.allotted == 14 * DAY and after.median_ratio == pytest.approx(16 / 14)
    assert comparison.improved is False and comparison.share_change == pytest.approx(1 / 3 - 1)


def test_before_any_action_is_done_there_is_no_after_window(nc):
    action = nc.actions[0]
    action.status, action.nc_open_guard, action.completed_at = ActionStatus.OPEN, False, None
    db.session.commit()
    comparison = compare_step_timeliness(nc, now=NOW)
    assert comparison.after is None and comparison.improved is None
    assert comparison.before.end == DONE and comparison.before.count == 2  # May, up to the approval


def test_a_nonconformity_without_a_step_has_no_comparison(nc):
    nc.step_id = None
    db.session.flush()
    assert compare_step_timeliness(nc, now=NOW) is None


def test_the_partial_shows_both_windows(app, nc, monkeypatch):
    import nonconformities.rules_views as rules_views

    monkeypatch.setattr(rules_views, "utcnow", lambda: NOW)
    with app.test_request_context("/"), force_locale("en"):
        html = render_template("nonconformities/_timeliness_compare.html", nc=nc)
    assert 'data-testid="timeliness-before"' in html and 'data-testid="timeliness-after"' in html
    assert "100 %" in html and "33 %" in html and "-67 percentage points" in html
    assert "B3 Thẩm định hồ sơ" in html
