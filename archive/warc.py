"""WARC in and out: the archive as the web-archiving world exchanges it (warcio).

Export (:func:`export_warc`, used by ``scrapy export --format warc``): every capture becomes a
``request`` record and a ``response`` record; a body already written once (the same snapshot
fetched again, or a ``304``) becomes a ``revisit`` record (``identical-payload-digest``, or
``server-not-modified`` for a 304) that refers to the first response, so the WARC holds each body
once, like the archive. The bodies are the raw bytes as stored (after the HTTP transfer and
content encodings were removed), so ``Content-Encoding``/``Transfer-Encoding`` are dropped from
the written headers and ``Content-Length`` is set to the body written; the originals are kept as
``X-Archive-Orig-*`` headers. nianbao's own facts about a capture (role, attachment_of, crawl)
travel in ``WARC-Nianbao-*`` headers, which other tools ignore.

Import (:func:`import_warc`, ``scrapy import-warc FILE``): loads ``response``, ``revisit`` and
``resource`` records of http(s) URLs from any crawler's WARC (Heritrix, Browsertrix, wget,
warcio ...) as captures and snapshots of one new crawl row, pairs ``request`` records by
``WARC-Concurrent-To``, then extracts the documents and stores reports exactly as a crawl would
(``archive.store``). Without nianbao's headers, an HTML page's role comes from the spider's
classifier and a document linked from a report page counts as that page's attachment.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .db import Archive, _loads, utcnow
from .snapshots import sha256_hex

logger = logging.getLogger(__name__)

_DROP = {"content-encoding", "transfer-encoding", "content-length"}
NB_ROLE, NB_ATTACHMENT_OF, NB_CRAWL, NB_CAPTURE = (
    "WARC-Nianbao-Role", "WARC-Nianbao-Attachment-Of", "WARC-Nianbao-Crawl", "WARC-Nianbao-Capture")


def sha1_digest(data: bytes) -> str:
    """The WARC payload digest form: ``sha1:`` + base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def warc_date(iso: str | None) -> str:
    """Archive timestamps → WARC-Date (ISO 8601 UTC, ``Z``)."""
    if not iso:
        return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        dt = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    dt = dt.astimezone(timezone.utc)
    frac = f".{dt.microsecond:06d}" if dt.microsecond else ""
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def _header_list(headers_json: str | None) -> list[tuple[str, str]]:
    out = []
    for name, values in (_loads(headers_json, {}) or {}).items():
        for value in values if isinstance(values, list) else [values]:
            out.append((name, str(value)))
    return out


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _http_response_headers(status: int, headers_json: str | None, body_len: int | None) -> StatusAndHeaders:
    headers = []
    for name, value in _header_list(headers_json):
        if name.lower() in _DROP:
            headers.append(("X-Archive-Orig-" + name, value))
        else:
            headers.append((name, value))
    if body_len is not None:
        headers.append(("Content-Length", str(body_len)))
    return StatusAndHeaders(f"{status} {_reason(status)}", headers, protocol="HTTP/1.1")


