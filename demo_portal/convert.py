"""Turn the shipped report samples into what a portal would serve.

The corpus holds reports as published or captured: PDFs (served unchanged as attachments), one
saved HTML page, markdown-ish text made from PDFs, and a JS file holding report HTML. A portal
serves an HTML article with the tables inline, so:

* HTML capture → the content of its article container (``<ucapcontent>``), Word markup intact;
* JS file      → the report HTML held in its ``content`` string, unescaped;
* text         → ``|a|b|`` runs become ``<table>`` rows (separator rows dropped), other lines ``<p>``;
  text with one cell per line stays as paragraphs (that is how such pages look when pasted).
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path


def article_html(source: Path) -> str:
    """The report body as an HTML fragment for an article page."""
    raw = source.read_text(encoding="utf-8")
    if source.suffix == ".html":
        return _from_capture(raw)
    js = _from_js(raw)
    if js is not None:
        return js
    return text_to_html(raw)


def _from_capture(raw: str) -> str:
    m = re.search(r"<ucapcontent>(.*?)</ucapcontent>", raw, re.S | re.I)
    if m:
        return m.group(1)
    m = re.search(r"<body[^>]*>(.*)</body>", raw, re.S | re.I)
    return m.group(1) if m else raw


def _from_js(raw: str) -> str | None:
    m = re.search(r"\bcontent\s*=\s*(\"(?:[^\"\\]|\\.)*\")", raw, re.S)
    if not m:
        return None
    try:
        return json.loads(m.group(1), strict=False)
    except json.JSONDecodeError:
        return None


def text_to_html(text: str) -> str:
    out: list[str] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
            out.append(f'<table border="1" cellspacing="0" cellpadding="2">{body}</table>')
            rows.clear()

    for line in text.splitlines():
        s = line.strip()
        if s.startswith("|") and s.endswith("|") and len(s) > 1:
            cells = [c.strip() for c in s[1:-1].split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c) and any(cells):
                continue
            rows.append(cells)
            continue
        flush()
        if s:
            out.append(f"<p>{html.escape(s)}</p>")
    flush()
    return "\n".join(out)
