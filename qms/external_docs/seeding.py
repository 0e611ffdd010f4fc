"""Idempotent loading of the demo register of external documents (``seed_data/demo/*.toml``).

Entries are matched by number (spaces and case ignored) and left alone when present; relations by
(source, target, kind). Everything goes through the services, so the audit log shows what the seed
created and the "cần cập nhật" flags are raised as they would be by hand. Run it after the documents
are seeded, so that the internal documents citing an amended text are flagged.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import select

from qms.external_docs import services
from qms.external_docs.models import ExternalRelation, RelationKind
from qms.extensions import db
from qms.permissions import Role

_FIELDS = ("number", "kind", "issuer", "title", "issued_on", "effective_on", "status", "url", "notes")


class _RegisterKeeper:
    """The seed acts as the ISO secretary who keeps the register, without being anybody in particular."""

    id = None
    username = "system"
    full_name = "system"
    is_authenticated = True
    role_set = frozenset({Role.ISO_SECRETARY})
    delegations_received = ()

    def has_role(self, role) -> bool:
        return role in self.role_set


REGISTER_KEEPER = _RegisterKeeper()


def _read(directory: Path) -> tuple[list[dict], list[dict]]:
    documents, relations = [], []
    for path in sorted(Path(directory).glob("*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        documents.extend(data.get("external_documents", []))
        relations.extend(data.get("external_relations", []))
    return documents, relations


def load_external_demo(directory: Path, report=None) -> tuple[int, int]:
    """Load the external documents and then their amendments/replacements found in *directory*.

    Returns (created, unchanged) and adds them to *report* (anything with ``created`` and
    ``unchanged`` counters, e.g. ``qms.seeding.SeedReport``) when one is given.
    """
    created, unchanged = load_external_documents(directory)
    more, same = load_external_relations(directory)
    if report is not None:
        report.created += created + more
        report.unchanged += unchanged + same
    return created + more, unchanged + same


def load_external_documents(directory: Path) -> tuple[int, int]:
    """The register entries only (run before internal documents cite them)."""
    documents, _relations = _read(directory)
    created = unchanged = 0
    for values in documents:
        if services.find_by_number(values["number"]) is not None:
            unchanged += 1
            continue
        services.create_external_document({key: values[key] for key in _FIELDS if key in values},
                                          actor=REGISTER_KEEPER)
        created += 1
    db.session.flush()
    return created, unchanged


def load_external_relations(directory: Path) -> tuple[int, int]:
    """Amendments and replacements (run after internal documents cite, so that they are flagged)."""
    _documents, relations = _read(directory)
    created = unchanged = 0
    for values in relations:
        source, target = services.find_by_number(values["source"]), services.find_by_number(values["target"])
        if source is None or target is None:
            raise ValueError(f"external relation {values['source']} → {values['target']}: unknown number")
        kind = RelationKind(values["kind"])
        exists = db.session.scalar(select(ExternalRelation.id).where(
            ExternalRelation.source_id == source.id, ExternalRelation.target_id == target.id,
            ExternalRelation.kind == kind))
        if exists is not None:
            unchanged += 1
            continue
        services.record_relation(source, target, kind, actor=REGISTER_KEEPER, effective_on=values.get("effective_on"))
        created += 1
    db.session.flush()
    return created, unchanged
