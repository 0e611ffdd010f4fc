"""Extension points of document control for the domains built on it (ISO 9001:2008 clause 4.2.3).

The kernel imports no domain (STYLE.md), yet a domain's content can be part of a revision:
a procedure's process map (``processes``) is drafted, signed, put into force and superseded
with its document revision. A domain registers a ``RevisionExtension`` from its ``init_app``;
document control then

- adds the extension's content to what is signed (only when the revision has such content,
  so the hashes of revisions without it never change),
- asks it whether a revision is ready before it is submitted or approved,
- lets it copy its content into the next revision opened from the one in force,
- lets it write its part of the Word procedure and link its pages from the revision page,
- lets it feed the demo loader with the content of seeded revisions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RevisionLink:
    """A link the revision page shows to a domain's view of the same revision."""

    label: str
    url: str
    description: str = ""


@dataclass(frozen=True)
class RevisionExtension:
    name: str
    #: (revision) → a JSON-able value to sign, or None when the revision carries none of this content.
    content: Callable | None = None
    #: (revision, action: "submit" | "approve") → None, or raise DomainError saying what is missing.
    check_ready: Callable | None = None
    #: (base revision, new revision) → None: copy the content into a newly opened revision.
    copy: Callable | None = None
    #: (python-docx Document, revision, section key) → None: write more after that section's text.
    write_docx: Callable | None = None
    #: (revision) → list[RevisionLink] for the revision page (called in a request).
    links: Callable | None = None
    #: (revision, revision spec from the demo TOML, document spec) → None: seed the content of a draft.
    seed: Callable | None = None


_EXTENSIONS: dict[str, RevisionExtension] = {}


def register(extension: RevisionExtension) -> None:
    """Register (or replace, for a second app in the same process) an extension by name."""
    _EXTENSIONS[extension.name] = extension


def extensions() -> list[RevisionExtension]:
    return list(_EXTENSIONS.values())


def extra_content(revision) -> dict:
    content = {}
    for extension in extensions():
        if extension.content is not None:
            value = extension.content(revision)
            if value is not None:
                content[extension.name] = value
    return content


def check_ready(revision, action: str) -> None:
    for extension in extensions():
        if extension.check_ready is not None:
            extension.check_ready(revision, action)


def copy_content(base, revision) -> None:
    for extension in extensions():
        if extension.copy is not None:
            extension.copy(base, revision)


def write_docx(doc, revision, section_key) -> None:
    for extension in extensions():
        if extension.write_docx is not None:
            extension.write_docx(doc, revision, section_key)


def links(revision) -> list[RevisionLink]:
    found: list[RevisionLink] = []
    for extension in extensions():
        if extension.links is not None:
            found.extend(extension.links(revision))
    return found


def seed(revision, revision_spec: dict, document_spec: dict) -> None:
    for extension in extensions():
        if extension.seed is not None:
            extension.seed(revision, revision_spec, document_spec)
