"""The document types every agency starts with (ISO 9001:2008 clause 4.2.1), idempotently installed."""

from __future__ import annotations

from sqlalchemy import select

from qms.documents.models import DocumentKind, DocumentType
from qms.extensions import db

DEFAULT_TYPES = [
    (DocumentKind.POLICY, "Chính sách chất lượng", "CSCL", "{abbr}", False),
    (DocumentKind.OBJECTIVES, "Mục tiêu chất lượng", "MTCL", "{abbr}", False),
    (DocumentKind.MANUAL, "Sổ tay chất lượng", "STCL", "{abbr}", False),
    (DocumentKind.PROCEDURE, "Quy trình", "QT", "{abbr}-{n:02}", False),
    (DocumentKind.INSTRUCTION, "Hướng dẫn công việc", "HD", "{abbr}-{n:02}/{parent}", True),
    (DocumentKind.FORM, "Biểu mẫu", "BM", "{abbr}-{n:02}/{parent}", True),
    (DocumentKind.OTHER, "Tài liệu khác", "TL", "{abbr}-{n:02}", False),
]


def ensure_document_types() -> int:
    """Create the missing default types; return how many were created. Existing ones are left alone."""
    existing = set(db.session.scalars(select(DocumentType.kind)))
    created = 0
    for kind, name, abbreviation, pattern, needs_parent in DEFAULT_TYPES:
        if kind in existing:
            continue
        db.session.add(DocumentType(kind=kind, name=name, abbreviation=abbreviation, code_pattern=pattern,
                                    needs_parent=needs_parent))
        created += 1
    db.session.flush()
    return created
