"""The archive database: its schema and every read/write of it, through sqlite-utils.

Why one module owns the schema: the crawl pipelines, ``scrapy reextract``, WARC import/export,
exports and datasette all read the same file; one place that creates tables, adds columns on
upgrade and wraps each write in one transaction keeps them agreeing (style.md §6).

Durability rules (issue 6): WAL mode and a busy timeout so a reader or a second writer waits
instead of failing; every logical write (one capture, one report update) runs in one
``BEGIN IMMEDIATE`` transaction, so a ``kill -9`` leaves either all of it or none of it; rows are
never deleted by crawling (a report that disappears is marked ``gone``; a changed report keeps its
old versions). Tables beyond the spec's five:

* ``crawls`` — one row per crawl process (spider, arguments, times, stats, outcome, job);
* ``extractions`` — one extraction result per (snapshot, extractor version): the cache that lets an
  unchanged re-crawl skip extraction, and what ``scrapy reextract`` compares against;
* ``report_sources`` — every document seen for a report (the article page, its attachments);
* ``report_versions`` / ``cell_changes`` — the content history of each report, cell by cell;
* ``volatile`` patterns live in ``data/volatile_patterns.csv``, not here.
"""
from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils

from .snapshots import Packed, pack, sha256_hex, unpack

SCHEMA_VERSION = 1

#: table -> ({column: type}, options). Types are sqlite-utils types (str, int, float, bytes).
TABLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "crawls": ({
        "id": int, "spider": str, "arguments": str, "job": str, "run_id": int, "resumed_from": int,
        "started": str, "finished": str, "outcome": str, "stats": str, "pid": int, "host": str,
        "settings": str,
    }, {"pk": "id"}),
    "snapshots": ({
        "sha256": str, "content": bytes, "content_encoding": str, "content_type": str, "size": int,
        "stored_at": str,
    }, {"pk": "sha256", "not_null": {"content", "size"}}),
    "captures": ({
        "id": int, "crawl_id": int, "url": str, "request_url": str, "method": str, "fetched_at": str,
        "status": int, "sha256": str, "headers": str, "request_headers": str, "content_type": str,
        "role": str, "classification": str, "reason": str, "portal": str, "family": str,
        "listed_on": str, "listed_title": str, "listed_date": str, "attachment_of": str,
        "revisit_of": int, "error": str, "size": int,
    }, {"pk": "id", "foreign_keys": [("crawl_id", "crawls", "id"), ("sha256", "snapshots", "sha256")]}),
    "extractions": ({
        "id": int, "sha256": str, "extractor_version": str, "options": str, "format": str,
        "source_kind": str, "result": str, "created_at": str,
    }, {"pk": "id", "foreign_keys": [("sha256", "snapshots", "sha256")]}),
    "reports": ({
        "id": int, "page_url": str, "url": str, "attachment_of": str, "title": str, "agency": str,
        "report_year": int, "format": str, "sha256": str, "capture_id": int, "extraction_id": int,
        "index_no": str, "published": str, "publisher": str, "portal": str, "listed_title": str,
        "listed_date": str, "listed_on": str, "source_kind": str, "extractor_version": str,
        "content_key": str, "version": int, "status": str, "first_seen": str, "last_seen": str,
        "last_seen_crawl": int, "gone_since": str, "updated_at": str, "meta": str,
    }, {"pk": "id", "foreign_keys": [("sha256", "snapshots", "sha256")]}),
    "report_sources": ({
        "report_id": int, "url": str, "role": str, "sha256": str, "extraction_id": int,
        "capture_id": int, "content_key": str, "n_cells": int, "format": str, "seen_at": str,
        "degraded": str,
    }, {"pk": ("report_id", "url"), "foreign_keys": [("report_id", "reports", "id")]}),
    "cells": ({
        "report_id": int, "code": str, "value": "ANY", "raw": str, "provenance": str,
    }, {"pk": ("report_id", "code"), "foreign_keys": [("report_id", "reports", "id")]}),
    "findings": ({
        "id": int, "report_id": int, "rule": str, "detail": str, "data": str,
    }, {"pk": "id", "foreign_keys": [("report_id", "reports", "id")]}),
    "report_versions": ({
        "id": int, "report_id": int, "version": int, "url": str, "sha256": str, "extraction_id": int,
        "content_key": str, "format": str, "cells": str, "raw": str, "meta": str,
        "extractor_version": str, "crawl_id": int, "created_at": str, "reason": str,
    }, {"pk": "id", "foreign_keys": [("report_id", "reports", "id")]}),
    "cell_changes": ({
        "id": int, "report_id": int, "from_version": int, "to_version": int, "code": str,
        "old_value": "ANY", "new_value": "ANY", "old_raw": str, "new_raw": str, "changed_at": str,
    }, {"pk": "id", "foreign_keys": [("report_id", "reports", "id")]}),
    "archive_meta": ({"key": str, "value": str}, {"pk": "key"}),
}

