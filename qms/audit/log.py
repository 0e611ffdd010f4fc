"""Writing and verifying the audit log (ISO 9001:2008 clause 4.2.4: records stay legible and intact).

Two ways in, both in the caller's transaction:
- automatically: every insert, update and delete of a model marked ``__audited__`` is
  written at flush time with the changed fields before and after;
- explicitly: ``record(...)`` for events that are not row changes (login, failed login,
  lock, role change, export).

Each entry stores ``prev_hash`` and ``hash = SHA-256(canonical content)``, where the
canonical content includes ``prev_hash`` and the entry's sequence number. ``verify_chain``
walks the chain and names the first entry that was altered, inserted or removed.
"""

from __future__ import annotations

import contextvars
import enum
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.orm import Session, attributes

from qms.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry
from qms.timeutil import utcnow

# Fields every model has that say nothing by themselves.
_NOISE_FIELDS = frozenset({"updated_at"})


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user (id and name) or the system, and from which address."""

    user_id: int | None
    name: str
    ip: str = ""

    @classmethod
    def of_user(cls, user, ip: str = "") -> Actor:
        return cls(user.id, f"{user.username} ({user.full_name})", ip)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(None, name, "")


SYSTEM = Actor.system()
_current_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("qms_audit_actor", default=SYSTEM)


def set_actor(actor: Actor) -> contextvars.Token:
    """Make *actor* the author of the entries written from now on in this context."""
    return _current_actor.set(actor)


def reset_actor(token: contextvars.Token) -> None:
    _current_actor.reset(token)


def current_actor() -> Actor:
    return _current_actor.get()


@contextmanager
def acting_as(actor: Actor):
    """Context manager for CLI commands, jobs and tests: entries inside are written as *actor*."""
    token = set_actor(actor)
    try:
        yield actor
    finally:
        reset_actor(token)


# Canonical form ---------------------------------------------------------------------------------


def to_jsonable(value):
    """Turn a column value into plain JSON (stable across databases)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (float, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    return str(value)


def canonical_json(data) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _timestamp(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(fields: dict) -> str:
    """SHA-256 over the canonical content of an entry, its ``prev_hash`` and ``seq`` included."""
    content = {
        "seq": fields["seq"],
        "occurred_at": _timestamp(fields["occurred_at"]),
        "actor_id": fields["actor_id"],
        "actor_name": fields["actor_name"],
        "ip": fields["ip"],
        "action": fields["action"],
        "object_type": fields["object_type"],
        "object_id": fields["object_id"],
        "summary": fields["summary"],
        "changes": fields["changes"],
        "prev_hash": fields["prev_hash"],
    }
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


# Appending ------------------------------------------------------------------------------------------


def _append(connection, *, action, object_type="", object_id="", summary="", before=None, after=None,
            actor: Actor | None = None, now: datetime | None = None) -> None:
    """Append one entry to the chain on *connection*, inside the caller's transaction."""
    actor = actor or current_actor()
    now = now or utcnow()
    head_table = AuditChainHead.__table__
    head = connection.execute(
        select(head_table.c.last_seq, head_table.c.last_hash).where(head_table.c.id == 1).with_for_update()
    ).first()
    if head is None:
        connection.execute(insert(head_table).values(id=1, last_seq=0, last_hash=GENESIS_HASH))
        last_seq, last_hash = 0, GENESIS_HASH
    else:
        last_seq, last_hash = head
    fields = {
        "seq": last_seq + 1,
        "occurred_at": now,
        "actor_id": actor.user_id,
        "actor_name": actor.name[:120],
        "ip": actor.ip[:64],
        "action": action,
        "object_type": object_type,
        "object_id": "" if object_id is None else str(object_id),
        "summary": (summary or "")[:500],
        "changes": canonical_json({"before": to_jsonable(before or {}), "after": to_jsonable(after or {})}),
        "prev_hash": last_hash,
    }
    fields["hash"] = entry_hash(fields)
    connection.execute(insert(AuditEntry.__table__).values(**fields))
    connection.execute(
        update(head_table).where(head_table.c.id == 1).values(last_seq=fields["seq"], last_hash=fields["hash"])
    )


def record(session: Session, action: str, obj=None, *, object_type: str = "", object_id=None,
           summary: str = "", before: dict | None = None, after: dict | None = None,
           actor: Actor | None = None) -> None:
    """Write an explicit entry (login, lock, role change, export...) in *session*'s transaction."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else _pk(obj)
    _append(session.connection(), action=action, object_type=object_type, object_id=object_id,
            summary=summary, before=before, after=after, actor=actor)


def tag(session: Session, obj, action: str, summary: str = "") -> None:
    """Name the automatic entry of *obj*'s next flushed change (``user.deactivated`` rather than ``users.update``)."""
    session.info.setdefault("qms_audit_tags", {})[id(obj)] = (action, summary)


# Automatic entries --------------------------------------------------------------------------------


def _column_keys(obj) -> list[str]:
    mapper = inspect(obj).mapper
    excluded = getattr(obj, "__audit_exclude__", frozenset())
    return [attr.key for attr in mapper.column_attrs if attr.key not in excluded]


def _row_change(obj, kind: str) -> tuple[dict, dict] | None:
    keys = _column_keys(obj)
    if kind == "create":
        return {}, {key: getattr(obj, key) for key in keys}
    if kind == "delete":
        return {key: getattr(obj, key) for key in keys}, {}
    before, after = {}, {}
    for key in keys:
        history = attributes.get_history(obj, key)
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if to_jsonable(old) == to_jsonable(new):
            continue
        before[key], after[key] = old, new
    noise = _NOISE_FIELDS | getattr(obj, "__audit_noise__", frozenset())
    if not set(after) - noise:
        return None
    return before, after


def _after_flush(session: Session, flush_context) -> None:
    tags = session.info.pop("qms_audit_tags", {})
    pending = []
    for kind, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if isinstance(obj, AuditEntry) and kind != "create":
                raise PermissionError("audit log entries are append-only")
            if not getattr(obj, "__audited__", False):
                continue
            change = _row_change(obj, kind)
            if change is None:
                continue
            action, summary = tags.get(id(obj), (f"{obj.__tablename__}.{kind}", ""))
            pending.append((obj, action, summary, change))
    if not pending:
        return
    connection = session.connection()
    for obj, action, summary, (before, after) in sorted(pending, key=lambda p: (p[0].__tablename__, _pk(p[0]))):
        _append(connection, action=action, object_type=obj.__tablename__, object_id=_pk(obj),
                summary=summary or str(obj)[:500], before=before, after=after)


def _pk(obj) -> str:
    # The identity key of a new object is set only after the flush; the mapped columns already hold it.
    state = inspect(obj)
    key = state.mapper.primary_key_from_instance(obj)
    return ":".join("" if part is None else str(part) for part in key)


def _before_flush(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, (AuditEntry, AuditChainHead)) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("audit log entries are append-only")


def install_listeners() -> None:
    """Attach the audit listeners to every ORM session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


# Verifying ------------------------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    head_hash: str
    problem_seq: int | None = None
    problem_id: int | None = None
    kind: str = ""  # altered | removed | inserted | truncated
    message: str = ""


def verify_chain(session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the whole chain in order; stop at the first entry that was altered, inserted or removed."""
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    statement = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    with session.execute(statement) as rows:  # closed on every return: no cursor left open
        for entry in rows.scalars():
            fields = {c.key: getattr(entry, c.key) for c in AuditEntry.__table__.columns}
            if entry.seq != expected_seq:
                kind = "removed" if entry.seq > expected_seq else "inserted"
                return VerifyResult(False, checked, expected_prev, entry.seq, entry.id, kind,
                                    f"entry seq={entry.seq} id={entry.id}: expected seq {expected_seq}; "
                                    f"entries {expected_seq}..{entry.seq - 1} were removed" if kind == "removed"
                                    else f"entry seq={entry.seq} id={entry.id}: sequence out of order (inserted)")
            if entry.prev_hash != expected_prev:
                return VerifyResult(False, checked, expected_prev, entry.seq, entry.id, "inserted",
                                    f"entry seq={entry.seq} id={entry.id}: previous-hash link broken "
                                    f"(an entry before it was altered, inserted or removed)")
            if entry_hash(fields) != entry.hash:
                return VerifyResult(False, checked, expected_prev, entry.seq, entry.id, "altered",
                                    f"entry seq={entry.seq} id={entry.id}: content does not match its hash (altered)")
            expected_prev, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
    head = session.get(AuditChainHead, 1)
    head_seq = head.last_seq if head else 0
    head_hash = head.last_hash if head else GENESIS_HASH
    if head_seq != expected_seq - 1 or head_hash != expected_prev:
        return VerifyResult(False, checked, expected_prev, head_seq, None, "truncated",
                            f"chain head says seq={head_seq}, but the last entry is seq={expected_seq - 1}: "
                            f"entries at the end were removed or the head was altered")
    return VerifyResult(True, checked, expected_prev)
