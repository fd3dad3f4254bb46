"""Uploaded documents are judged by their bytes, and only the kinds a caller accepts pass."""

from __future__ import annotations

import io
import zipfile

from marketplace.uploads import DOCX, JPEG, PDF, PNG, XLSX, sniff_document


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def test_kinds_by_their_bytes():
    assert sniff_document(b"%PDF-1.7 ...") == PDF
    assert sniff_document(b"\x89PNG\r\n\x1a\n....") == PNG
    assert sniff_document(b"\xff\xd8\xff\xe0....") == JPEG
    assert sniff_document(_zip("[Content_Types].xml", "word/document.xml")) == DOCX
    assert sniff_document(_zip("[Content_Types].xml", "xl/workbook.xml")) == XLSX


def test_other_bytes_and_kinds_not_accepted_are_refused():
    assert sniff_document(b"MZ\x90\x00 an executable named x.pdf") is None
    assert sniff_document(_zip("word/document.xml")) is None  # no content-types part
    assert sniff_document(b"PK\x03\x04 not really a zip") is None
    only_documents = (PDF, DOCX, PNG, JPEG)
    assert sniff_document(_zip("[Content_Types].xml", "xl/workbook.xml"), only_documents) is None
    assert sniff_document(b"%PDF-1.4", (PNG,)) is None
