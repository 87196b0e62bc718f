"""A report's content key: what must change before we say the report changed.

Why: portals re-render pages on every request — a 访问量 counter, 今天是…, session ids in links,
cache busters — so the raw sha256 of an article page changes on every fetch although the report
did not. The content key hashes the page's visible text with the volatile parts (the patterns in
``data/volatile_patterns.csv``, a data table so new portal quirks are a line, not code) removed
and whitespace collapsed. Binary documents (PDF, DOCX ...) have no volatile parts: their key is
the sha256 of their bytes.
"""
from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "volatile_patterns.csv"
_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-]{2,40})""", re.I)
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class VolatilePattern:
    name: str
    regex: re.Pattern[str]
    why: str


@lru_cache(maxsize=4)
def load_patterns(path: str | None = None) -> tuple[VolatilePattern, ...]:
    out = []
    with open(path or DATA, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.append(VolatilePattern(row["name"], re.compile(row["pattern"]), row.get("why", "")))
    return tuple(out)


def _looks_textual(data: bytes, content_type: str | None) -> bool:
    ct = (content_type or "").lower()
    if any(t in ct for t in ("html", "text/", "xml", "json")):
        return True
    head = data[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<meta", b"<div", b"<table"))


def _decode(data: bytes) -> str:
    m = _META_CHARSET.search(data[:4096])
    candidates = ["utf-8"]
    if m:
        candidates.insert(0, m.group(1).decode("ascii", "ignore"))
    candidates.append("gb18030")
    for enc in candidates:
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("gb18030", errors="replace")


def visible_text(data: bytes) -> str:
    """HTML → the text a reader sees (scripts, styles and comments dropped)."""
    text = _decode(data)
    try:
        import lxml.html
        root = lxml.html.fromstring(text.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
        for bad in root.xpath("//script|//style|//noscript|//comment()"):
            bad.drop_tree() if hasattr(bad, "drop_tree") else bad.getparent().remove(bad)
        return root.text_content()
    except Exception:  # garbage HTML still gets a stable key from its raw text
        return text


def strip_volatile(text: str, patterns: tuple[VolatilePattern, ...] | None = None) -> str:
    for pat in patterns if patterns is not None else load_patterns():
        text = pat.regex.sub(" ", text)
    return _WS.sub(" ", text).strip()


def content_key(data: bytes, content_type: str | None = None) -> str:
    """Stable fingerprint of a document's content (see module doc)."""
    if not data:
        return hashlib.sha256(b"").hexdigest()
    if _looks_textual(data, content_type):
        norm = strip_volatile(visible_text(data))
        return "t:" + hashlib.sha256(norm.encode("utf-8")).hexdigest()
    return hashlib.sha256(data).hexdigest()
