"""Tokens of the ingest API's client systems: create (the token is returned once), revoke, authenticate.

Services in the house style: they flush, never commit, and raise domain errors; the views and the
API own the transaction. A token is ``qms_<prefix>_<secret>``: the prefix is kept in clear to tell
tokens apart in the list, the whole token only as its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from processes.dossiers.api_models import ApiClient
from qms.audit import log as audit
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.permissions import Permission, has_permission
from qms.timeutil import utcnow

TOKEN_PREFIX = "qms_"


def can_manage_api_clients(user) -> bool:
    """Tokens let another system write dossier records: for whoever imports dossiers and keeps the catalogue
    (the ISO secretary), not for every importer."""
    return has_permission(user, Permission.DOSSIERS_IMPORT) and has_permission(user, Permission.PROCESSES_MANAGE)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_client(values: dict, *, actor, now: datetime | None = None) -> tuple[ApiClient, str]:
    """Register a client system and return it with its token (shown once, never stored in clear)."""
    if not can_manage_api_clients(actor):
        raise Forbidden(_("Only the ISO secretary manages the clients of the ingest API."))
    name = " ".join(str(values.get("name") or "").split())
    if not name:
        raise DomainError(_("Name the client system."), field="name")
    if len(name) > 120:
        raise DomainError(_("A name has at most 120 characters."), field="name")
    if db.session.scalar(select(func.count(ApiClient.id)).where(func.lower(ApiClient.name) == name.lower())):
        raise Conflict(_("A client system of this name already exists."), field="name")
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    client = ApiClient(name=name, token_prefix=f"{TOKEN_PREFIX}{prefix}", token_hash=token_hash(token),
                       created_by_id=getattr(actor, "id", None), created_at=now or utcnow())
    db.session.add(client)
    audit.tag(db.session, client, "api_client.created", _("API client %(name)s created", name=name))
    db.session.flush()
    return client, token


def revoke_api_client(client: ApiClient, *, actor, now: datetime | None = None) -> ApiClient:
    """Refuse the client's token from now on; the client stays listed for the record."""
    if not can_manage_api_clients(actor):
        raise Forbidden(_("Only the ISO secretary manages the clients of the ingest API."))
    if client.revoked_at is not None:
        raise Conflict(_("This token was already revoked."))
    client.revoked_at = max(now or utcnow(), client.created_at)
    audit.tag(db.session, client, "api_client.revoked", _("API client %(name)s revoked", name=client.name))
    db.session.flush()
    return client


def authenticate(token: str, *, now: datetime | None = None) -> ApiClient | None:
    """The active client whose token this is, marked as used now; None for an unknown or revoked token."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = token_hash(token)
    client = db.session.scalar(select(ApiClient).where(ApiClient.token_hash == digest))
    if client is None or not hmac.compare_digest(client.token_hash, digest) or client.revoked_at is not None:
        return None
    client.last_used_at = now or utcnow()
    db.session.flush()
    return client
