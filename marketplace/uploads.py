"""What an uploaded document is, judged by its bytes (never by its name or the browser's word):
shared by conversation attachments and confidential licensing files."""

from __future__ import annotations

import io
import zipfile

PDF = ("application/pdf", "pdf")
PNG = ("image/png", "png")
JPEG = ("image/jpeg", "jpg")
DOCX = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
XLSX = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")

_MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
_OFFICE = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX))  # parts inside the zip


def sniff_document(data: bytes, accepted=(PDF, PNG, JPEG, DOCX, XLSX)) -> tuple[str, str] | None:
    """(content type, extension) of ``data`` if it is one of the ``accepted`` kinds, else None.
    Office files are zip archives: they count only with their content-types part and main
    part inside."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind if kind in accepted else None
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for part, kind in _OFFICE:
        if part in names and kind in accepted:
            return kind
    return None
