"""Bytes → str for HTML and text sources, deciding between what the page says and what it is.

Why a module of its own: Chinese government pages are served as UTF-8, GBK or GB18030, often
with a ``<meta charset>`` (or an HTTP charset) that names another encoding than the bytes really
use (a template copied from an old site). The bytes are the fact: a declared charset is used only
when the bytes decode cleanly with it, otherwise we sniff (strict UTF-8, then GB18030, then
charset-normalizer) and report the disagreement as a finding.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from .findings import Finding

_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]{2,40})""", re.I)
_XML_DECL = re.compile(rb"""<\?xml[^>]{0,200}encoding\s*=\s*["']([A-Za-z0-9_\-.]{2,40})""", re.I)

#: Encodings that are supersets we prefer when a page names the smaller one.
_WIDEN = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
          "ascii": "utf-8", "us-ascii": "utf-8", "iso-8859-1": "cp1252", "latin-1": "cp1252"}


@dataclass
class Decoded:
    text: str
    encoding: str
    findings: list[Finding] = field(default_factory=list)


def _norm(name: str | bytes | None) -> str | None:
    if not name:
        return None
    if isinstance(name, bytes):
        name = name.decode("ascii", "ignore")
    name = name.strip().lower()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return _WIDEN.get(name, name)


def _clean(data: bytes, enc: str) -> str | None:
    try:
        return data.decode(enc)
    except (UnicodeDecodeError, LookupError):
        return None


def declared_charset(data: bytes) -> str | None:
    """The charset the markup itself declares (``<meta charset>``, http-equiv, XML declaration)."""
    head = data[:8192]
    m = _META_CHARSET.search(head) or _XML_DECL.search(head)
    return _norm(m.group(1)) if m else None


def utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" for UTF-16 bytes that lack a BOM (Word's "Unicode" web pages and
    text exports): markup and digits are ASCII, so every other byte is NUL, on one side only."""
    sample = data[:4096]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    pairs = len(sample) // 2
    if pairs < 8:
        return None
    odd = sum(1 for i in range(1, 2 * pairs, 2) if sample[i] == 0)
    even = sum(1 for i in range(0, 2 * pairs, 2) if sample[i] == 0)
    for enc, hi, lo in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if hi >= pairs // 4 and lo <= pairs // 50 and _clean(data[: len(data) // 2 * 2], enc) is not None:
            return enc
    return None


def decode(data: bytes, transport: str | None = None, markup: bool = True) -> Decoded:
    """Decode ``data``; ``transport`` is an HTTP charset, ``markup`` says whether to look for meta tags."""
    findings: list[Finding] = []
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return Decoded(data[len(bom):].decode(enc, "replace"), enc, findings)
    wide = utf16_without_bom(data)
    if wide:
        return Decoded(data[: len(data) // 2 * 2].decode(wide, "replace"), wide, findings)
    declared = [(src, _norm(name)) for src, name in
                (("transport", transport), ("meta", declared_charset(data) if markup else None)) if name]
    declared = [(s, n) for s, n in declared if n]
    # Valid UTF-8 with non-ASCII bytes is UTF-8 whatever a template claims: GBK text practically
    # never forms valid UTF-8, while UTF-8 bytes often "decode" as GB18030 into mojibake.
    text = _clean(data, "utf-8")
    enc: str | None = "utf-8" if text is not None else None
    if text is None:
        for src, name in declared:
            if name != "utf-8":
                text = _clean(data, name)
                if text is not None:
                    enc = name
                    break
    if text is None:
        text, enc = _clean(data, "gb18030"), "gb18030"
    if text is None:
        enc = _sniff(data) or "gb18030"
        text = data.decode(enc, "replace")
        findings.append(Finding("encoding_guess", f"bytes are not valid in any likely encoding; read as {enc}"))
    if any(ord(ch) > 127 for ch in text[:100_000]):
        for src, name in declared:
            if name != enc:
                findings.append(Finding("charset_mismatch", f"{src} declares {name} but the bytes are {enc}"))
    return Decoded(text, enc or "utf-8", findings)


def _sniff(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - in requirements
        return None
    best = from_bytes(data[:200_000]).best()
    return _norm(best.encoding) if best is not None else None
