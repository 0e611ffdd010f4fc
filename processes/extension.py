"""A process version is content of its procedure document's revision (ISO 9001:2008 clause 4.2.3).

Registered with ``qms.documents.hooks`` so that document control, which knows nothing of
processes, signs the map with the revision, refuses to submit or approve a map whose times do
not add up, copies the map into the next revision, prints it in the Word procedure and links to it.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from processes import services
from processes.durations import duration_label
from qms.documents import hooks
from qms.documents.models import Revision, SectionKey


def signed_content(revision: Revision) -> dict | None:
    """What of the map is signed with the revision; None when the revision carries no map."""
    version = services.version_of(revision)
    if version is None:
        return None
    return {
        "procedure": version.procedure.code,
        "version_no": version.version_no,
        "limit": [version.limit_minutes, version.limit_unit.value],
        "notes": version.notes,
        "steps": [[s.code, s.name, s.description, s.unit.code if s.unit else "", s.performer, s.kind.value,
                   s.allotted_minutes, s.allotted_unit.value, s.output] for s in version.steps],
        "branches": [[b.kind.value, b.from_step.code, b.to_step.code if b.to_step else "", b.party, b.condition,
                      b.output] for b in version.branches],
    }


def check_ready(revision: Revision, action: str) -> None:
    version = services.version_of(revision)
    if version is not None:
        services.check_version_ready(version, action)


def copy(base: Revision, revision: Revision) -> None:
    version = services.version_of(base)
    if version is not None:
        services.copy_version(version, revision)


def links(revision: Revision) -> list[hooks.RevisionLink]:
    version = services.version_of(revision)
    if version is None:
        return []
    procedure = version.procedure
    return [hooks.RevisionLink(
        label=_("Process map: version %(no)d of %(code)s", no=version.version_no, code=procedure.code),
        url=url_for("processes.version", procedure_id=procedure.id, version_id=version.id),
        description=_("%(steps)d steps, %(total)s. The map is signed with this revision.",
                      steps=len(version.steps), total=duration_label(version.total_minutes, version.limit_unit)))]


def write_docx(doc, revision: Revision, section_key: SectionKey) -> None:
    """After "5. Nội dung quy trình": the swimlane map as an image, then the step table."""
    if section_key != SectionKey.CONTENT:
        return
    version = services.version_of(revision)
    if version is not None:
        from processes.exports import write_process_section

        write_process_section(doc, version)


def seed(revision: Revision, revision_spec: dict, document_spec: dict) -> None:
    process = revision_spec.get("process")
    if process:
        from processes.seeding import seed_version

        seed_version(revision, process, revision_spec)


def register() -> None:
    hooks.register(hooks.RevisionExtension(name="process", content=signed_content, check_ready=check_ready,
                                           copy=copy, write_docx=write_docx, links=links, seed=seed))
