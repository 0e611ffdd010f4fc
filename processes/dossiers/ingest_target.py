"""Where ``ingest`` writes: plain tuples through the DB-API connection of the caller's transaction, in a thread.

Multi-row INSERTs on SQLite, ``COPY`` on PostgreSQL: a million step runs in seconds, nothing committed
before the caller commits. The database's share of the work (constraints, indexes, foreign keys)
runs in a writer thread while the next batch is prepared: SQLite and psycopg release the
interpreter while the database works, so the two cores of a small server both work. The writer
uses the raw connection only, never the session; the preparing side touches the database only
while the writer is idle (``Writer.wait``).

New dossiers get their ids before they are written (PostgreSQL: from the sequence, through a
connection of their own, as sequences are outside transactions; SQLite: after the largest, once
this transaction holds the database's only write lock), so their step runs can be prepared at once.

A large import into tables not much larger than itself drops the secondary indexes of the dossier tables
once it is large (on PostgreSQL also the foreign keys of ``step_runs``) and builds them again, sorted, before
it ends: three times faster than row by row. The DDL of both databases is transactional: a rollback, or a
process killed half-way, brings them back with everything else.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from itertools import chain

import numpy as np

from processes.dossiers.ingest_runs import DOSSIER_COLUMNS, RUN_COLUMNS, RUN_CONSTANTS
from qms.extensions import db

THREAD_EVENTS = 5_000  # from this many events in a batch, writing runs in its own thread
BULK_ROWS = 100_000  # step runs of one import from which SQLite rebuilds the indexes once instead of row by row
BULK_CACHE_KIB = 131_072  # SQLite's page cache during a large import (128 MiB)
ROWS_PER_STATEMENT = 500  # SQLite: rows of one INSERT (fewer if the statement would pass SQLite's limit of variables)


class Target:
    """The caller's transaction seen as a DB-API connection: reserve ids, insert dossiers and step runs."""

    def __init__(self, constants: dict):
        db.session.flush()
        connection = db.session.connection()
        self.dialect = connection.dialect.name
        self.raw = connection.connection.dbapi_connection
        self.constants = constants
        self.next_id: int | None = None
        self.inserted, self.dropped, self.cache = 0, [], None
        self._sequence = None

    # Ids (the preparing thread, writer idle) -------------------------------------------------------

    def reserve_ids(self, count: int) -> np.ndarray:
        if self.dialect == "postgresql":
            return self._sequence_ids(count)
        if self.next_id is None:
            cursor = self.raw.cursor()
            cursor.execute("UPDATE dossiers SET id = id WHERE id < 0")  # takes SQLite's write lock now
            self.next_id = (cursor.execute("SELECT coalesce(max(id), 0) FROM dossiers").fetchone()[0]) + 1
        ids = np.arange(self.next_id, self.next_id + count, dtype=np.int64)
        self.next_id += count
        return ids

    def _sequence_ids(self, count: int) -> np.ndarray:
        if self._sequence is None:
            self._sequence = db.engine.connect()
        result = self._sequence.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('dossiers', 'id')) FROM generate_series(1, %(n)s)", {"n": count})
        ids = np.array([row[0] for row in result], dtype=np.int64)
        self._sequence.commit()
        return ids

    def close(self) -> None:
        if self._sequence is not None:
            self._sequence.close()
            self._sequence = None

    # Writing (the writer thread) -------------------------------------------------------------------

    def insert_dossiers(self, rows: list[tuple]) -> None:
        """Insert new dossiers: tuples of their id and ``DOSSIER_COLUMNS``; the import's constants for the rest."""
        if not rows:
            return
        columns = ("id",) + DOSSIER_COLUMNS + tuple(self.constants)
        if self.dialect == "postgresql":
            same = tuple(self.constants.values())
            self._copy("dossiers", columns, (row + same for row in rows))
            return
        values = ", ".join(["?"] * (len(DOSSIER_COLUMNS) + 1) + [_literal(v) for v in self.constants.values()])
        self._insert_many("dossiers", columns, f"({values})", rows)

    def insert_runs(self, rows: list[tuple]) -> None:
        """Insert step runs (``RUN_COLUMNS`` tuples; the columns of ``RUN_CONSTANTS`` get their constant)."""
        if not rows:
            return
        self._grow(len(rows))
        constants = tuple(RUN_CONSTANTS.values())
        columns = RUN_COLUMNS + tuple(RUN_CONSTANTS)
        if self.dialect == "postgresql":
            self._copy("step_runs", columns, (row + constants for row in rows))
            return
        values = ", ".join(["?"] * len(RUN_COLUMNS) + [_literal(v) for v in constants])
        self._insert_many("step_runs", columns, f"({values})", rows)

    def _insert_many(self, table: str, columns: tuple[str, ...], row_sql: str, rows: list[tuple]) -> None:
        """SQLite: many rows per INSERT statement. Each statement runs with the interpreter released, so the
        writer thread seldom waits for it while the next batch is prepared (row by row it waited at every row,
        and the two threads took turns instead of working together); SQLite also does less work per row."""
        width = len(rows[0])
        variables = self.raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per_statement = max(1, min(ROWS_PER_STATEMENT, variables // width))
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        whole = len(rows) - len(rows) % per_statement
        cursor = self.raw.cursor()
        if whole:
            cursor.executemany(head + ", ".join([row_sql] * per_statement),
                               (tuple(chain.from_iterable(rows[start:start + per_statement]))
                                for start in range(0, whole, per_statement)))
        if whole < len(rows):
            cursor.execute(head + ", ".join([row_sql] * (len(rows) - whole)), tuple(chain.from_iterable(rows[whole:])))

    def _copy(self, table: str, columns: tuple[str, ...], rows) -> None:
        with self.raw.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def _grow(self, count: int) -> None:
        self.inserted += count
        if self.dropped or self.inserted < BULK_ROWS:
            return
        cursor = self.raw.cursor()
        existing = cursor.execute("SELECT coalesce(max(id), 0) FROM step_runs").fetchone()[0]
        if existing > 4 * self.inserted:
            return  # a small import into a large table: cheaper row by row
        if self.dialect == "postgresql":
            self._drop_on_postgresql(cursor)
            return
        self.cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        for table in ("step_runs", "dossiers"):
            for name, sql in cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                            "AND sql IS NOT NULL", (table,)).fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                self.dropped.append(sql)

    def _drop_on_postgresql(self, cursor) -> None:
        """The indexes that back no constraint and the foreign keys of ``step_runs`` (a trigger query per row and
        key: a third of the server's work), dropped until ``restore_indexes``. The foreign keys come back
        validated in one join, the unique index of the event keys checks them all at once; until the commit
        the import holds ``step_runs`` alone (readers wait for it), as a bulk load does."""
        for table in ("step_runs", "dossiers"):
            cursor.execute("SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON "
                           "i.oid = x.indexrelid WHERE x.indrelid = %s::regclass AND NOT EXISTS "
                           "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)", (table,))
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                self.dropped.append(definition)
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = 'step_runs'::regclass AND contype = 'f'")
        for name, definition in cursor.fetchall():
            cursor.execute(f'ALTER TABLE step_runs DROP CONSTRAINT "{name}"')
            self.dropped.append(f'ALTER TABLE step_runs ADD CONSTRAINT "{name}" {definition}')

    def restore_indexes(self) -> None:
        """The indexes (and on PostgreSQL the foreign keys) dropped for a large import, built again once."""
        if not self.dropped:
            return
        cursor = self.raw.cursor()
        for sql in self.dropped:
            cursor.execute(sql)
        self.dropped = []
        if self.dialect == "sqlite":
            cursor.execute(f"PRAGMA cache_size = {self.cache}")


def _literal(value) -> str:
    """An SQL literal for the constants of an import (our own values: enums, ids, time stamps, the source)."""
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


class Writer:
    """Runs the writes of one batch in a thread while the next batch is prepared, one batch ahead at most.

    Inline (no thread) for small batches: the ingest API's pushes and the tests write as they go.
    """

    def __init__(self, threaded: bool):
        self.threaded = threaded
        self._jobs: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = None
        if threaded:
            self._thread = threading.Thread(target=self._work, name="ingest-writer", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    job()
            except BaseException as error:  # noqa: BLE001 - handed to the preparing thread, which raises it
                self._error = error
            finally:
                self._jobs.task_done()

    def submit(self, job: Callable[[], None]) -> None:
        self._raise()
        if not self.threaded:
            job()
            return
        self._jobs.put(job)

    def wait(self) -> None:
        """Until every job submitted is written (the session's connection is then free)."""
        if self.threaded:
            self._jobs.join()
        self._raise()

    def close(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error
