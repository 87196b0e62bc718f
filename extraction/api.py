"""The one entry point: ``extract(data, filename=..., content_type=...)``.

Why a registry of readers: each document kind lives in its own module, imported only when
needed (pdfplumber and python-docx are slow to import), and a reader that fails turns into a
finding instead of an exception, so one bad file never stops a crawl or a batch.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from .document import Document
from .findings import Finding
from .result import ExtractionResult
from .sniff import sniff

#: Bump when extraction output can change for the same bytes; stored with every result.
EXTRACTOR_VERSION = "0.2.0"

#: reader findings meaning the content was not read at all: such a document's format is "unknown"
UNREAD_RULES = frozenset({"needs_ocr", "encrypted", "corrupt_file", "timeout", "memory_limit", "reader_crashed",
                          "zip_bomb", "garbled_text", "conversion_failed", "ocr_failed", "too_large",
                          "unsupported_kind", "read_error"})

#: HTML/text inputs larger than this are read in a child process under limits (extraction/limits.py)
IN_PROCESS_MAX_BYTES = 2 * 1024 * 1024

#: kind -> "module:function" taking (data: bytes, options: ExtractOptions) -> Document
READERS: dict[str, str] = {
    "html": "extraction.html:read_html",
    "text": "extraction.text:read_text",
    "pdf": "extraction.pdf:read_pdf",
    "docx": "extraction.docx:read_docx",
    "doc": "extraction.office:read_legacy",
    "wps": "extraction.office:read_legacy",
    "image": "extraction.ocr:read_image",
}


@dataclass
class ExtractOptions:
    """Knobs a caller (the CLI, a pipeline reading Scrapy settings) may turn."""
    #: run Tesseract on documents without a text layer
    ocr: bool = False
    #: seconds one document may take in a slow reader (PDF, conversion, OCR)
    timeout: float = 60.0
    #: pages beyond this are not read (a 500-page PDF is not a report)
    max_pages: int = 60
    #: bytes; larger inputs are refused with a finding
    max_bytes: int = 50 * 1024 * 1024
    #: charset declared by the transport (HTTP Content-Type), if any
    declared_encoding: str | None = None
    filename: str | None = None
    content_type: str | None = None


def _reader(kind: str):
    spec = READERS.get(kind)
    if spec is None:
        return None
    module, func = spec.split(":")
    try:
        return getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError):
        return None


def read_document(data: bytes, options: ExtractOptions | None = None) -> Document:
    """Bytes → Document, never raising for bad input: problems become findings."""
    opts = options or ExtractOptions()
    if len(data) > opts.max_bytes:
        return Document("binary", findings=[Finding("too_large", f"{len(data)} bytes > limit {opts.max_bytes}")])
    kind = sniff(data, opts.filename, opts.content_type)
    reader = _reader(kind)
    if reader is None:
        return Document(kind, findings=[Finding("unsupported_kind", f"no reader for {kind!r} documents")])
    try:
        if len(data) > IN_PROCESS_MAX_BYTES and kind in ("html", "text"):
            # the in-process readers are linear but a hostile multi-MB page (a million <td>s) still
            # costs seconds per MB: large ones get the child process's time and memory limits
            from .limits import run_limited
            return run_limited(reader, data, opts, kind=kind)
        return reader(data, opts)
    except MemoryError:
        return Document(kind, findings=[Finding("read_error", "out of memory while reading")])
    except Exception as exc:  # a reader bug or hostile bytes must not stop a batch
        return Document(kind, findings=[Finding("read_error", f"{type(exc).__name__}: {exc}"[:500])])


#: characters a text line or table cell keeps for interpretation (a report line has a few hundred)
MAX_LINE_CHARS = 10_000


def _bound_lines(doc: Document) -> None:
    """Cut megabyte lines before interpretation: it runs in-process, without the readers' time
    limit, and its per-line matching is not linear on them (a 3 MB line took ~50 s; found by
    tests/test_fuzz_extraction.py). The stored snapshot keeps every byte."""
    from .document import Table
    cut = 0
    for i, b in enumerate(doc.blocks):
        if isinstance(b, str) and len(b) > MAX_LINE_CHARS:
            lines = b.split("\n")
            cut += sum(len(x) > MAX_LINE_CHARS for x in lines)
            doc.blocks[i] = "\n".join(x[:MAX_LINE_CHARS] for x in lines)
        elif isinstance(b, Table):
            for row in b.rows:
                for cell in row:
                    if len(cell.text) > MAX_LINE_CHARS:
                        cell.text, cut = cell.text[:MAX_LINE_CHARS], cut + 1
    if cut:
        doc.findings.append(Finding("line_truncated", f"{cut} line(s) or cell(s) longer than {MAX_LINE_CHARS} "
                                    "characters were cut for interpretation"))


def extract(data: bytes, filename: str | None = None, content_type: str | None = None,
            options: ExtractOptions | None = None) -> ExtractionResult:
    from .interpret import interpret  # late: keeps `import extraction` cheap

    opts = options or ExtractOptions()
    if filename is not None:
        opts.filename = filename
    if content_type is not None:
        opts.content_type = content_type
    doc = read_document(data, opts)
    _bound_lines(doc)
    try:
        result = interpret(doc)
    except Exception as exc:
        result = ExtractionResult("unknown")
        result.findings.extend(doc.findings)
        result.add("interpret_error", f"{type(exc).__name__}: {exc}"[:500])
    result.source_kind = doc.source_kind
    result.extractor_version = EXTRACTOR_VERSION
    if not doc.blocks and result.format == "not_a_report" and any(f.rule in UNREAD_RULES for f in doc.findings):
        # nothing was read (scan without OCR, encrypted, broken, stopped): we cannot say it is not a report
        result.format = "unknown"
    if doc.provenance != "text":
        # no value read by OCR may pass as typed text: every cell carries the document's provenance
        for code in result.cells:
            result.provenance.setdefault(code, doc.provenance)
    return result
