"""Storing uploads (ISO 9001:2008 clause 4.2.4: records stay legible, identifiable and retrievable).

An upload is streamed to a temporary file in ``FILE_STORE`` while it is hashed and
counted, so a large body is never held in memory and a lying ``Content-Length`` cannot
slip past ``MAX_UPLOAD_MB``. Its kind is then read from the *content* (ZIP structure,
magic bytes), never from the name, and the name's extension must agree with it. The
bytes are kept once, under ``FILE_STORE/ab/cd/<sha256>``; the ``StoredFile`` row is
shared by every object that links to the same content. Names live on those objects.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qms.audit import log as audit
from qms.errors import DomainError
from qms.extensions import db
from qms.files.models import StoredFile

CHUNK_SIZE = 64 * 1024
MAX_FILENAME_LENGTH = 200


class UploadRefused(DomainError):
    """An upload broke a rule: too large, empty, of a kind not accepted, or named as something it is not.

    ``rule`` names the rule for programs (``too_large``, ``empty``, ``no_file``, ``unrecognised``,
    ``not_allowed``, ``extension_mismatch``); the message names the file and the rule for people.
    """

    def __init__(self, message: str, rule: str, field: str | None = "file"):
        super().__init__(message, field)
        self.rule = rule


@dataclass(frozen=True)
class FileKind:
    """A kind of file recognised by its content, with the extensions its name may carry."""

    key: str
    label: object  # lazy-translated
    extensions: tuple[str, ...]
    mime_type: str


KINDS: dict[str, FileKind] = {kind.key: kind for kind in (
    FileKind("docx", _l("Word document (.docx)"), (".docx",),
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    FileKind("xlsx", _l("Excel workbook (.xlsx)"), (".xlsx",),
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    FileKind("pdf", _l("PDF document (.pdf)"), (".pdf",), "application/pdf"),
    FileKind("png", _l("PNG image (.png)"), (".png",), "image/png"),
    FileKind("jpeg", _l("JPEG image (.jpg)"), (".jpg", ".jpeg"), "image/jpeg"),
)}

#: What a quality record, a revision or any other office document may be.
OFFICE_KINDS = frozenset({"docx", "xlsx", "pdf", "png", "jpeg"})

_OOXML_MAIN_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


# Detection by content ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    """What the content is: a known kind, or a reason it is none (for the error message)."""

    kind: str | None
    what: str = ""  # a readable description when kind is None, e.g. "a Windows program (MZ header)"


def detect_kind(path: str | os.PathLike) -> Detection:
    """Read the kind of the file at *path* from its bytes: OOXML by its ZIP parts, the rest by magic bytes."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head.startswith(b"%PDF-"):
        return Detection("pdf")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Detection("png")
    if head.startswith(b"\xff\xd8\xff"):
        return Detection("jpeg")
    if head.startswith(b"MZ"):
        return Detection(None, _("a Windows program (MZ header)"))
    if head.startswith((b"\x7fELF", b"#!")):
        return Detection(None, _("a program or script"))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return Detection(None, _("an old Office file (.doc/.xls); save it as .docx or .xlsx"))
    if head.startswith(b"PK\x03\x04"):
        return _detect_ooxml(path)
    return Detection(None, _("of an unrecognised type"))


def _detect_ooxml(path) -> Detection:
    # Only the central directory is read: nothing is decompressed, so a ZIP bomb costs nothing here.
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return Detection(None, _("a damaged ZIP archive"))
    if "[Content_Types].xml" not in names:
        return Detection(None, _("a ZIP archive, not a Word or Excel document"))
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return Detection(None, _("an Office document with macros; save it as a plain .docx or .xlsx"))
    for kind, main_part in _OOXML_MAIN_PART.items():
        if main_part in names:
            return Detection(kind)
    return Detection(None, _("an Office package that is neither a Word nor an Excel document"))


# Names ------------------------------------------------------------------------------------------------

_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")


