"""A finding: something the extractor noticed about a report that a reader should know.

Findings are data, not log lines: they are stored per report and exported, so every rule name
is stable (``t3.row_total``, ``layout_hybrid``, ``needs_ocr`` ...) and the detail is for humans.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Finding:
    rule: str
    detail: str = ""
    #: optional machine-readable extras (cell codes involved, page numbers ...)
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        if not d["data"]:
            d.pop("data")
        return d