def _http_request_headers(method: str, url: str, headers_json: str | None) -> StatusAndHeaders:
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = _header_list(headers_json)
    if not any(n.lower() == "host" for n, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    return StatusAndHeaders(f"{method or 'GET'} {path} HTTP/1.1", headers, is_http_request=True)


def export_warc(db_path: str | os.PathLike, out_path: str | os.PathLike, *, crawl_id: int | None = None,
                gzip: bool | None = None) -> dict[str, int]:
    """Write the archive's captures (all, or one crawl's) to a WARC file; returns record counts."""
    out_path = str(out_path)
    if gzip is None:
        gzip = out_path.endswith(".gz")
    counts = {"request": 0, "response": 0, "revisit": 0, "skipped": 0}
    archive = Archive(db_path, readonly=True)
    tmp = out_path + ".part"
    try:
        with open(tmp, "wb") as fh:
            writer = WARCWriter(fh, gzip=gzip, warc_version="1.1")
            writer.write_record(writer.create_warcinfo_record(os.path.basename(out_path), {
                "software": "nianbao (warcio)", "format": "WARC File Format 1.1",
                "description": "政府信息公开工作年度报告 archive export", "isPartOf": os.path.basename(str(db_path)),
            }))
            first: dict[str, tuple[str, str]] = {}   # sha256 -> (url, warc date) of its response record
            for cap in archive.iter_captures(crawl_id):
                if not cap["sha256"] or cap["status"] is None:
                    counts["skipped"] += 1
                    continue
                date = warc_date(cap["fetched_at"])
                nb = {NB_CAPTURE: str(cap["id"])}
                if cap["role"]:
                    nb[NB_ROLE] = cap["role"]
                if cap["attachment_of"]:
                    nb[NB_ATTACHMENT_OF] = cap["attachment_of"]
                if cap["crawl_id"] is not None:
                    nb[NB_CRAWL] = str(cap["crawl_id"])
                body = archive.snapshot_bytes(cap["sha256"])
                if cap["sha256"] in first or cap["status"] == 304:
                    if cap["sha256"] not in first and cap["revisit_of"]:
                        # a 304 whose original is not in this export: write the original first
                        orig = archive.capture(cap["revisit_of"])
                        if orig is not None:
                            resp = writer.create_warc_record(
                                orig["url"], "response", payload=io.BytesIO(body), length=len(body),
                                http_headers=_http_response_headers(orig["status"], orig["headers"], len(body)),
                                warc_headers_dict={"WARC-Date": warc_date(orig["fetched_at"])})
                            writer.write_record(resp)
                            counts["response"] += 1
                            first[cap["sha256"]] = (orig["url"], warc_date(orig["fetched_at"]))
                    if cap["sha256"] in first:
                        ref_url, ref_date = first[cap["sha256"]]
                        resp = writer.create_revisit_record(
                            cap["url"], sha1_digest(body), ref_url, ref_date,
                            http_headers=_http_response_headers(cap["status"], cap["headers"], None),
                            warc_headers_dict={"WARC-Date": date, **nb})
                        if cap["status"] == 304:
                            resp.rec_headers.replace_header(
                                "WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/server-not-modified")
                        kind = "revisit"
                    else:
                        counts["skipped"] += 1
                        continue
                else:
                    resp = writer.create_warc_record(
                        cap["url"], "response", payload=io.BytesIO(body), length=len(body),
                        http_headers=_http_response_headers(cap["status"], cap["headers"], len(body)),
                        warc_headers_dict={"WARC-Date": date, **nb})
                    first[cap["sha256"]] = (cap["url"], date)
                    kind = "response"
                req = writer.create_warc_record(
                    cap["url"], "request",
                    http_headers=_http_request_headers(cap["method"], cap["request_url"] or cap["url"],
                                                       cap["request_headers"]),
                    warc_headers_dict={"WARC-Date": date,
                                       "WARC-Concurrent-To": resp.rec_headers.get_header("WARC-Record-ID")})
                writer.write_record(resp)
                writer.write_record(req)
                counts[kind] += 1
                counts["request"] += 1
        os.replace(tmp, out_path)
    finally:
        archive.close()
        if os.path.exists(tmp):
            os.unlink(tmp)
    return counts


# ---------------------------------------------------------------------- import
@dataclass
class ImportStats:
    records: int = 0
    captures: int = 0
    revisits: int = 0
    skipped: int = 0
    unresolved_revisits: int = 0
    reports: dict[str, int] = field(default_factory=dict)
    crawl_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _iter_records(path: str) -> Iterator[Any]:
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh, arc2warc=True):
            yield record


def _http_headers(record) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if record.http_headers is None:
        return out
    for name, value in record.http_headers.headers:
        if name.startswith("X-Archive-Orig-"):
            name = name[len("X-Archive-Orig-"):]
        out.setdefault(name, []).append(value)
    return out


