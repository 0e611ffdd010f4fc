"""What follows the commit of new dossier records (ISO 9001:2008 8.4): the rollups brought up to date, then the
other domains told (``recorded.announce``: the nonconformities raised by late dossiers).

Every input path (the .xlsx/.csv import, the XES import, the push API) takes ``recorded.take_mark()`` before it
writes and calls ``records_committed(mark)`` after its own commit, outside its transaction: what follows can
never undo or refuse the records. A bulk import of new dossiers has already fed the rollups in its own
transaction (``rollup_absorb``), so the refresh then finds nothing to read; after a later event of a recorded
dossier it reads what changed. The analysis pages and the scheduler's job ``dossiers.refresh_rollups`` still
refresh, so nothing depends on this having run.
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from processes.dossiers import recorded
from processes.dossiers.rollups import RollupState, refresh_rollups
from qms.extensions import db

#: How long a read of the analysis trusts the rollups without looking for changes: every path that records
#: dossiers refreshes them after its commit, so this only bounds what a path outside the app could leave.
READ_TRUST_SECONDS = 300.0
_checked: dict[tuple[str, int], float] = {}  # (database, rollups' lineage) → when a read last refreshed


def _refresh() -> None:
    try:
        refresh_rollups()
        db.session.commit()
    except (IntegrityError, OperationalError):  # a concurrent refresh won: it has done the work
        db.session.rollback()


def records_committed(mark: recorded.Mark | None = None) -> None:
    """Refresh the rollups, then call the listeners of ``recorded`` with what was written after *mark*."""
    _refresh()
    recorded.announce(mark)


def dossier_changed(dossier_id: int) -> None:
    """After a browser action on one dossier is committed: the rollups, then the listeners if it is late."""
    _refresh()
    recorded.announce_dossier(dossier_id)


def rollups_for_reading() -> None:
    """Before the analysis reads: refresh unless a read of this process did within ``READ_TRUST_SECONDS`` (a
    no-op refresh still reads the open rows' ids, a tenth of a second on a large database)."""
    lineage = db.session.scalar(select(RollupState.lineage).where(RollupState.id == 1))
    key = (str(db.engine.url), lineage or 0)
    if lineage is not None and time.monotonic() - _checked.get(key, float("-inf")) < READ_TRUST_SECONDS:
        return
    _refresh()
    lineage = db.session.scalar(select(RollupState.lineage).where(RollupState.id == 1))
    _checked[(str(db.engine.url), lineage or 0)] = time.monotonic()
