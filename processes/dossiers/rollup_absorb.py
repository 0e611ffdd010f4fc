"""The rollups fed by a bulk import as it writes (ISO 9001:2008 8.4): no second read of a million step runs.

``rollups.refresh_rollups`` finds what is new by reading it back from the tables; after an import of a
million events that read alone takes seconds. The import already holds every value the rollups keep,
so ``Absorber`` takes them batch by batch as compact columns (a few bytes a run) and, before the
import's transaction ends, merges them into the blocks of the (step, month) and (procedure, month)
pairs they fall in and moves the rollups' state past the new rows: the analysis is up to date in the
same commit as the data, and its first read after an import costs nothing more.

It only does so when it can be exact: the rollups were up to date before the import (the state had
seen every row), and the import only added dossiers and their runs (a later event of a dossier
already recorded changes rows the rollups may have read: then ``refresh_rollups`` does it the usual
way after the commit). The blocks it writes hold the same rows as a rebuild (a test compares them).
"""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy import insert, select, text as sql, tuple_

from processes.dossiers.ingest_runs import DOSSIER_COLUMNS as DOSSIER_ROW, RUN_COLUMNS
from processes.dossiers.rollups import (
    CHANNELS,
    DOSSIER_COLUMNS,
    RESULTS,
    STEP_COLUMNS,
    TERMINAL,
    DossierBlock,
    RollupState,
    StepRunBlock,
    _codes,
    _days,
    _groups,
    _months,
)
from qms.extensions import db
from qms.timeutil import utcnow

_RUN = {name: i for i, name in enumerate(RUN_COLUMNS)}
_DOSSIER = {name: i + 1 for i, name in enumerate(DOSSIER_ROW)}  # the rows start with the dossier's id


def _epoch(texts) -> np.ndarray:
    """Epoch seconds of the import's naive-UTC timestamp texts (None: -1), as the rollups floor them."""
    values = np.array([t if t is not None else "NaT" for t in texts], dtype="datetime64[us]")
    return np.where(np.isnat(values), -1, values.astype("datetime64[s]").astype("<i8"))