def import_warc(archive: Archive, path: str | os.PathLike, *, extract: bool = True,
                options: Any = None) -> ImportStats:
    """Load one WARC (plain or gzipped) into ``archive``; see the module docstring."""
    path = str(path)
    stats = ImportStats()
    requests: dict[str, tuple[str, dict[str, list[str]]]] = {}
    for record in _iter_records(path):
        if record.rec_type == "request":
            target = record.rec_headers.get_header("WARC-Concurrent-To")
            if target and record.http_headers is not None:
                method = record.http_headers.protocol or "GET"   # a request line's first word
                requests[target] = (method, _http_headers(record))
    stats.crawl_id = archive.start_crawl("import-warc", {"file": os.path.abspath(path)})
    try:
        _import_records(archive, path, requests, stats, extract, options)
    except BaseException as exc:
        archive.finish_crawl(stats.crawl_id, f"failed: {type(exc).__name__}: {exc}"[:300], stats.to_dict())
        raise
    archive.finish_crawl(stats.crawl_id, "finished", stats.to_dict())
    return stats


def _import_records(archive: Archive, path: str, requests: dict[str, tuple[str, dict[str, list[str]]]],
                    stats: ImportStats, extract: bool, options: Any) -> None:
    by_digest: dict[str, str] = {}           # WARC payload digest -> sha256
    by_url_date: dict[tuple[str, str], str] = {}
    docs: list[dict[str, Any]] = []
    for record in _iter_records(path):
        stats.records += 1
        if record.rec_type not in ("response", "revisit", "resource"):
            continue
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        if urlsplit(url).scheme not in ("http", "https"):
            stats.skipped += 1
            continue
        date = record.rec_headers.get_header("WARC-Date") or utcnow()
        rid = record.rec_headers.get_header("WARC-Record-ID")
        method, req_headers = requests.get(rid, ("GET", {}))
        extra = {"role": record.rec_headers.get_header(NB_ROLE),
                 "attachment_of": record.rec_headers.get_header(NB_ATTACHMENT_OF)}
        extra = {k: v for k, v in extra.items() if v}
        if record.rec_type == "resource":
            status, headers = 200, {"Content-Type": [record.rec_headers.get_header("Content-Type") or ""]}
        else:
            status = int(record.http_headers.get_statuscode() or 0) if record.http_headers else None
            headers = _http_headers(record)
        if record.rec_type == "revisit":
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            ref = (record.rec_headers.get_header("WARC-Refers-To-Target-URI"),
                   record.rec_headers.get_header("WARC-Refers-To-Date"))
            sha = by_digest.get(digest or "") or by_url_date.get(ref)
            if sha is None:
                prev = archive.last_full_capture(ref[0] or url)
                sha = prev["sha256"] if prev else None
            if sha is None:
                stats.unresolved_revisits += 1
                continue
            cid = archive.add_capture(url, status=status, sha256=sha, headers=headers, request_headers=req_headers,
                                      method=method, fetched_at=date, crawl_id=stats.crawl_id, **extra)
            stats.revisits += 1
        else:
            body = record.content_stream().read()
            sha = sha256_hex(body)
            cid = archive.add_capture(url, status=status, body=body, headers=headers, request_headers=req_headers,
                                      method=method, fetched_at=date, crawl_id=stats.crawl_id, **extra)
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            if digest:
                by_digest[digest] = sha
            by_digest[sha1_digest(body)] = sha
            by_url_date[(url, date)] = sha
            stats.captures += 1
        if status is not None and 200 <= status < 300 or status == 304:
            docs.append({"url": url, "sha256": sha, "capture_id": cid, "headers": headers, **extra})
    if extract:
        _extract_imported(archive, docs, stats, options)


_DOC_KINDS = ("html", "text", "pdf", "docx", "doc", "wps", "image")


