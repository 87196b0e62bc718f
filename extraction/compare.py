"""Compare two extractions of the same report (an article page and its attachment).

Why a pure function: the pipelines decide which results belong together (``attachment_of``);
this module only says where two results disagree, as findings the store keeps on the report.
A cell present in one and absent (or null) in the other is not a disagreement — article pages
often print only the text and leave the tables to the attachment — unless ``strict`` is set.
"""
from __future__ import annotations

from .findings import Finding
from .result import ExtractionResult

#: cells listed one by one in a finding's data before it is summarised
MAX_LISTED = 50


def _same(a, b) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-6
    except (TypeError, ValueError):
        return a == b


def compare_results(a: ExtractionResult, b: ExtractionResult, *, a_name: str = "article",
                    b_name: str = "attachment", strict: bool = False) -> list[Finding]:
    """Findings for cells (and format / report year) on which ``a`` and ``b`` disagree."""
    out: list[Finding] = []
    if a.format != b.format and "unknown" not in (a.format, b.format) and a.cells and b.cells:
        out.append(Finding("sources_disagree_format", f"{a_name} reads as format {a.format}, {b_name} as {b.format}",
                           {a_name: a.format, b_name: b.format}))
    ya, yb = a.meta.get("report_year"), b.meta.get("report_year")
    if ya is not None and yb is not None and ya != yb:
        out.append(Finding("sources_disagree_year", f"{a_name} says {ya}, {b_name} says {yb}", {a_name: ya, b_name: yb}))
    differing: list[dict] = []
    missing: list[str] = []
    for code in sorted(set(a.cells) | set(b.cells)):
        va, vb = a.cells.get(code), b.cells.get(code)
        if va is None or vb is None:
            if strict and (va is None) != (vb is None):
                missing.append(code)
            continue
        if not _same(va, vb):
            differing.append({"code": code, a_name: va, b_name: vb,
                              **({"provenance": p} if (p := a.provenance.get(code) or b.provenance.get(code)) else {})})
    if differing:
        shown = ", ".join(f"{d['code']}: {d[a_name]} vs {d[b_name]}" for d in differing[:5])
        more = f" (+{len(differing) - 5} more)" if len(differing) > 5 else ""
        out.append(Finding("sources_disagree", f"{len(differing)} cell(s) differ between {a_name} and {b_name}: {shown}{more}",
                           {"cells": differing[:MAX_LISTED], "count": len(differing)}))
    if missing:
        out.append(Finding("sources_incomplete", f"{len(missing)} cell(s) only one of {a_name}/{b_name} has",
                           {"cells": missing[:MAX_LISTED], "count": len(missing)}))
    return out


def richer(a: ExtractionResult, b: ExtractionResult) -> ExtractionResult:
    """The result to keep as the report's values: more non-null cells, then fewer OCR cells."""
    def key(r: ExtractionResult):
        return (sum(1 for v in r.cells.values() if v is not None), -len(r.provenance))
    return a if key(a) >= key(b) else b
