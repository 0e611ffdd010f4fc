"""The audit log: automatic entries with before/after, append-only, tamper-evident chain (issue 2)."""

import json

import pytest
from sqlalchemy import select, text

from qms.audit import log as audit
from qms.audit.models import AuditEntry
from qms.extensions import db
from qms.org.models import Unit, UnitKind
from qms.org.services import save_unit
from qms.permissions import SYSTEM_ACTOR


def _add_units(count=3):
    with audit.acting_as(audit.Actor.system("test")):
        for i in range(count):
            save_unit(None, {"code": f"U{i}", "name": f"Phòng số {i}", "kind": UnitKind.SPECIALIST},
                      actor=SYSTEM_ACTOR)
        db.session.commit()


def _entries():
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()


def test_create_and_update_are_logged_with_before_and_after(ctx):
    _add_units(1)
    unit = db.session.scalar(select(Unit))
    with audit.acting_as(audit.Actor(None, "thư ký", "10.0.0.7")):
        unit.name = "Phòng Bưu chính – Viễn thông"
        db.session.commit()
    created, updated = _entries()
    assert created.action == "units.create" and created.object_id == str(unit.id)
    assert json.loads(created.changes)["after"]["name"] == "Phòng số 0"
    changes = json.loads(updated.changes)
    assert updated.action == "units.update"
    assert changes["before"] == {"name": "Phòng số 0"}
    assert changes["after"] == {"name": "Phòng Bưu chính – Viễn thông"}
    assert (updated.actor_name, updated.ip) == ("thư ký", "10.0.0.7")
    assert updated.prev_hash == created.hash


def test_rolled_back_changes_leave_no_entry(ctx):
    _add_units(1)
    unit = db.session.scalar(select(Unit))
    unit.name = "Tạm"
    db.session.flush()
    db.session.rollback()
    assert len(_entries()) == 1
    assert audit.verify_chain(db.session).ok


def test_entries_cannot_be_edited_or_deleted_through_the_orm(ctx):
    _add_units(1)
    entry = _entries()[0]
    entry.summary = "sửa"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(_entries()[0])
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


def test_password_hashes_never_reach_the_log(ctx, make_user):
    make_user("admin", username="quantri")
    for entry in _entries():
        assert "password_hash" not in entry.changes
        assert "argon2" not in entry.changes


def test_verify_passes_on_an_intact_chain(app):
    with app.app_context():
        _add_units(3)
    result = app.test_cli_runner().invoke(args=["audit-log", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK: 3 entries" in result.output


def test_changing_one_byte_of_one_row_is_detected_and_named(app):
    with app.app_context():
        _add_units(3)
        victim = _entries()[1]
        seq, entry_id = victim.seq, victim.id
        db.session.execute(text("UPDATE audit_entries SET summary = :s WHERE id = :id"),
                           {"s": victim.summary[:-1] + "X", "id": victim.id})
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit-log", "verify"])
    assert result.exit_code == 1
    assert f"seq={seq} id={entry_id}" in result.output
    assert "altered" in result.output


def test_changing_the_action_is_detected(app):
    with app.app_context():
        _add_units(2)
        victim_id = _entries()[0].id
        db.session.execute(text("UPDATE audit_entries SET action = 'units.delete' WHERE id = :id"),
                           {"id": victim_id})
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit-log", "verify"])
    assert result.exit_code == 1 and f"seq=1 id={victim_id}" in result.output


def test_deleting_a_row_in_the_middle_is_detected(app):
    with app.app_context():
        _add_units(3)
        victim_id = _entries()[1].id
        db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": victim_id})
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit-log", "verify"])
    assert result.exit_code == 1
    assert "removed" in result.output and "expected seq 2" in result.output


def test_deleting_the_last_row_is_detected(app):
    with app.app_context():
        _add_units(3)
        victim_id = _entries()[-1].id
        db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": victim_id})
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit-log", "verify"])
    assert result.exit_code == 1 and "truncated" in result.output


def test_a_forged_row_inserted_in_the_middle_is_detected(app):
    with app.app_context():
        _add_units(3)
        entries = _entries()
        # Make room by renumbering, as a forger would, then insert a plausible entry.
        db.session.execute(text("UPDATE audit_entries SET seq = -seq WHERE seq >= 2"))
        db.session.execute(text("UPDATE audit_entries SET seq = 1 - seq WHERE seq < 0"))
        forged = {c: getattr(entries[0], c) for c in ("occurred_at", "actor_name", "ip", "action", "object_type",
                                                       "object_id", "summary", "changes")}
        db.session.execute(AuditEntry.__table__.insert().values(
            seq=2, prev_hash=entries[0].hash, hash="f" * 64, **forged))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit-log", "verify"])
    assert result.exit_code == 1
    assert "seq=2" in result.output
