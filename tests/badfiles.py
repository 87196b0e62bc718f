"""Hostile and broken inputs, built in memory (no network, no committed binaries needed).

Why built here: a 500-page PDF or a zip bomb is tiny to describe and huge to store; building
them at test time keeps the repository small and the shapes explicit.
"""
from __future__ import annotations

import io
import zipfile


def simple_pdf(pages: list[str]) -> bytes:
    """A valid PDF with one line of ASCII text per page (Helvetica), written by hand."""
    objs: list[bytes] = []
    n = len(pages)
    font_id = 3 + 2 * n
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    for i, text in enumerate(pages):
        safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({safe}) Tj ET".encode()
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {4 + 2 * i} 0 R "
                    f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode())
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def many_page_pdf(n: int) -> bytes:
    return simple_pdf([f"page {i + 1} of a very long document" for i in range(n)])


def image_only_pdf() -> bytes:
    """One page that is a picture of text and a ruled box (no text layer), made with Pillow."""
    from PIL import Image, ImageDraw
    im = Image.new("L", (1240, 1754), 255)
    d = ImageDraw.Draw(im)
    d.rectangle((100, 300, 1100, 600), outline=0, width=3)
    d.line((600, 300, 600, 600), fill=0, width=3)
    for y in range(120, 260, 40):
        d.rectangle((100, y, 900, y + 20), fill=0)
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "PDF", resolution=150.0)
    return buf.getvalue()


def zip_bomb_docx(inflated: int = 400 * 1024 * 1024) -> bytes:
    """A DOCX whose document.xml inflates to ``inflated`` bytes (of spaces) from ~0.1% of that."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
            chunk = b" " * (1 << 20)
            for _ in range(inflated >> 20):
                f.write(chunk)
            f.write(b"</w:body></w:document>")
    return buf.getvalue()


def corrupted(data: bytes, keep: float = 0.4) -> bytes:
    """The first part of a file, then garbage: what a broken download looks like."""
    cut = int(len(data) * keep)
    return data[:cut] + bytes((i * 37) % 251 for i in range(2000))


def fake_ole_doc() -> bytes:
    """OLE2 magic followed by garbage: sniffed as DOC, LibreOffice cannot convert it."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes((i * 91) % 256 for i in range(8000))
