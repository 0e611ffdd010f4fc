"""Concurrent writers append to one chain: the head row is locked FOR UPDATE (PostgreSQL)."""

import threading

import pytest
from sqlalchemy import func, select

from qms.audit import log as audit
from qms.audit.models import AuditEntry
from qms.extensions import db
from qms.org.models import UnitKind
from qms.org.services import save_unit
from qms.permissions import SYSTEM_ACTOR


def test_concurrent_transactions_never_fork_the_chain(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers itself")
    errors = []
    start = threading.Barrier(4)

    def writer(worker: int):
        try:
            with app.app_context(), audit.acting_as(audit.Actor.system(f"worker-{worker}")):
                start.wait()
                for i in range(10):
                    save_unit(None, {"code": f"W{worker}-{i}", "name": f"Đơn vị {worker}-{i}",
                                     "kind": UnitKind.OFFICE}, actor=SYSTEM_ACTOR)
                    db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 40
        result = audit.verify_chain(db.session)
        assert result.ok, result.message
