"""After new dossier records are committed (issue 5): the rollups are already up to date, so the analysis's first
read pays nothing, and the followers other domains register run each in its own transaction."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from processes.dossiers import recorded
from processes.dossiers.jobs import refresh_analysis_rollups
from processes.dossiers.models import StepRun
from processes.dossiers.rollups import RollupState, StepRunBlock
from qms.extensions import db
from tests.functional import test_dossier_pages as pages
from tests.functional.test_dossier_api import FIRST, _post, _token, mapped  # noqa: F401 - the fixture
from tests.functional.test_dossier_pages import procedure  # noqa: F401 - the fixture


def _rollups_seen(app) -> tuple[int, int, int]:
    with app.app_context():
        state = db.session.get(RollupState, 1)
        return (state.runs_seen if state else 0, db.session.scalar(select(func.max(StepRun.id))) or 0,
                db.session.scalar(select(func.count(StepRunBlock.id))))


def test_a_push_leaves_the_rollups_up_to_date(app, mapped, client):  # noqa: F811
    token = _token(app)
    assert _post(client, token, FIRST).status_code == 200
    seen, last_run, blocks = _rollups_seen(app)
    assert last_run > 0 and seen == last_run and blocks > 0  # no dashboard was read


def test_listeners_run_after_the_commit_and_one_failing_stops_no_other(app, mapped, client,  # noqa: F811
                                                                       monkeypatch):
    calls, logged = [], []
    monkeypatch.setattr(recorded.log, "exception", lambda message, *args: logged.append(message % args))

    def broken(since):
        raise RuntimeError("broken listener")

    def counting(since):
        calls.append((since, db.session.scalar(select(func.count(StepRun.id)))))

    monkeypatch.setitem(app.extensions, recorded.EXTENSION, [])
    recorded.listen(app, broken)
    recorded.listen(app, counting)
    recorded.listen(app, counting)  # registered once
    token = _token(app)
    assert _post(client, token, FIRST).status_code == 200
    assert calls == [(datetime(2024, 4, 25, 7, 30, tzinfo=timezone.utc), 3)]  # the committed records, from their receipt, once
    assert logged == ["listener broken of recorded dossiers failed"]


def test_the_job_refreshes_what_no_path_did(app, mapped):  # noqa: F811
    from tests.analysis_samples import add_sample_dossiers
    from processes.models import ProcessVersion

    with app.app_context():
        add_sample_dossiers(db.session.scalar(select(ProcessVersion)))
        db.session.commit()
        summary = refresh_analysis_rollups(datetime(2026, 11, 23, 1, tzinfo=timezone.utc))
        db.session.commit()
        assert "rollups refreshed" in summary
    seen, last_run, blocks = _rollups_seen(app)
    assert seen == last_run and blocks > 0


def test_a_browser_action_leaves_the_rollups_up_to_date(app, procedure):  # noqa: F811
    """Finishing steps in the browser refreshes the rollups after the commit: the analysis, which trusts them for
    a few minutes between reads, shows the new runs at once."""
    officer = pages._as(app, "thao.nt")
    pages.receive(officer, procedure)
    assert officer.client.get("/analysis/").status_code == 200  # a read: the rollups trusted from now on
    pages.hand_over_all(officer, pages.dossier_of(app).id)
    seen, last_run, blocks = _rollups_seen(app)
    assert last_run > 0 and seen == last_run and blocks > 0