def _seconds(epochs: np.ndarray) -> np.ndarray:
    """``_epoch`` of instants given as epoch seconds (NaN: -1): rounded to the microsecond as they are stored."""
    micros = np.round(np.where(np.isnan(epochs), 0.0, epochs) * 1_000_000).astype("<i8")
    return np.where(np.isnan(epochs), -1, micros // 1_000_000)


def _ids(values) -> np.ndarray:
    """Ids that may be None (0), as int64."""
    return np.nan_to_num(np.array(values, dtype="<f8"), nan=0.0).astype("<i8")


class Absorber:
    """The new rows of one import, as the rollups keep them, until ``write``."""

    def __init__(self, timeliness_point: str):
        self.point_is_returned = timeliness_point == "returned"
        self.usable = True
        self.runs_before = self.dossiers_before = 0
        state = db.session.get(RollupState, 1)
        if state is None:
            self.usable = False  # the first refresh builds everything
            return
        self.runs_before = db.session.scalar(sql("SELECT COALESCE(MAX(id), 0) FROM step_runs"))
        self.dossiers_before = db.session.scalar(sql("SELECT COALESCE(MAX(id), 0) FROM dossiers"))
        self.usable = state.runs_seen == self.runs_before and state.dossiers_seen == self.dossiers_before
        self.names: dict[str, int] = {}
        self.runs: list[dict[str, np.ndarray]] = []
        self.dossiers: list[dict[str, np.ndarray]] = []
        self.channel_of: dict[int, int] = {}

    def give_up(self) -> None:
        """The import touched rows the rollups may have read: leave it to ``refresh_rollups``."""
        self.usable = False
        self.runs = self.dossiers = []

    def take(self, dossier_rows: list[tuple], run_rows: list[tuple], finished: np.ndarray) -> None:
        """Keep the columns the rollups need of one batch's new dossiers and runs (*finished*: when each run
        finished, epoch seconds, NaN when open)."""
        if not self.usable:
            return
        if dossier_rows:
            columns = list(zip(*dossier_rows))
            ids = np.array(columns[0], dtype="<i8")
            channels = _codes(columns[_DOSSIER["channel"]], CHANNELS)
            self.channel_of.update(zip(columns[0], channels.tolist()))
            ready = _epoch(columns[_DOSSIER["result_ready_at"]])
            returned = _epoch(columns[_DOSSIER["returned_at"]])
            point = returned if self.point_is_returned else np.where(ready >= 0, ready, returned)
            self.dossiers.append({
                "id": ids, "procedure": _ids(columns[_DOSSIER["procedure_id"]]), "point": point,
                "used": np.array(columns[_DOSSIER["used_units"]], dtype="<f8"),  # None: NaN
                "limit_units": np.nan_to_num(np.array(columns[_DOSSIER["limit_minutes"]], dtype="<f8"), nan=0.0),
                "result": _codes(columns[_DOSSIER["timeliness"]], RESULTS),
                "channel": channels})
        if run_rows:
            columns = list(zip(*run_rows))  # one pass over the rows, then whole columns
            names = self.names
            for name in dict.fromkeys(columns[_RUN["handler"]]):  # "" when none: run_rows never writes None
                names.setdefault(name, len(names))
            self.runs.append({
                "dossier": np.array(columns[_RUN["dossier_id"]], dtype="<i8"),
                "position": np.array(columns[_RUN["position"]], dtype="<i8"),
                "step": _ids(columns[_RUN["step_id"]]),
                "finished": _seconds(finished),
                "used": np.array(columns[_RUN["used_units"]], dtype="<f8"),  # None: NaN
                "result": _codes(columns[_RUN["result"]], RESULTS),
                "unit": _ids(columns[_RUN["unit_id"]]).astype("<i4"),
                "handler": np.fromiter(map(names.__getitem__, columns[_RUN["handler"]]), dtype="<i4",
                                       count=len(run_rows))})

    def write(self) -> bool:
        """Merge what was taken into the blocks and move the state past the import's rows; False when it left
        the work to ``refresh_rollups``. Call it after the last batch is written, before the commit."""
        if not self.usable:
            return False
        runs_max = db.session.scalar(sql("SELECT COALESCE(MAX(id), 0) FROM step_runs"))
        dossiers_max = db.session.scalar(sql("SELECT COALESCE(MAX(id), 0) FROM dossiers"))
        taken_runs = sum(len(part["step"]) for part in self.runs)
        if runs_max - self.runs_before != taken_runs or \
                dossiers_max - self.dossiers_before != sum(len(part["id"]) for part in self.dossiers):
            return False  # someone else wrote meanwhile: read it all back the usual way
        state = db.session.get(RollupState, 1, with_for_update=True)
        if state is None or state.runs_seen != self.runs_before or state.dossiers_seen != self.dossiers_before:
            return False
        generation = state.generation + 1
        runs = {name: np.concatenate([part[name] for part in self.runs]) for name in self.runs[0]} \
            if self.runs else None
        dossiers = {name: np.concatenate([part[name] for part in self.dossiers]) for name in self.dossiers[0]} \
            if self.dossiers else None
        written = 0
        if runs is not None:
            written += self._merge_steps(runs, generation)
        if dossiers is not None:
            written += self._merge_dossiers(dossiers, runs, generation)
        open_runs = db.session.scalars(sql("SELECT id FROM step_runs WHERE id > :before AND finished_at IS NULL"),
                                       {"before": self.runs_before}).all()
        open_dossiers = db.session.scalars(sql(f"SELECT id FROM dossiers WHERE id > :before AND used_units IS NULL "
                                               f"AND status NOT IN {TERMINAL}"), {"before": self.dossiers_before}).all()
        if written:
            state.generation = generation
        state.runs_seen, state.dossiers_seen = runs_max, dossiers_max
        # the rows still open before the import stay open: it added rows, it changed none
        state.open_runs = (state.open_runs or b"") + np.array(open_runs, dtype="<i8").tobytes()
        state.open_dossiers = (state.open_dossiers or b"") + np.array(open_dossiers, dtype="<i8").tobytes()
        state.refreshed_at = utcnow()
        db.session.flush()
        return True

    def _merge_steps(self, runs: dict, generation: int) -> int:
        keep = (runs["finished"] >= 0) & (runs["step"] > 0)
        if not keep.any():
            return 0
        names = list(self.names)  # the import's handler codes; a block keeps the names its runs use
        channel_of = self.channel_of
        columns = {"day": _days(runs["finished"][keep]), "used": runs["used"][keep], "result": runs["result"][keep],
                   "channel": np.array([channel_of.get(d, -1) for d in runs["dossier"][keep].tolist()], dtype="i1"),
                   "unit": runs["unit"][keep], "handler": runs["handler"][keep]}
        steps, months = runs["step"][keep], _months(runs["finished"][keep])
        groups = list(_groups(steps, months, None))
        existing = self._existing(StepRunBlock, StepRunBlock.step_id, [key for key, _index in groups])
        blocks = []
        for key, index in groups:
            part = {name: values[index] for name, values in columns.items()}
            old = existing.get(key)
            if old is not None:  # the block's own names become codes of the import's list
                recode = np.array([self.names.setdefault(name, len(self.names)) for name in json.loads(old.handlers)]
                                  + [0], dtype="<i4")
                names = list(self.names)
                previous = {name: np.frombuffer(getattr(old, name), dtype=dtype)
                            for name, dtype in STEP_COLUMNS.items() if name != "handler"}
                previous["handler"] = recode[np.frombuffer(old.handler, dtype="<i4")]
                part = {name: np.concatenate([previous[name], part[name]]) for name in part}
            present, codes = np.unique(part["handler"], return_inverse=True)
            block = {name: part[name].astype(dtype).tobytes() for name, dtype in STEP_COLUMNS.items()
                     if name != "handler"}
            block["handler"] = codes.astype("<i4").tobytes()
            blocks.append({"step_id": key[0], "month": key[1], "generation": generation, "runs": len(part["day"]),
                           "handlers": json.dumps([names[c] for c in present.tolist()], ensure_ascii=False), **block})
        self._replace(StepRunBlock, StepRunBlock.step_id, existing, blocks)
        return len(blocks)

    def _merge_dossiers(self, dossiers: dict, runs: dict | None, generation: int) -> int:
        keep = ~np.isnan(dossiers["used"]) & (dossiers["procedure"] > 0) & (dossiers["point"] >= 0)
        if not keep.any():
            return 0
        ids = dossiers["id"][keep]
        columns = {"day": _days(dossiers["point"][keep]), "used": dossiers["used"][keep],
                   "limit_units": dossiers["limit_units"][keep], "result": dossiers["result"][keep],
                   "channel": dossiers["channel"][keep],
                   "late_step": _first_late_steps(ids, dossiers["result"][keep] == 2, runs)}
        groups = list(_groups(dossiers["procedure"][keep], _months(dossiers["point"][keep]), None))
        existing = self._existing(DossierBlock, DossierBlock.procedure_id, [key for key, _index in groups])
        blocks = []
        for key, index in groups:
            part = {name: values[index] for name, values in columns.items()}
            old = existing.get(key)
            if old is not None:
                part = {name: np.concatenate([np.frombuffer(getattr(old, name), dtype=DOSSIER_COLUMNS[name]),
                                              part[name]]) for name in part}
            blocks.append({"procedure_id": key[0], "month": key[1], "generation": generation,
                           "dossiers": len(part["day"]),
                           **{name: part[name].astype(dtype).tobytes() for name, dtype in DOSSIER_COLUMNS.items()}})
        self._replace(DossierBlock, DossierBlock.procedure_id, existing, blocks)
        return len(blocks)

    @staticmethod
    def _existing(model, owner_column, keys: list[tuple[int, int]]) -> dict:
        found = {}
        for start in range(0, len(keys), 400):
            chunk = keys[start:start + 400]
            for block in db.session.scalars(select(model).where(tuple_(owner_column, model.month).in_(chunk))):
                found[(getattr(block, owner_column.key), block.month)] = block
        return found

    @staticmethod
    def _replace(model, owner_column, existing: dict, blocks: list[dict]) -> None:
        for block in existing.values():
            db.session.delete(block)
        db.session.flush()
        if blocks:
            db.session.execute(insert(model), blocks)


def _first_late_steps(ids: np.ndarray, is_late: np.ndarray, runs: dict | None) -> np.ndarray:
    """For each dossier of *ids* that is late: the step of its first run (by position) recorded late; else 0
    (as ``rollups._first_late_steps``: where a late dossier fell behind)."""
    if runs is None:
        return np.zeros(len(ids), dtype="<i8")
    late = (runs["result"] == 2) & (runs["step"] > 0)
    dossier, position, step = runs["dossier"][late], runs["position"][late], runs["step"][late]
    order = np.lexsort((position, dossier))
    dossier, step = dossier[order], step[order]
    first_of, first_index = np.unique(dossier, return_index=True)
    lookup = dict(zip(first_of.tolist(), step[first_index].tolist()))
    return np.array([lookup.get(i, 0) if late else 0 for i, late in zip(ids.tolist(), is_late.tolist())],
                    dtype="<i8")