def sanitise_filename(name: str | None) -> str:
    """The name to show and to offer on download: no folders, no control or reserved characters,
    Vietnamese letters kept (NFC), at most 200 characters with the extension preserved."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]  # browsers on Windows may send C:\Users\...\file.docx
    name = _UNSAFE_CHARS.sub("_", name)
    name = _SPACES.sub(" ", name).strip().lstrip(".").strip()
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH]
    return name


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


# The store --------------------------------------------------------------------------------------------


def store_root() -> Path:
    """The folder holding every stored file (``FILE_STORE``); created when missing."""
    folder = current_app.config.get("FILE_STORE")
    if not folder:
        raise RuntimeError("FILE_STORE is not configured: set QMS_FILE_STORE to a folder")
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    return root


def stored_path(sha256: str) -> Path:
    """Where the bytes with this hash live: ``FILE_STORE/ab/cd/abcd…``."""
    return store_root() / sha256[:2] / sha256[2:4] / sha256


def upload_limit_bytes() -> int:
    return int(float(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024)


def _allowed_text(allowed_kinds) -> str:
    return ", ".join(str(KINDS[key].label) for key in KINDS if key in allowed_kinds)


def _spool(file_storage, temp_dir: Path, limit: int, filename: str) -> tuple[str, str, int]:
    """Copy the upload to a temporary file chunk by chunk; return (path, sha256, size)."""
    digest, size = hashlib.sha256(), 0
    handle, temp_path = tempfile.mkstemp(prefix="upload-", dir=temp_dir)
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := file_storage.stream.read(CHUNK_SIZE):
                size += len(chunk)
                if size > limit:  # whatever Content-Length said
                    raise UploadRefused(_("%(name)s is larger than the %(limit)s MB allowed.", name=filename,
                                          limit=f"{float(current_app.config['MAX_UPLOAD_MB']):g}"), "too_large")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(temp_path)
        raise
    return temp_path, digest.hexdigest(), size


def check_kind(path, filename: str, allowed_kinds) -> FileKind:
    """The kind of the file at *path*, or ``UploadRefused`` naming the file and the rule it breaks."""
    detection = detect_kind(path)
    allowed = _allowed_text(allowed_kinds)
    if detection.kind is None:
        raise UploadRefused(_("%(name)s is refused: its content is %(what)s. Accepted (checked by content, not by "
                              "name): %(allowed)s.", name=filename, what=detection.what, allowed=allowed),
                            "unrecognised")
    kind = KINDS[detection.kind]
    if detection.kind not in allowed_kinds:
        raise UploadRefused(_("%(name)s is refused: its content is a %(kind)s, which is not accepted here. "
                              "Accepted: %(allowed)s.", name=filename, kind=kind.label, allowed=allowed),
                            "not_allowed")
    extension = _extension(filename)
    if extension not in kind.extensions:
        raise UploadRefused(_("%(name)s is refused: its name ends in \"%(extension)s\" but its content is a "
                              "%(kind)s. Rename it or upload the right file.", name=filename,
                              extension=extension or "—", kind=kind.label), "extension_mismatch")
    return kind


def store_upload(file_storage, *, actor, allowed_kinds=OFFICE_KINDS) -> tuple[StoredFile, str]:
    """Check and store an uploaded file; return its ``StoredFile`` (reused when the same bytes are already
    stored) and its sanitised name. Raise ``UploadRefused`` with nothing written when a rule is broken."""
    filename = sanitise_filename(getattr(file_storage, "filename", None))
    if file_storage is None or not filename:
        raise UploadRefused(_("Choose a file to upload."), "no_file")
    root = store_root()
    temp_dir = root / "tmp"
    temp_dir.mkdir(exist_ok=True)
    temp_path, sha256, size = _spool(file_storage, temp_dir, upload_limit_bytes(), filename)
    try:
        if size == 0:
            raise UploadRefused(_("%(name)s is empty.", name=filename), "empty")
        kind = check_kind(temp_path, filename, allowed_kinds)
        target = stored_path(sha256)
        if not target.exists():  # also repairs a stored file lost from the disk
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp_path, target)
    finally:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
    return _stored_file_row(sha256, size, kind, actor, filename), filename


def _stored_file_row(sha256: str, size: int, kind: FileKind, actor, filename: str) -> StoredFile:
    existing = db.session.scalar(select(StoredFile).where(StoredFile.sha256 == sha256))
    if existing is not None:
        return existing
    stored = StoredFile(sha256=sha256, size=size, kind=kind.key, mime_type=kind.mime_type,
                        created_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():  # another request may store the same bytes at the same moment
            db.session.add(stored)
    except IntegrityError:
        return db.session.scalars(select(StoredFile).where(StoredFile.sha256 == sha256)).one()
    audit.record(db.session, "file.stored", stored, summary=f"{filename} ({kind.key}, {size} bytes, {sha256[:12]}…)",
                 after={"sha256": sha256, "size": size, "kind": kind.key, "filename": filename})
    return stored


def open_stored(stored_file: StoredFile) -> Path:
    """The path of a stored file's bytes; ``FileNotFoundError`` when they are missing from the store."""
    path = stored_path(stored_file.sha256)
    if not path.is_file():
        raise FileNotFoundError(f"stored file {stored_file.id} ({stored_file.sha256}) is missing from FILE_STORE")
    return path


def human_size(size: int | None) -> str:
    """1536 → "1,5 KB": the size of a stored file as a person reads it (Vietnamese decimal comma)."""
    if size is None:
        return ""
    value, unit = float(size), "B"
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            break
        value /= 1024
    text = f"{value:.0f}" if unit == "B" else f"{value:.1f}"
    return f"{text.replace('.', ',')} {unit}"
