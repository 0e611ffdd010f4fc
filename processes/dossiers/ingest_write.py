"""What ``ingest`` reads and changes of the dossiers already recorded, in the caller's transaction.

The dossiers of a batch already recorded are read by code (a few hundred at a time on SQLite, an
array a batch on PostgreSQL), with the keys of their recorded events (a re-import skips them),
their next position and the dates a later import may bring; those dates are then written with one
UPDATE per dossier, measured again. The new rows go in through ``ingest_target``.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from processes.dossiers.ingest_batch import datetime_of, epoch_of, sql_timestamps
from processes.dossiers.ingest_runs import Known, judge_dossiers, status_of
from processes.dossiers.models import Dossier, DossierStatus, Outcome, StepRun, SupplementRequest
from qms.extensions import db

CHUNK = 900  # bound parameters per IN (...): below SQLite's old limit of 999


def _where_in(column, values: list):
    """``column IN values`` in chunks the database takes: one array on PostgreSQL, 900 parameters on SQLite."""
    if db.session.get_bind().dialect.name == "postgresql":
        yield column == any_(bindparam("values", values, type_=ARRAY(column.type)))
        return
    for start in range(0, len(values), CHUNK):
        yield column.in_(values[start:start + CHUNK])


def known_dossiers(codes: list[str], *, with_starts: bool = False) -> dict[str, Known]:
    """The dossiers already recorded among *codes*: their plan and dates, event keys, next position, last finish,
    open steps, and (*with_starts*: the batch has start events) when each recorded step started."""
    found: dict[str, Known] = {}
    unique = list(dict.fromkeys(code for code in codes if code))
    for condition in _where_in(Dossier.code, unique) if unique else ():
        rows = db.session.execute(select(Dossier.id, Dossier.code, Dossier.due_at, Dossier.result_ready_at,
                                         Dossier.returned_at, Dossier.received_at, Dossier.outcome,
                                         Dossier.timeliness_point, Dossier.procedure_id, Dossier.version_id)
                                  .where(condition))
        for row in rows:
            found[row.code] = Known(row.id, set(), 0, epoch_of(row.due_at), epoch_of(row.result_ready_at),
                                    epoch_of(row.returned_at), epoch_of(row.received_at),
                                    row.outcome.value if row.outcome else None, row.timeliness_point.value,
                                    procedure_id=row.procedure_id, version_id=row.version_id)
    by_id = {known.id: known for known in found.values()}
    ids = list(by_id)
    for condition in _where_in(SupplementRequest.dossier_id, ids) if ids else ():
        for dossier_id in db.session.scalars(select(SupplementRequest.dossier_id).distinct().where(condition)):
            by_id[dossier_id].has_supplements = True
    for condition in _where_in(StepRun.dossier_id, ids) if ids else ():
        for dossier_id, key in db.session.execute(select(StepRun.dossier_id, StepRun.event_key).where(condition)):
            by_id[dossier_id].keys.add(key)
        # set-based: one row per dossier, whatever its number of steps
        for dossier_id, position, finished, started in db.session.execute(
                select(StepRun.dossier_id, func.max(StepRun.position), func.max(StepRun.finished_at),
                       func.max(StepRun.started_at)).where(condition).group_by(StepRun.dossier_id)):
            known = by_id[dossier_id]
            known.next_position = position + 1
            known.last_finished = epoch_of(finished)
            known.last_event = max(known.last_finished, epoch_of(started)) if finished is not None \
                else epoch_of(started)
        for dossier_id, run_id, code, activity, started in db.session.execute(
                select(StepRun.dossier_id, StepRun.id, StepRun.step_code, StepRun.activity, StepRun.started_at)
                .where(condition, StepRun.finished_at.is_(None))):
            by_id[dossier_id].open[code or activity] = (run_id, epoch_of(started))
        if with_starts:
            for dossier_id, code, activity, started in db.session.execute(
                    select(StepRun.dossier_id, StepRun.step_code, StepRun.activity, StepRun.started_at)
                    .where(condition)):
                by_id[dossier_id].starts.add((code or activity, epoch_of(started)))
    return found


def close_runs(rows: list[tuple]) -> None:
    """Close open step runs: (finished at, used, result, event key, handler, run id) from ``close_rows``; the
    completion's key replaces the start's, its handler the recorded one when it names one."""
    if not rows:
        return
    dialect, raw = _raw_connection()
    mark = "%s" if dialect == "postgresql" else "?"
    raw.cursor().executemany(f"UPDATE step_runs SET finished_at = {mark}, used_units = {mark}, result = {mark}, "
                             f"event_key = {mark}, handler = coalesce(nullif({mark}, ''), handler) "
                             f"WHERE id = {mark} AND finished_at IS NULL", rows)


def _raw_connection():
    db.session.flush()
    connection = db.session.connection()
    return connection.dialect.name, connection.connection.dbapi_connection


def update_known(changes: list[tuple[Known, float, float, str]], clock, now_text: str) -> None:
    """Dates a later import brings for dossiers already recorded (result ready, returned, outcome), measured again.

    *changes* holds (known dossier, ready, returned, outcome) of the input for dossiers that get a date they did
    not have. Written with one UPDATE per dossier in ``executemany``; a dossier with supplement requests is
    measured by ``timing.measure_dossier`` (its pauses count).
    """
    rows = []
    for known, ready, returned, outcome in changes:
        if known.has_supplements:
            _update_one(known.id, ready, returned, outcome, clock)
            continue
        new_ready = known.result_ready_at if known.result_ready_at == known.result_ready_at else ready
        new_returned = known.returned_at if known.returned_at == known.returned_at else returned
        status, outcome = status_of(returned, ready, outcome)
        if new_returned == new_returned:
            status = DossierStatus.RETURNED
        if new_ready != new_ready and status in (DossierStatus.RESULT_READY, DossierStatus.RETURNED):
            new_ready = new_returned
        point = new_returned if known.timeliness_point == "returned" else \
            (new_ready if new_ready == new_ready else new_returned)
        rows.append((new_ready, new_returned, int(status), known.outcome or outcome or None, point, known))
    if not rows:
        return
    used, verdicts = judge_dossiers(np.array([row[5].received_at for row in rows]), np.array([row[4] for row in rows]),
                                    np.array([row[5].due_at for row in rows]), clock)
    ready_text, returned_text = sql_timestamps([r[0] for r in rows]), sql_timestamps([r[1] for r in rows])
    values = [(ready_text[k], returned_text[k], row[2], row[3], used[k], verdicts[k], now_text, row[5].id)
              for k, row in enumerate(rows)]
    dialect, raw = _raw_connection()
    mark = "%s" if dialect == "postgresql" else "?"
    cursor = raw.cursor()
    cursor.executemany(f"UPDATE dossiers SET result_ready_at = {mark}, returned_at = {mark}, status = {mark}, "
                       f"outcome = {mark}, used_units = {mark}, timeliness = {mark}, updated_at = {mark} "
                       f"WHERE id = {mark}", values)


def _update_one(dossier_id: int, ready: float, returned: float, outcome: str, clock) -> None:
    from processes.dossiers.timing import measure_dossier

    dossier = db.session.get(Dossier, dossier_id)
    for key, value in (("result_ready_at", ready), ("returned_at", returned)):
        if value == value and getattr(dossier, key) is None:
            setattr(dossier, key, datetime_of(value))
    status, outcome = status_of(returned, ready, outcome)
    if dossier.returned_at is not None:
        status = DossierStatus.RETURNED
    if dossier.result_ready_at is None and status in (DossierStatus.RESULT_READY, DossierStatus.RETURNED):
        dossier.result_ready_at = dossier.returned_at
    dossier.status, dossier.outcome = int(status), dossier.outcome or (Outcome(outcome) if outcome else None)
    measure_dossier(dossier, clock)
    db.session.flush()
