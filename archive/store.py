"""From one extracted document to the ``reports`` / ``cells`` / ``findings`` rows and their history.

Scrapy-free on purpose: the crawl (``pipelines.store``), ``scrapy reextract`` and ``scrapy
import-warc`` all store results through :func:`store_document`, so the three agree on what a
report is and when it changed.

What a report is. One row per annual report, identified by its *page*: the article the portal
lists, or the document itself when a portal links a PDF directly. Every document seen for it (the
article, its attachments) is a row of ``report_sources``; the report's cells come from the source
that has the tables (more non-null cells wins; on a tie the article, whose text layer is exact), and
when two sources both have tables and disagree, a ``sources_disagree`` finding says on which cells.
``reports.url``/``sha256`` name the document and snapshot the cells were extracted from;
``attachment_of`` names the article page when that document is an attachment.

When a report changed. A new ``report_versions`` row is written when the chosen source's content
key (volatile parts ignored, see ``archive.volatile``) or its extracted format/cells change; the
differences are written cell by cell to ``cell_changes``. The very first completion of a report
within one crawl run (an article without tables, then its attachment) updates the version in place,
so a plain first crawl has exactly one version per report. Choosing is order-independent: the
result is the same whichever document arrives first, which is what lets a crash-resumed crawl end
in the same state as an uninterrupted one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .db import Archive, _json, _loads, utcnow

#: formats that carry statutory tables
TABLE_FORMATS = ("2019", "2021")
REPORT_FORMATS = ("2019", "2021", "pre2019")
#: meta keys copied to report columns
META_COLUMNS = ("title", "agency", "report_year", "index_no", "published", "publisher")


@dataclass
class SourceDoc:
    """One fetched document as the store needs it (independent of Scrapy items)."""
    url: str
    sha256: str
    role: str | None = None
    capture_id: int | None = None
    crawl_id: int | None = None
    attachment_of: str | None = None
    classification: str | None = None
    portal: str | None = None
    listed_title: str | None = None
    listed_date: str | None = None
    listed_on: str | None = None
    content_key: str | None = None
    seen_at: str | None = None


@dataclass
class StoreOutcome:
    report_id: int | None
    action: str  # "new" | "version" | "updated" | "unchanged" | "source_added" | "skipped"
    version: int | None = None
    changed_cells: list[str] = field(default_factory=list)


def is_report_candidate(doc: SourceDoc, result: dict[str, Any]) -> bool:
    """Does this document make (or belong to) a report row?

    The spider's verdict and the extractor's are combined: a decoy is never a report; a document
    the spider calls a report is one; otherwise the statutory format decides (what a WARC import or
    a bare start URL has to go on).
    """
    if doc.classification == "decoy":
        return False
    if doc.classification == "report":
        return True
    return result.get("format") in REPORT_FORMATS


def n_cells(result: dict[str, Any]) -> int:
    return sum(1 for v in (result.get("cells") or {}).values() if v is not None)


def _rank(source: dict[str, Any]) -> tuple:
    """Sort key: the best source first (tables, then more cells, then the article, then URL)."""
    return (
        0 if source.get("format") in TABLE_FORMATS else 1 if source.get("format") in REPORT_FORMATS else 2,
        -(source.get("n_cells") or 0),
        0 if source.get("role") != "attachment" else 1,
        source.get("url") or "",
    )


def compare_cells(a: dict[str, Any], b: dict[str, Any], tolerance: float = 1e-6) -> list[str]:
    """Codes whose values differ where both documents printed a number."""
    out = []
    for code in sorted(set(a) & set(b)):
        va, vb = a.get(code), b.get(code)
        if va is None or vb is None:
            continue
        if abs(float(va) - float(vb)) > tolerance:
            out.append(code)
    return out


def _as_result(data: dict[str, Any]):
    from extraction.findings import Finding
    from extraction.result import ExtractionResult

    return ExtractionResult(
        data.get("format") or "unknown", meta=dict(data.get("meta") or {}), cells=dict(data.get("cells") or {}),
        raw=dict(data.get("raw") or {}),
        findings=[Finding(f.get("rule", ""), f.get("detail", ""), f.get("data") or {}) for f in data.get("findings") or []],
        provenance=dict(data.get("provenance") or {}))


def disagreements(best: dict[str, Any], best_result: dict[str, Any], other: dict[str, Any],
                  other_result: dict[str, Any]) -> list[dict[str, Any]]:
    """Findings where two documents of one report (article and attachment) read differently.

    ``extraction.compare`` decides what a disagreement is (cells both print differently, format,
    year); the URLs of both documents are added so a reader can open them side by side.
    """
    try:
        from extraction.compare import compare_results
    except ImportError:  # the comparison library is optional: fall back to cells only
        diff = compare_cells(best_result.get("cells") or {}, other_result.get("cells") or {})
        found = [{"rule": "sources_disagree", "detail": f"{len(diff)} cell(s) differ: " + ", ".join(diff[:20]),
                  "data": {"codes": diff}}] if diff else []
    else:
        a_name = best.get("role") or "document"
        b_name = other.get("role") or "document"
        if a_name == b_name:
            a_name, b_name = f"{a_name} (chosen)", f"{b_name} (other)"
        found = [f.to_json() for f in compare_results(_as_result(best_result), _as_result(other_result),
                                                      a_name=a_name, b_name=b_name)]
    for f in found:
        f["data"] = {**(f.get("data") or {}), "chosen_url": best["url"], "other_url": other["url"]}
    return found


def _report_year(value: Any) -> int | None:
    try:
        return int(str(value)[:4]) if value not in (None, "") else None
    except ValueError:
        return None


def store_document(archive: Archive, doc: SourceDoc, result: dict[str, Any], extraction_id: int | None,
                   *, reason: str = "crawl", sighting: bool = True) -> StoreOutcome:
    """Record ``doc`` (already captured) with its extraction ``result`` (``ExtractionResult.to_json()``).

    One transaction: the report row, its sources, cells, findings, version and cell changes.
    ``sighting=False`` (``scrapy reextract``) changes what was read, not when the report was last
    seen on its portal: ``last_seen``/``status`` stay as they were.
    """
    page_url = doc.attachment_of if (doc.role == "attachment" and doc.attachment_of) else doc.url
    now = doc.seen_at or utcnow()
    with archive.transaction():
        report = archive.report_by_page(page_url)
        if report is None and page_url == doc.url:
            report = _same_document_report(archive, doc)
            if report is not None:
                page_url = report["page_url"]
        if report is None:
            if not is_report_candidate(doc, result):
                return StoreOutcome(None, "skipped")
        if extraction_id is None:  # keep every result retrievable: sources are compared later
            extraction_id = archive.save_extraction(doc.sha256, result)
        if report is None:
            report_id = int(archive.db["reports"].insert({
                "page_url": page_url, "url": doc.url, "status": "current", "first_seen": now,
                "last_seen": now, "last_seen_crawl": doc.crawl_id, "version": 0, "portal": doc.portal,
            }).last_pk)
            report = archive.report(report_id)
            created = True
        else:
            report_id = int(report["id"])
            created = False

        source_row = {
            "report_id": report_id, "url": doc.url, "role": doc.role, "sha256": doc.sha256,
            "extraction_id": extraction_id, "capture_id": doc.capture_id, "content_key": doc.content_key,
            "n_cells": n_cells(result), "format": result.get("format"), "seen_at": now,
        }
        if doc.capture_id is None:  # replayed from the archive: keep the capture it came from
            source_row.pop("capture_id")
        previous = next((s for s in archive.report_sources(report_id) if s["url"] == doc.url), None)
        if _lost_tables(previous, result):
            # A document that had the tables comes back without them (truncated body, error page
            # served as 200, garbage): bad input must not replace good data. The capture and its
            # snapshot are kept; the report keeps the earlier reading and says what happened.
            source_row = {"report_id": report_id, "url": doc.url, "seen_at": now,
                          "degraded": f"{now}: {doc.sha256} read as {result.get('format')} "
                                      f"with {n_cells(result)} cells; earlier reading kept"}
        else:
            source_row["degraded"] = None
        archive.db["report_sources"].upsert(source_row, pk=("report_id", "url"))

        sources = sorted(archive.report_sources(report_id), key=_rank)
        best = sources[0]
        best_result = result if best["extraction_id"] == extraction_id else (
            (archive.extraction(best["extraction_id"]) or {}).get("result", {}) if best["extraction_id"] else {})
        findings = [dict(f) for f in (best_result.get("findings") or [])]
        findings.extend({"rule": "source_degraded", "detail": f"{s['url']}: {s['degraded']}",
                         "data": {"url": s["url"]}} for s in sources if s.get("degraded"))
        for other in sources[1:]:
            if other.get("format") not in TABLE_FORMATS or best.get("format") not in TABLE_FORMATS:
                continue
            other_result = result if other["extraction_id"] == extraction_id else (
                (archive.extraction(other["extraction_id"]) or {}).get("result", {}) if other["extraction_id"] else {})
            findings.extend(disagreements(best, best_result, other, other_result))

        meta = dict(best_result.get("meta") or {})
        cells = dict(best_result.get("cells") or {})
        raw = dict(best_result.get("raw") or {})
        provenance = dict(best_result.get("provenance") or {})
        fmt = best_result.get("format")
        row: dict[str, Any] = {
            "url": best["url"], "sha256": best["sha256"], "capture_id": best["capture_id"],
            "extraction_id": best["extraction_id"],
            "attachment_of": page_url if best["url"] != page_url else None,
            "format": fmt if fmt in REPORT_FORMATS else None,
            "source_kind": best_result.get("source_kind"),
            "extractor_version": best_result.get("extractor_version"),
            "content_key": best.get("content_key"),
            "title": meta.get("title") or doc.listed_title or report.get("title"),
            "agency": meta.get("agency") or report.get("agency"),
            "report_year": _report_year(meta.get("report_year")) or report.get("report_year"),
            "index_no": meta.get("index_no"), "published": meta.get("published") or doc.listed_date,
            "publisher": meta.get("publisher"), "meta": _json(meta),
            "updated_at": now,
        }
        if sighting:
            row.update({"status": "current", "gone_since": None, "last_seen": now})
            if doc.crawl_id is not None:
                row["last_seen_crawl"] = doc.crawl_id
        for key in ("portal", "listed_title", "listed_date", "listed_on"):
            value = getattr(doc, key)
            if value and (doc.url == page_url or not report.get(key)):
                row[key] = value

        outcome = _version(archive, report, row, cells, raw, doc, reason, created)
        archive.db["reports"].update(report_id, row)
        if outcome.action in ("new", "version", "updated"):
            archive.db.execute("DELETE FROM cells WHERE report_id = ?", [report_id])
            archive.db["cells"].insert_all(
                ({"report_id": report_id, "code": code, "value": value, "raw": raw.get(code),
                  "provenance": provenance.get(code)} for code, value in sorted(cells.items())),
                pk=("report_id", "code"))
        # findings follow the chosen source (its rules plus the comparison), rewritten when they differ
        old = [(f["rule"], f["detail"]) for f in archive.report_findings(report_id)]
        if old != [(f.get("rule"), f.get("detail", "")) for f in findings]:
            archive.db.execute("DELETE FROM findings WHERE report_id = ?", [report_id])
            archive.db["findings"].insert_all(
                ({"report_id": report_id, "rule": f.get("rule"), "detail": f.get("detail", ""),
                  "data": _json(f.get("data")) if f.get("data") else None} for f in findings), pk="id")
        if outcome.action == "unchanged" and created:
            outcome.action = "new"
        outcome.report_id = report_id
        return outcome


def _lost_tables(previous: dict[str, Any] | None, result: dict[str, Any]) -> bool:
    return bool(previous and previous.get("format") in TABLE_FORMATS and (previous.get("n_cells") or 0) > 0
                and (result.get("format") not in TABLE_FORMATS or n_cells(result) == 0))


def _same_document_report(archive: Archive, doc: SourceDoc) -> dict[str, Any] | None:
    """A report that already has this very document under another URL (same bytes, or the same
    text once volatile parts are removed): the same report reached twice, not a second one."""
    keys = [doc.sha256] + ([doc.content_key] if doc.content_key else [])
    rows = list(archive.db.query(
        "SELECT r.* FROM report_sources s JOIN reports r ON r.id = s.report_id "
        "WHERE s.sha256 = ? OR (s.content_key IS NOT NULL AND s.content_key = ?) ORDER BY r.id LIMIT 1",
        [keys[0], keys[-1]]))
    return rows[0] if rows else None


def _version(archive: Archive, report: dict[str, Any], row: dict[str, Any], cells: dict[str, Any],
             raw: dict[str, Any], doc: SourceDoc, reason: str, created: bool) -> StoreOutcome:
    """Decide whether the report's content changed; write the version row and cell changes."""
    report_id = int(report["id"])
    versions = list(archive.db.query(
        "SELECT * FROM report_versions WHERE report_id = ? ORDER BY version DESC LIMIT 1", [report_id]))
    current = versions[0] if versions else None
    new_version = {
        "report_id": report_id, "url": row["url"], "sha256": row["sha256"],
        "extraction_id": row["extraction_id"], "content_key": row["content_key"], "format": row["format"],
        "cells": _json(cells), "raw": _json(raw), "meta": row["meta"],
        "extractor_version": row["extractor_version"], "crawl_id": doc.crawl_id, "created_at": row["updated_at"],
        "reason": reason,
    }
    if current is None:
        archive.db["report_versions"].insert({**new_version, "version": 1})
        row["version"] = 1
        return StoreOutcome(report_id, "new", 1, sorted(k for k, v in cells.items() if v is not None))

    old_cells = _loads(current["cells"], {})
    same_content = current["content_key"] == row["content_key"] and current["url"] == row["url"]
    same_result = old_cells == cells and current["format"] == row["format"] and _loads(current["raw"], {}) == raw
    if same_content and same_result:
        row["version"] = current["version"]
        if current["extractor_version"] != row["extractor_version"] or current["extraction_id"] != row["extraction_id"]:
            # same content, same values, produced by another extractor run: note who produced it
            archive.db["report_versions"].update(current["id"], {
                "extraction_id": row["extraction_id"], "extractor_version": row["extractor_version"]})
            return StoreOutcome(report_id, "updated", current["version"])
        return StoreOutcome(report_id, "unchanged", current["version"])

    changed = sorted(code for code in set(old_cells) | set(cells) if old_cells.get(code) != cells.get(code))
    # An article without tables completed by its attachment in the same crawl run is not history.
    if (not any(v is not None for v in old_cells.values()) and current["url"] != row["url"]
            and doc.crawl_id is not None and current["crawl_id"] is not None
            and current["crawl_id"] in archive.run_crawl_ids(doc.crawl_id)):
        archive.db["report_versions"].update(current["id"], {k: v for k, v in new_version.items()
                                                             if k not in ("report_id",)})
        row["version"] = current["version"]
        return StoreOutcome(report_id, "updated", current["version"], changed)

    number = int(current["version"]) + 1
    archive.db["report_versions"].insert({**new_version, "version": number})
    old_raw = _loads(current["raw"], {})
    archive.db["cell_changes"].insert_all(({
        "report_id": report_id, "from_version": current["version"], "to_version": number, "code": code,
        "old_value": old_cells.get(code), "new_value": cells.get(code), "old_raw": old_raw.get(code),
        "new_raw": raw.get(code), "changed_at": row["updated_at"],
    } for code in changed), pk="id")
    row["version"] = number
    return StoreOutcome(report_id, "version", number, changed)


