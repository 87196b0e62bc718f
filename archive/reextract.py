"""Offline re-extraction: the current extraction library over the stored snapshots.

Why: the extractor improves (new label variants, a better PDF reader) long after a portal was
crawled, and the portal may have deleted the report since. Everything needed is in the archive —
raw bytes, content types, which document belongs to which report — so no request is made. Each
result is stored per (snapshot, extractor version) in ``extractions``; a report whose cells or
format change gets a new version (reason ``reextract``, with the extractor version) and its
``cell_changes``, exactly like a change seen on the portal; ``last_seen`` is not touched.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from .db import Archive
from .store import SourceDoc, result_json, store_document
from .volatile import content_key


class _Rollback(Exception):
    pass


@dataclass
class Change:
    report_id: int
    label: str
    action: str
    old_format: str | None
    new_format: str | None
    old_version: int | None
    new_version: int | None
    changed_cells: list[str] = field(default_factory=list)
    old_extractor: str | None = None
    new_extractor: str | None = None

    def line(self) -> str:
        parts = [f"report {self.report_id} {self.label}: {self.action}"]
        if self.old_format != self.new_format:
            parts.append(f"format {self.old_format} -> {self.new_format}")
        if self.changed_cells:
            codes = ", ".join(self.changed_cells[:12]) + (" ..." if len(self.changed_cells) > 12 else "")
            parts.append(f"{len(self.changed_cells)} cells changed ({codes})")
        if self.old_version != self.new_version:
            parts.append(f"version {self.old_version} -> {self.new_version}")
        if self.old_extractor != self.new_extractor:
            parts.append(f"extractor {self.old_extractor} -> {self.new_extractor}")
        return "; ".join(parts)


def _capture_context(archive: Archive, capture_id: int | None, url: str) -> dict[str, Any]:
    cap = archive.capture(capture_id) if capture_id else None
    if cap is None:
        cap = archive.last_full_capture(url) or {}
    return cap


def _extract(archive: Archive, sha: str, url: str, content_type: str | None, opts: Any, key: str,
             force: bool) -> tuple[dict[str, Any], int]:
    from extraction.api import EXTRACTOR_VERSION
    from pipelines.extract import run_extract

    cached = None if force else archive.cached_extraction(sha, EXTRACTOR_VERSION, key)
    if cached is not None:
        return cached["result"], cached["id"]
    result = result_json(run_extract(archive.snapshot_bytes(sha), url, content_type, opts))
    return result, archive.save_extraction(sha, result, key)


def _source_doc(archive: Archive, url: str, sha: str, role: str | None, capture: dict[str, Any],
                attachment_of: str | None, content_type: str | None) -> SourceDoc:
    return SourceDoc(
        url=url, sha256=sha, role=role, capture_id=capture.get("id"), crawl_id=None, attachment_of=attachment_of,
        classification=capture.get("classification"), portal=capture.get("portal"),
        listed_title=capture.get("listed_title"), listed_date=capture.get("listed_date"),
        listed_on=capture.get("listed_on"), content_key=content_key(archive.snapshot_bytes(sha), content_type))


def reextract(archive: Archive, *, report_ids: list[int] | None = None, all_documents: bool = False,
              options: Any = None, force: bool = False, dry_run: bool = False) -> list[Change]:
    """Re-extract reports (all, or ``report_ids``); with ``all_documents`` also every stored article/
    attachment not yet part of a report (a better extractor may recognise it). Returns the changes."""
    from extraction.api import ExtractOptions
    from pipelines.extract import options_key

    opts = options or ExtractOptions()
    key = options_key(opts)
    changes: list[Change] = []
    try:
        with archive.transaction():
            ids = report_ids or [r["id"] for r in archive.iter_reports()]
            for report_id in ids:
                before = archive.report(report_id)
                if before is None:
                    continue
                old_cells = {c: r["value"] for c, r in archive.report_cells(report_id).items()}
                sources = sorted(archive.report_sources(report_id), key=lambda s: (s["role"] == "attachment", s["url"]))
                for src in sources:
                    cap = _capture_context(archive, src["capture_id"], src["url"])
                    ctype = cap.get("content_type")
                    data, extraction_id = _extract(archive, src["sha256"], src["url"], ctype, opts, key, force)
                    attachment_of = before["page_url"] if src["url"] != before["page_url"] else None
                    doc = _source_doc(archive, src["url"], src["sha256"], src["role"], cap, attachment_of, ctype)
                    store_document(archive, doc, data, extraction_id, reason="reextract", sighting=False)
                after = archive.report(report_id)
                new_cells = {c: r["value"] for c, r in archive.report_cells(report_id).items()}
                changed = sorted(c for c in set(old_cells) | set(new_cells) if old_cells.get(c) != new_cells.get(c))
                action = "changed" if (changed or before["format"] != after["format"]) else (
                    "re-read" if before["extractor_version"] != after["extractor_version"] else "unchanged")
                changes.append(Change(
                    report_id, f"{after['agency'] or '?'} {after['report_year'] or '?'}", action,
                    before["format"], after["format"], before["version"], after["version"], changed,
                    before["extractor_version"], after["extractor_version"]))
            if all_documents:
                changes.extend(_new_reports(archive, opts, key, force))
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return changes


def _unattached_documents(archive: Archive) -> Iterator[dict[str, Any]]:
    yield from archive.db.query(
        """SELECT c.* FROM captures c
           WHERE c.id IN (SELECT max(id) FROM captures WHERE status IN (200, 203) AND sha256 IS NOT NULL
                          AND role IN ('article', 'attachment') GROUP BY url)
             AND NOT EXISTS (SELECT 1 FROM report_sources s WHERE s.url = c.url)
             AND coalesce(c.classification, '') != 'decoy'
           ORDER BY c.role = 'attachment', c.url""")


def _new_reports(archive: Archive, opts: Any, key: str, force: bool) -> list[Change]:
    out = []
    for cap in list(_unattached_documents(archive)):
        data, extraction_id = _extract(archive, cap["sha256"], cap["url"], cap["content_type"], opts, key, force)
        doc = _source_doc(archive, cap["url"], cap["sha256"], cap["role"], cap, cap["attachment_of"],
                          cap["content_type"])
        outcome = store_document(archive, doc, data, extraction_id, reason="reextract", sighting=False)
        if outcome.report_id is not None and outcome.action == "new":
            rep = archive.report(outcome.report_id)
            out.append(Change(outcome.report_id, f"{rep['agency'] or '?'} {rep['report_year'] or '?'}", "new report",
                              None, rep["format"], None, rep["version"], [], None, rep["extractor_version"]))
    return out
