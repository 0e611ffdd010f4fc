"""Signing: the signer proves presence by re-entering their password; what they signed is hashed."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_babel import gettext as _

from qms.audit import log as audit
from qms.audit.log import canonical_json, to_jsonable
from qms.auth.passwords import verify_password
from qms.errors import DomainError
from qms.extensions import db
from qms.signatures.models import Signature, SignatureMeaning
from qms.timeutil import utcnow


def content_sha256(content: dict) -> str:
    """SHA-256 of the canonical JSON of *content* (sorted keys, UTF-8): the same on every database."""
    return hashlib.sha256(canonical_json(to_jsonable(content)).encode("utf-8")).hexdigest()


def sign(subject, meaning: SignatureMeaning, *, signer, password: str, content_hash: str,
         capacity: str = "", comment: str = "", now: datetime | None = None) -> Signature:
    """Record *signer*'s signature on *subject* after checking their password; refuse otherwise."""
    if not password or not verify_password(signer.password_hash, password):
        audit.record(db.session, "signature.refused", subject, summary=signer.username,
                     after={"meaning": meaning, "reason": "wrong_password"})
        raise DomainError(_("The password is wrong: the signature was not recorded."), field="password")
    signature = Signature(
        subject_type=subject.__tablename__, subject_id=subject.id, meaning=meaning, signer_id=signer.id,
        signer_name=signer.full_name, signer_position=signer.position.name if signer.position else "",
        capacity=capacity, signed_at=now or utcnow(), content_sha256=content_hash, comment=comment,
    )
    db.session.add(signature)
    db.session.flush()
    return signature


def signatures_of(subject) -> list[Signature]:
    """The signatures on *subject* in the order they were made."""
    return db.session.scalars(
        db.select(Signature).where(Signature.subject_type == subject.__tablename__,
                                   Signature.subject_id == subject.id).order_by(Signature.id)).all()
