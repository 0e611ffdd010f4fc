"""Demo record categories and quality records, filed through the services (idempotent)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from io import BytesIO

from docx import Document as WordDocument
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from qms.documents.models import Document
from qms.extensions import db
from qms.org.models import Unit
from qms.records import services
from qms.records.models import QualityRecord, RecordCategory
from qms.timeutil import agency_zone
from qms.users.models import User


def _word(text: str) -> bytes:
    document = WordDocument()
    document.add_paragraph(text)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def load_records_demo(data: dict) -> tuple[int, int]:
    """Record categories first, then records; existing ones (by code, by title) are left alone."""
    created = unchanged = 0
    users = {u.username: u for u in db.session.scalars(select(User))}
    secretary = users["huong.nt"]
    for values in data.get("record_categories", []):
        if db.session.scalar(select(RecordCategory.id).where(RecordCategory.code == values["code"])):
            unchanged += 1
            continue
        services.save_category(None, {
            "code": values["code"], "name": values["name"], "location": values.get("location", ""),
            "retention_months": values.get("retention_months"), "disposal_method": values.get("disposal_method", ""),
            "procedure_id": db.session.scalar(select(Document.id).where(Document.code == values.get("procedure"))),
            "keeping_unit_id": db.session.scalar(select(Unit.id).where(Unit.code == values.get("unit"))),
        }, actor=secretary)
        created += 1
    for values in data.get("records", []):
        if db.session.scalar(select(QualityRecord.id).where(QualityRecord.title == values["title"])):
            unchanged += 1
            continue
        category = db.session.scalar(select(RecordCategory).where(RecordCategory.code == values["category"]))
        upload = None
        if values.get("word_text"):
            upload = FileStorage(stream=BytesIO(_word(values["word_text"])), filename=values["filename"])
        record = services.file_record({
            "category": category, "title": values["title"], "reference": values.get("reference", ""),
            "record_date": date.fromisoformat(values["record_date"]), "notes": values.get("notes", ""),
            "unit_id": db.session.scalar(select(Unit.id).where(Unit.code == values.get("unit"))),
        }, upload, actor=users[values["filed_by"]])
        if values.get("disposed"):
            disposal = values["disposed"]
            when = datetime.fromisoformat(disposal["at"]).replace(tzinfo=agency_zone()).astimezone(timezone.utc)
            services.dispose_record(record, actor=users[disposal["by"]], note=disposal["note"], now=when)
        created += 1
    db.session.flush()
    return created, unchanged
