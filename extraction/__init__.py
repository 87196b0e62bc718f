"""nianbao's extraction library: report bytes in, canonical cells out. Knows nothing of Scrapy.

    >>> from extraction import extract
    >>> result = extract(open("report.html", "rb").read(), filename="report.html")
    >>> result.format, result.cells["t3.new.total"]

The pipeline is: ``sniff`` (what kind of bytes) → a reader (``html``, ``text``, ``pdf``, ``docx``,
``office``) producing a ``Document`` → ``interpret`` (format, meta, cells, findings) → ``rules``.
"""
from __future__ import annotations

from .api import EXTRACTOR_VERSION, ExtractOptions, extract, read_document
from .document import Document, Table, TableCell
from .findings import Finding
from .result import ExtractionResult

__all__ = [
    "EXTRACTOR_VERSION", "ExtractOptions", "extract", "read_document", "Document", "Table",
    "TableCell", "Finding", "ExtractionResult",
]
