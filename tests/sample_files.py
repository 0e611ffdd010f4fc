"""Real files of every kind an upload may be, and impostors, built in memory for the upload tests."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from functools import lru_cache

from werkzeug.datastructures import FileStorage, Headers


@lru_cache(maxsize=None)  # the same text gives the same bytes: a zip entry keeps the time it was written
def docx_bytes(text: str = "Biên bản kiểm tra hồ sơ chất lượng") -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=None)
def xlsx_bytes(value: str = "Sổ theo dõi") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = value
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def pdf_bytes(text: str = "Bien ban huy ho so") -> bytes:
    """A minimal valid one-page PDF, written by hand with a correct cross-reference table."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png_bytes() -> bytes:
    """A 1×1 white PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
            + chunk(b"IEND", b""))


def exe_bytes() -> bytes:
    """The start of a Windows program: the MZ header and the DOS stub's message."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50 + \
        b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 200


def plain_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ghi-chu.txt", "không phải tài liệu Word")
    return buffer.getvalue()


def macro_docx_bytes() -> bytes:
    """A .docm in disguise: a Word package carrying a VBA project."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            archive.writestr(item, source.read(item.filename))
        archive.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    return buffer.getvalue()


def upload(data: bytes, filename: str, content_length: int | None = None) -> FileStorage:
    """What Flask hands a view for one uploaded file (``content_length`` as the client claimed it)."""
    headers = Headers({"Content-Length": str(content_length)}) if content_length is not None else None
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type="application/octet-stream",
                       headers=headers)
