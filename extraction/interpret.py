"""Placeholder until the interpreter lands: every document is reported as not interpreted."""
from __future__ import annotations

from .document import Document
from .result import ExtractionResult


def interpret(doc: Document) -> ExtractionResult:
    result = ExtractionResult("unknown")
    result.findings.extend(doc.findings)
    result.add("not_interpreted", "the interpreter is not built yet")
    return result
