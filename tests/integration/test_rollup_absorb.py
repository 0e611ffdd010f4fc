"""The rollups fed by a bulk import (issue 5): the blocks it merges hold exactly the rows a rebuild finds, the
state moves past the import's rows, and an import that touches recorded dossiers leaves it to the refresh."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
from sqlalchemy import select

from processes.dossiers.ingest import StepEvent
from processes.dossiers.rollups import (
    DOSSIER_COLUMNS,
    STEP_COLUMNS,
    DossierBlock,
    RollupState,
    StepRunBlock,
    refresh_rollups,
)
from qms.extensions import db
from tests.integration.test_dossier_ingest import local, people, procedure, run, sample  # noqa: F401 - fixtures


def _content() -> dict:
    """Every block as the sorted rows it holds (handler codes decoded): comparable whatever the order."""
    content = {}
    for block in db.session.scalars(select(StepRunBlock)):
        names = json.loads(block.handlers)
        columns = {name: np.frombuffer(getattr(block, name), dtype=dtype) for name, dtype in STEP_COLUMNS.items()}
        rows = zip(*(columns[name].tolist() for name in STEP_COLUMNS if name != "handler"),
                   (names[code] for code in columns["handler"].tolist()))
        content[("step", block.step_id, block.month)] = (block.runs, sorted(rows))
    for block in db.session.scalars(select(DossierBlock)):
        columns = [np.frombuffer(getattr(block, name), dtype=dtype).tolist() for name, dtype in DOSSIER_COLUMNS.items()]
        content[("dossier", block.procedure_id, block.month)] = (block.dossiers, sorted(zip(*columns)))
    return content


def _state() -> tuple:
    state = db.session.get(RollupState, 1)
    return (state.runs_seen, state.dossiers_seen, sorted(np.frombuffer(state.open_runs, "<i8").tolist()),
            sorted(np.frombuffer(state.open_dossiers, "<i8").tolist()))


def _dossier(number: int, *, shift_days: int, late: bool = False, open_: bool = False):
    """A dossier of 1.004470 received *shift_days* after 25/04/2024; B3 a week late when *late*; without its last
    three steps and result when *open_*."""
    shift = timedelta(days=shift_days)
    events = []
    for event in sample().events:
        at = event.at + shift + (timedelta(days=7) if late and event.activity not in ("B1", "B2") else timedelta())
        events.append(StepEvent(activity=event.activity, at=at, handler=f"Chuyên viên {number % 3}"))
    extra = {"result_ready_at": None, "returned_at": None} if open_ else \
        {"result_ready_at": events[-2].at, "returned_at": events[-1].at}
    return sample(code=f"000.00.17.H99-2404{25 + shift_days % 5:02d}-{number:04d}", events=events[:4] if open_
                  else events, received_at=local(2024, 4, 25, 14, 30) + shift, **extra)


def test_an_import_leaves_the_rollups_as_a_rebuild_would(people, procedure):  # noqa: F811
    run([_dossier(1, shift_days=0)])
    refresh_rollups()
    db.session.commit()
    before = _content()
    run([_dossier(n, shift_days=n % 20, late=n % 4 == 0, open_=n % 9 == 0) for n in range(2, 60)])
    absorbed, state = _content(), _state()
    assert absorbed != before  # it wrote: merged into the block of the first dossier's months, and new ones
    assert state[0] == db.session.scalar(select(db.func.max(db.text("id"))).select_from(db.table("step_runs")))
    assert state[3]  # the dossiers it added still in progress are watched
    refresh_rollups()  # nothing left to read
    db.session.commit()
    assert _content() == absorbed
    refresh_rollups(full=True)
    db.session.commit()
    rebuilt = _content()
    assert rebuilt == absorbed
    assert _state() == state


def test_a_later_event_of_a_recorded_dossier_is_left_to_the_refresh(people, procedure):  # noqa: F811
    first = _dossier(1, shift_days=0, open_=True)
    run([first])
    refresh_rollups()
    db.session.commit()
    generation = db.session.get(RollupState, 1).generation
    run([_dossier(1, shift_days=0)])  # the same dossier, now finished
    assert db.session.get(RollupState, 1).generation == generation  # not absorbed
    refresh_rollups()
    db.session.commit()
    refreshed = _content()
    refresh_rollups(full=True)
    db.session.commit()
    assert _content() == refreshed
