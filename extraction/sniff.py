"""Decide what kind of document some bytes are, from the bytes first.

Why bytes first: portals serve PDFs as ``application/octet-stream``, name DOCX files ``.doc`` and
HTML pages ``.pdf``; the extension and the Content-Type are hints, the magic numbers are facts.
"""
from __future__ import annotations

import io
import re
import zipfile

KINDS = ("html", "text", "pdf", "docx", "doc", "wps", "image", "zip", "binary")

_EXT = {
    ".pdf": "pdf", ".docx": "docx", ".doc": "doc", ".wps": "wps", ".html": "html", ".htm": "html",
    ".shtml": "html", ".jsp": "html", ".txt": "text", ".md": "text", ".png": "image", ".jpg": "image",
    ".jpeg": "image", ".gif": "image", ".tif": "image", ".tiff": "image", ".bmp": "image",
}
_HTML_HINT = re.compile(rb"<\s*(!doctype\s+html|html|head|body|table|meta|div|p|tr|td|span)\b", re.I)


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist()[:2000])
    except (zipfile.BadZipFile, ValueError, OSError):
        return "zip"
    if "word/document.xml" in names:
        return "docx"
    return "zip"


def sniff(data: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    """Return one of ``KINDS``."""
    head = data[:8]
    if data[:1024].lstrip().startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: .doc, .wps, .xls ...
        ext = _ext(filename)
        return "wps" if ext == ".wps" else "doc"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*", b"BM")):
        return "image"
    sample = data[:4096]
    if b"\x00" in sample and not (sample.startswith((b"\xff\xfe", b"\xfe\xff"))):
        from .encoding import utf16_without_bom
        wide = utf16_without_bom(data)
        if wide is None:
            return "binary"
        sample = sample[: len(sample) // 2 * 2].decode(wide, "replace").encode("utf-8")
    if _HTML_HINT.search(sample) or (content_type or "").lower().startswith(("text/html", "application/xhtml")):
        # a JS/text file that merely contains markup still goes to the HTML reader: it copes.
        return "html"
    ext_kind = _EXT.get(_ext(filename) or "", None)
    if ext_kind == "html":
        return "html"
    return "text"


def _ext(filename: str | None) -> str | None:
    if not filename:
        return None
    name = filename.split("?", 1)[0].split("#", 1)[0].lower()
    m = re.search(r"\.[a-z0-9]{1,5}$", name)
    return m.group(0) if m else None