def _extract_imported(archive: Archive, docs: list[dict[str, Any]], stats: ImportStats, options: Any) -> None:
    """Classify pages, link attachments to the report pages that name them, extract, store."""
    from extraction.api import EXTRACTOR_VERSION, ExtractOptions
    from extraction.sniff import sniff

    from .store import SourceDoc, result_json, store_document
    from .volatile import content_key
    from pipelines.extract import filename_of, options_key, run_extract

    opts = options or ExtractOptions()
    key = options_key(opts)
    latest: dict[str, dict[str, Any]] = {}
    for doc in docs:                 # the newest capture of each URL stands for it
        latest[doc["url"]] = doc
    pages: dict[str, dict[str, Any]] = {}
    links: dict[str, str] = {}        # attachment URL -> report page URL
    for url, doc in latest.items():
        body = archive.snapshot_bytes(doc["sha256"])
        ctype = next(iter(doc["headers"].get("Content-Type") or doc["headers"].get("content-type") or [""]), "")
        kind = sniff(body, filename_of(url), ctype)
        doc.update(body=body, content_type=ctype, kind=kind)
        if kind == "html":
            verdict, hrefs = _classify_page(body, url)
            doc["classification"] = verdict
            pages[url] = doc
            if verdict == "report":
                for href in hrefs:
                    links.setdefault(href, url)
    ordered = sorted(latest.values(), key=lambda d: (d.get("kind") != "html", d["url"]))
    for doc in ordered:
        if doc.get("kind") not in _DOC_KINDS or doc.get("classification") == "decoy":
            continue
        role = doc.get("role") or ("article" if doc.get("kind") == "html" else "attachment")
        if role not in ("article", "attachment"):
            continue
        attachment_of = doc.get("attachment_of") or (links.get(doc["url"]) if role == "attachment" else None)
        cached = archive.cached_extraction(doc["sha256"], EXTRACTOR_VERSION, key)
        if cached:
            data, extraction_id = cached["result"], cached["id"]
        else:
            result = run_extract(doc["body"], doc["url"], doc["content_type"], opts)
            data = result_json(result)
            extraction_id = archive.save_extraction(doc["sha256"], data, key)
        classification = doc.get("classification")
        if role == "attachment" and attachment_of and classification is None:
            classification = "report"
        outcome = store_document(archive, SourceDoc(
            url=doc["url"], sha256=doc["sha256"], role=role, capture_id=doc["capture_id"], crawl_id=stats.crawl_id,
            attachment_of=attachment_of, classification=classification if classification != "unknown" else None,
            content_key=content_key(doc["body"], doc["content_type"])), data, extraction_id, reason="import")
        if outcome.report_id is not None:
            stats.reports[outcome.action] = stats.reports.get(outcome.action, 0) + 1


def _classify_page(body: bytes, url: str) -> tuple[str, list[str]]:
    """(report | decoy | unknown, absolute URLs of linked documents) for an HTML page."""
    try:
        import lxml.html

        from spiders.classify import classify
        from .volatile import _decode

        root = lxml.html.fromstring(_decode(body))
        title = " ".join(t.strip() for t in root.xpath("//title//text()") if t.strip())
        heading = " ".join(t.strip() for t in root.xpath("//h1//text()") if t.strip())
        for bad in root.xpath("//script|//style"):
            bad.drop_tree()
        text = root.text_content()
        hrefs = [urljoin(url, h) for h in root.xpath("//a/@href")]
        docs = [h for h in hrefs if _DOC_LINK(h)]
        verdict = classify(heading or title, text, len(docs))
        return verdict.classification, docs
    except Exception as exc:  # garbage HTML: unknown, no links
        logger.debug("cannot classify %s: %s", url, exc)
        return "unknown", []


def _DOC_LINK(href: str) -> bool:
    from middlewares.incremental import ATTACHMENT_URL
    return bool(ATTACHMENT_URL.search(href)) or "download" in href.lower()