def touch_report(archive: Archive, url: str, crawl_id: int | None, seen_at: str | None = None) -> int | None:
    """A report page fetched again with nothing to extract anew (304, cached): just mark it seen."""
    with archive.transaction():
        report = archive.report_for_url(url)
        if report is None:
            return None
        archive.db["reports"].update(report["id"], {
            "last_seen": seen_at or utcnow(), "last_seen_crawl": crawl_id, "status": "current", "gone_since": None})
        return int(report["id"])


def mark_gone(archive: Archive, crawl_id: int, portals: set[str] | None = None) -> list[int]:
    """Reports of the portals this crawl run covered that no crawl of the run saw: status ``gone``.

    Never deletes. Only called for a run that finished normally (a crawl cut short by a page budget
    or an error has not seen everything and must not declare anything gone).
    """
    run_ids = archive.run_crawl_ids(crawl_id)
    marks = ",".join("?" * len(run_ids))
    query = (f"SELECT id, portal FROM reports WHERE status = 'current' "
             f"AND (last_seen_crawl IS NULL OR last_seen_crawl NOT IN ({marks}))")
    gone: list[int] = []
    now = utcnow()
    with archive.transaction():
        for report_id, portal in archive.db.execute(query, run_ids).fetchall():
            if portals is not None and portal not in portals:
                continue
            archive.db["reports"].update(report_id, {"status": "gone", "gone_since": now})
            gone.append(int(report_id))
    return gone


def result_json(result: Any) -> dict[str, Any]:
    """ExtractionResult | dict → the JSON dict stored in ``extractions.result``."""
    if isinstance(result, dict):
        return result
    data = result.to_json()
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))