INDEXES: list[tuple[str, list[str], bool]] = [
    ("captures", ["url"], False),
    ("captures", ["sha256"], False),
    ("captures", ["crawl_id"], False),
    ("extractions", ["sha256", "extractor_version", "options"], True),
    ("reports", ["page_url"], True),
    ("reports", ["url"], False),
    ("reports", ["agency", "report_year"], False),
    ("report_sources", ["url"], False),
    ("findings", ["report_id"], False),
    ("report_versions", ["report_id", "version"], True),
    ("cell_changes", ["report_id"], False),
]

VIEWS = {
    # What changed, cell by cell, with the report it belongs to: the history view of issue 6.
    "report_history": """
        SELECT c.report_id, r.agency, r.report_year, r.page_url, c.from_version, c.to_version,
               c.changed_at, c.code, c.old_value, c.new_value, c.old_raw, c.new_raw
        FROM cell_changes c JOIN reports r ON r.id = c.report_id
        ORDER BY c.report_id, c.to_version, c.code
    """,
    # Reports with their newest capture time, for "what is on the portal now".
    "current_reports": """
        SELECT * FROM reports WHERE status = 'current'
    """,
}


def utcnow() -> str:
    """ISO 8601 UTC with seconds, the format of every timestamp in the archive."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _loads(text: str | None, default: Any = None) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def _header_value(headers: dict[str, Any] | None, name: str) -> str | None:
    """Case-insensitive single header value from a {name: [values]} or {name: value} dict."""
    if not headers:
        return None
    lname = name.lower()
    for key, value in headers.items():
        key_s = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key_s.lower() == lname:
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            return value
    return None


def normalise_headers(headers: Any) -> dict[str, list[str]]:
    """Scrapy ``Headers`` / dict of bytes or str → ``{name: [values]}`` of str (JSON-able)."""
    out: dict[str, list[str]] = {}
    if not headers:
        return out
    items = headers.items() if hasattr(headers, "items") else headers
    for key, value in items:
        k = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        values = value if isinstance(value, (list, tuple)) else [value]
        out[k] = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values]
    return out


class ArchiveError(RuntimeError):
    """A problem with the archive file itself (not with one page)."""


class Archive:
    """One SQLite archive file. Use one instance per thread; all writes go through methods here."""

    def __init__(self, path: str | os.PathLike, *, timeout: float = 60.0, readonly: bool = False,
                 zstd_level: int = 9) -> None:
        self.path = str(path)
        self.zstd_level = zstd_level
        self.readonly = readonly
        if readonly:
            if not Path(self.path).exists():
                raise ArchiveError(f"no archive at {self.path}")
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=timeout)
        else:
            parent = Path(self.path).parent
            parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=timeout)
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        self.db = sqlite_utils.Database(conn)
        if not readonly:
            try:
                self.db.enable_wal()
            except sqlite3.DatabaseError as exc:
                raise ArchiveError(f"{self.path} is not a usable SQLite database: {exc}") from exc
            # NORMAL in WAL: a process crash (kill -9) loses nothing committed; only a power cut
            # may lose the last transactions, never corrupt the file.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self.ensure_schema()

    # ------------------------------------------------------------------ setup
    def ensure_schema(self) -> None:
        """Create missing tables, columns, indexes and views; never drops anything."""
        with self.transaction():
            for name, (columns, options) in TABLES.items():
                table = self.db[name]
                if not table.exists():
                    table.create(columns, **options)
                else:
                    have = set(table.columns_dict)
                    for col, typ in columns.items():
                        if col not in have:
                            table.add_column(col, typ)
            for table, cols, unique in INDEXES:
                self.db[table].create_index(cols, unique=unique, if_not_exists=True)
            for name, sql in VIEWS.items():
                self.db.create_view(name, sql, replace=True)
            self.db["archive_meta"].upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction; nested calls join the outer one.

        ``BEGIN IMMEDIATE`` takes the write lock up front, so two processes writing the same file
        queue on the busy timeout instead of failing half-way with SQLITE_BUSY on upgrade.
        """
        conn = self.db.conn
        if conn.in_transaction:
            yield self.db
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def integrity_check(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]

    # ------------------------------------------------------------------ snapshots
    def put_snapshot(self, data: bytes, content_type: str | None = None) -> str:
        """Store a body once (content-addressed); returns its sha256."""
        digest = sha256_hex(data)
        with self.transaction():
            if self.db.execute("SELECT 1 FROM snapshots WHERE sha256 = ?", [digest]).fetchone() is None:
                packed: Packed = pack(data, self.zstd_level)
                self.db["snapshots"].insert({
                    "sha256": digest, "content": packed.content, "content_encoding": packed.content_encoding,
                    "content_type": content_type, "size": packed.size, "stored_at": utcnow(),
                })
        return digest

    def has_snapshot(self, sha256: str) -> bool:
        return self.db.execute("SELECT 1 FROM snapshots WHERE sha256 = ?", [sha256]).fetchone() is not None

    def snapshot_bytes(self, sha256: str, verify: bool = True) -> bytes:
        """The raw bytes as served, bit for bit (verified against the sha256 unless told not to)."""
        row = self.db.execute("SELECT content, content_encoding FROM snapshots WHERE sha256 = ?",
                              [sha256]).fetchone()
        if row is None:
            raise KeyError(sha256)
        return unpack(row[0], row[1], sha256 if verify else None)

    def snapshot_info(self, sha256: str) -> dict[str, Any] | None:
        rows = list(self.db.query(
            "SELECT sha256, content_encoding, content_type, size, length(content) AS stored_size "
            "FROM snapshots WHERE sha256 = ?", [sha256]))
        return rows[0] if rows else None

    # ------------------------------------------------------------------ crawls
    def start_crawl(self, spider: str, arguments: dict[str, Any] | None = None, *, job: str | None = None,
                    resumed_from: int | None = None, settings: dict[str, Any] | None = None) -> int:
        with self.transaction():
            run_id = None
            if resumed_from is not None:
                prev = self.crawl(resumed_from)
                run_id = (prev or {}).get("run_id") or resumed_from
            crawl_id = self.db["crawls"].insert({
                "spider": spider, "arguments": _json(arguments or {}), "job": job,
                "resumed_from": resumed_from, "started": utcnow(), "outcome": "running",
                "pid": os.getpid(), "host": os.uname().nodename, "settings": _json(settings),
            }).last_pk
            self.db["crawls"].update(crawl_id, {"run_id": run_id or crawl_id})
        return int(crawl_id)

    def finish_crawl(self, crawl_id: int, outcome: str, stats: dict[str, Any] | None = None) -> None:
        with self.transaction():
            self.db["crawls"].update(crawl_id, {"finished": utcnow(), "outcome": outcome,
                                                "stats": _json(stats or {})})

    def crawl(self, crawl_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM crawls WHERE id = ?", [crawl_id]))
        return rows[0] if rows else None

    def last_unfinished_crawl(self, job: str) -> dict[str, Any] | None:
        """The newest crawl of a named job that did not finish: the one a resume continues."""
        rows = list(self.db.query(
            "SELECT * FROM crawls WHERE job = ? ORDER BY id DESC LIMIT 1", [job]))
        if rows and rows[0]["outcome"] not in ("finished",):
            return rows[0]
        return None

    def run_crawl_ids(self, crawl_id: int) -> list[int]:
        """All crawl rows of the same run (a crawl and the resumes that continued it)."""
        row = self.crawl(crawl_id)
        run_id = (row or {}).get("run_id") or crawl_id
        return [r[0] for r in self.db.execute("SELECT id FROM crawls WHERE run_id = ? OR id = ?",
                                              [run_id, run_id])]

    # ------------------------------------------------------------------ captures
    def add_capture(self, url: str, *, status: int | None, body: bytes | None = None,
                    sha256: str | None = None, headers: Any = None, request_headers: Any = None,
                    method: str = "GET", fetched_at: str | None = None, crawl_id: int | None = None,
                    content_type: str | None = None, **extra: Any) -> int:
        """Record one fetch (and its body as a snapshot) in one transaction; returns the capture id.

        ``body`` may be omitted when ``sha256`` names a body already stored (a 304 revisit, a WARC
        revisit record). ``extra`` are the optional columns of ``captures`` (role, listed_on ...).
        """
        hdrs = normalise_headers(headers)
        if content_type is None:
            content_type = _header_value(hdrs, "Content-Type")
        row: dict[str, Any] = {
            "crawl_id": crawl_id, "url": url, "method": method or "GET", "status": status,
            "fetched_at": fetched_at or utcnow(), "headers": _json(hdrs),
            "request_headers": _json(normalise_headers(request_headers)) if request_headers else None,
            "content_type": content_type,
        }
        allowed = set(TABLES["captures"][0])
        for key, value in extra.items():
            if key not in allowed:
                raise TypeError(f"captures has no column {key!r}")
            row[key] = value
        with self.transaction():
            if body is not None:
                digest = self.put_snapshot(bytes(body), content_type)
                if sha256 is not None and sha256 != digest:
                    raise ValueError(f"body does not match sha256 {sha256}")
                row["sha256"] = digest
                row["size"] = len(body)
            elif sha256 is not None:
                if not self.has_snapshot(sha256):
                    raise KeyError(f"capture names snapshot {sha256} that is not stored")
                row["sha256"] = sha256
            return int(self.db["captures"].insert(row).last_pk)

    def capture(self, capture_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM captures WHERE id = ?", [capture_id]))
        return rows[0] if rows else None

    def last_capture(self, url: str, *, with_body: bool = True) -> dict[str, Any] | None:
        """The newest capture of ``url`` that has a body (status 200 or a 304 pointing at one)."""
        cond = "AND sha256 IS NOT NULL AND status IN (200, 203, 304)" if with_body else ""
        rows = list(self.db.query(
            f"SELECT * FROM captures WHERE url = ? {cond} ORDER BY id DESC LIMIT 1", [url]))
        return rows[0] if rows else None

    def last_full_capture(self, url: str, sha256: str | None = None) -> dict[str, Any] | None:
        """The newest capture that actually downloaded the body (not a revisit) — what a 304 refers to."""
        q = "SELECT * FROM captures WHERE url = ? AND sha256 IS NOT NULL AND status BETWEEN 200 AND 299"
        args: list[Any] = [url]
        if sha256:
            q += " AND sha256 = ?"
            args.append(sha256)
        rows = list(self.db.query(q + " ORDER BY id DESC LIMIT 1", args))
        return rows[0] if rows else None

    def iter_captures(self, crawl_id: int | None = None) -> Iterator[dict[str, Any]]:
        if crawl_id is None:
            yield from self.db.query("SELECT * FROM captures ORDER BY id")
        else:
            yield from self.db.query("SELECT * FROM captures WHERE crawl_id = ? ORDER BY id", [crawl_id])

    # ------------------------------------------------------------------ extractions
    def cached_extraction(self, sha256: str, extractor_version: str, options: str = "") -> dict[str, Any] | None:
        rows = list(self.db.query(
            "SELECT * FROM extractions WHERE sha256 = ? AND extractor_version = ? AND options = ?",
            [sha256, extractor_version, options]))
        if not rows:
            return None
        row = rows[0]
        row["result"] = _loads(row["result"], {})
        return row

    def save_extraction(self, sha256: str, result_json: dict[str, Any], options: str = "") -> int:
        """Store one extraction result (idempotent per snapshot × extractor version × options)."""
        version = result_json.get("extractor_version") or ""
        with self.transaction():
            existing = self.db.execute(
                "SELECT id FROM extractions WHERE sha256 = ? AND extractor_version = ? AND options = ?",
                [sha256, version, options]).fetchone()
            row = {"sha256": sha256, "extractor_version": version, "options": options,
                   "format": result_json.get("format"), "source_kind": result_json.get("source_kind"),
                   "result": _json(result_json), "created_at": utcnow()}
            if existing:
                self.db["extractions"].update(existing[0], row)
                return int(existing[0])
            return int(self.db["extractions"].insert(row).last_pk)

    def extraction(self, extraction_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM extractions WHERE id = ?", [extraction_id]))
        if not rows:
            return None
        rows[0]["result"] = _loads(rows[0]["result"], {})
        return rows[0]

    # ------------------------------------------------------------------ reports
    def upsert_report(self, doc: Any, result: Any, extraction_id: int | None = None, **kwargs: Any) -> Any:
        """Store one extracted document as (part of) a report: see ``archive.store.store_document``."""
        from .store import result_json, store_document
        return store_document(self, doc, result_json(result), extraction_id, **kwargs)


    def report(self, report_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM reports WHERE id = ?", [report_id]))
        return rows[0] if rows else None

    def report_by_page(self, page_url: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM reports WHERE page_url = ?", [page_url]))
        return rows[0] if rows else None

    def report_for_url(self, url: str) -> dict[str, Any] | None:
        """The report a document URL belongs to (as its page or as one of its sources)."""
        found = self.report_by_page(url)
        if found:
            return found
        rows = list(self.db.query(
            "SELECT r.* FROM reports r JOIN report_sources s ON s.report_id = r.id WHERE s.url = ? LIMIT 1",
            [url]))
        return rows[0] if rows else None

    def iter_reports(self, status: str | None = None) -> Iterator[dict[str, Any]]:
        if status is None:
            yield from self.db.query("SELECT * FROM reports ORDER BY id")
        else:
            yield from self.db.query("SELECT * FROM reports WHERE status = ? ORDER BY id", [status])

    def report_cells(self, report_id: int) -> dict[str, dict[str, Any]]:
        return {r["code"]: r for r in self.db.query(
            "SELECT code, value, raw, provenance FROM cells WHERE report_id = ? ORDER BY code", [report_id])}

    def report_findings(self, report_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT rule, detail, data FROM findings WHERE report_id = ? ORDER BY id",
                                  [report_id]))

    def report_sources(self, report_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM report_sources WHERE report_id = ? ORDER BY url", [report_id]))

    def report_versions(self, report_id: int) -> list[dict[str, Any]]:
        rows = list(self.db.query("SELECT * FROM report_versions WHERE report_id = ? ORDER BY version",
                                  [report_id]))
        for row in rows:
            row["cells"] = _loads(row["cells"], {})
            row["raw"] = _loads(row["raw"], {})
            row["meta"] = _loads(row["meta"], {})
        return rows

    def cell_changes(self, report_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM cell_changes WHERE report_id = ? ORDER BY to_version, code",
                                  [report_id]))

    def counts(self) -> dict[str, int]:
        return {name: self.db[name].count for name in TABLES}


def open_archive(path: str | os.PathLike, **kwargs: Any) -> Archive:
    """Open (creating if needed) the archive at ``path``; a damaged file is a clear ArchiveError."""
    try:
        return Archive(path, **kwargs)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"cannot open archive {path}: {exc}") from exc
