"""What extraction returns for one document: the output contract of ``scrapy extract``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .findings import Finding

Number = int | float | None


@dataclass
class ExtractionResult:
    #: "2019" | "2021" | "pre2019" | "not_a_report" | "unknown"
    format: str
    meta: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, Number] = field(default_factory=dict)
    raw: dict[str, str | None] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    #: code -> how the value was read when not from a text layer ("ocr")
    provenance: dict[str, str] = field(default_factory=dict)
    #: what kind of document was read ("html", "text", "pdf", "docx", ...)
    source_kind: str = ""
    extractor_version: str = ""

    def add(self, rule: str, detail: str = "", **data: Any) -> None:
        self.findings.append(Finding(rule, detail, data))

    def to_json(self, source: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if source is not None:
            out["source"] = source
        out.update({
            "format": self.format,
            "meta": self.meta,
            "cells": self.cells,
            "raw": self.raw,
            "findings": [f.to_json() for f in self.findings],
            "source_kind": self.source_kind,
            "extractor_version": self.extractor_version,
        })
        if self.provenance:
            out["provenance"] = self.provenance
        return out
