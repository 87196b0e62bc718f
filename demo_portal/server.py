"""The bundled imitation portal: a real HTTP server on 127.0.0.1 hosting several sites.

Sites are told apart by the ``Host`` header (``www.trs.demo.test``, ``www.hanweb.demo.test``, ...),
like name-based virtual hosts; the crawler reaches them through ``NIANBAO_RESOLVE`` (a static
name → 127.0.0.1 map), so no DNS or /etc/hosts entry is needed. Behaviour a crawler must cope
with, imitated from real portals: gzip, ETag/Last-Modified with 304 answers on static files,
visit counters that change page bytes on every request, one article that answers 503 (with
``Retry-After``) twice before it works, robots.txt, an endless calendar, POST list proxies.

``DemoPortal.manifest()`` is the ground truth: which URLs are reports (agency, year, sample),
which are decoys and why, what robots.txt forbids.

    python3 -m demo_portal [--port N]      # serve until Ctrl-C, print the sites
"""
from __future__ import annotations

import gzip
import hashlib
import html
import itertools
import json
import threading
from datetime import date, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .sites import VISITS, Resource, Site, build_sites

LAST_MODIFIED = formatdate(1737504000, usegmt=True)   # fixed: the files never change


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class DemoPortal:
    """Start with ``start()`` (or as a context manager); ``url(host, path)`` builds addresses."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.httpd = _Server((host, port), self._handler())
        self.address = host
        self.port = self.httpd.server_address[1]
        self.sites: dict[str, Site] = build_sites(self.port)
        # per-family imitation sites answering APIs and POSTs (demo_portal/imitations)
        from .imitations import all_sites
        self.imitations = {s.host: s for s in (factory(self.port) for factory in all_sites())}
        self.requests: list[tuple[str, str, str, int]] = []   # (host, method, path, status)
        self._lock = threading.Lock()
        self._counter = itertools.count(10000)
        self._flaky: dict[tuple[str, str], int] = {}
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "DemoPortal":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="demo-portal", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "DemoPortal":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses and truth
    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def resolve_map(self) -> dict[str, str]:
        """For the crawler's ``NIANBAO_RESOLVE`` setting."""
        return {host: self.address for host in (*self.sites, *self.imitations)}

    def manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {"port": self.port, "sites": {}, "reports": [], "decoys": [], "disallowed": [],
                               "flaky": []}
        for host, site in self.sites.items():
            out["sites"][host] = {"family": site.family, "name": site.name, "home": self.url(host, "/"),
                                  "column": self.url(host, site.column_url), "encoding": site.encoding,
                                  "items": len(site.entries)}
            for e in site.entries:
                url = e.url if e.url.startswith("http") else self.url(host, e.url)
                if e.kind == "report":
                    res = site.resources.get(e.attachment or "")
                    out["reports"].append({
                        "site": host, "url": url, "title": e.title, "slug": e.slug, "agency": e.agency,
                        "report_year": e.year, "present": e.present, "listed_date": e.date,
                        "attachment": self.url(host, e.attachment) if e.attachment else None,
                        "attachment_sha256": hashlib.sha256(res.body).hexdigest() if res and isinstance(res.body, bytes) else None,
                    })
                    if site.resources[e.url].flaky:
                        out["flaky"].append(url)
                elif e.kind == "private":
                    out["disallowed"].append({"site": host, "url": url, "title": e.title})
                elif e.kind != "duplicate":
                    out["decoys"].append({"site": host, "url": url, "title": e.title, "kind": e.kind})
        # kept apart: the family imitations have their own tests (tests/test_family_*.py)
        out["imitations"] = {host: site.manifest() for host, site in self.imitations.items()}
        return out

    def write_manifest(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.manifest(), ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    # ------------------------------------------------------------------ serving
    def _handler(self):
        portal = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "DemoPortal/1.0"
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:  # quiet: tests read portal.requests
                pass

            def do_GET(self) -> None:
                portal._serve(self, "GET")

            def do_HEAD(self) -> None:
                portal._serve(self, "HEAD")

            def do_POST(self) -> None:
                portal._serve(self, "POST")

        return Handler

    def _serve(self, h: BaseHTTPRequestHandler, method: str) -> None:
        host = (h.headers.get("Host") or "").split(":")[0].lower()
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        form = h.rfile.read(length) if length else b""
        site = self.sites.get(host)
        if site is None and host in self.imitations:
            from .imitations import Req, dispatch
            query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            fields = {k: v[0] for k, v in parse_qs(form.decode("utf-8", "replace"), keep_blank_values=True).items()}
            reply = dispatch(self.imitations[host], Req(method, parts.path, query, fields,
                                                        {k.lower(): v for k, v in h.headers.items()}, f"http://{h.headers.get('Host')}"))
            return self._send(h, method, host, h.path, reply.status, reply.body, reply.ctype, extra=reply.headers)
        if site is None:
            return self._send(h, method, host, parts.path, 404, b"unknown site", "text/plain")
        key = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.path == "/module/web/jpage/dataproxy.jsp" and site.family == "hanweb":
            return self._dataproxy(h, method, site, parts.query, form)
        if parts.path.startswith("/calendar/"):
            return self._calendar(h, method, site, parts.query)
        res = site.resources.get(key) or site.resources.get(parts.path)
        if res is None:
            return self._send(h, method, host, key, 404, self._encode(site, "<html><body><h1>404</h1></body></html>"),
                              f"text/html; charset={site.encoding}")
        if method == "POST":
            return self._send(h, method, host, key, 405, b"", "text/plain")
        if res.flaky:
            with self._lock:
                seen = self._flaky.get((host, key), 0)
                self._flaky[(host, key)] = seen + 1
            if seen < res.flaky:
                return self._send(h, method, host, key, 503, b"<html><body>503 Service Unavailable</body></html>",
                                  "text/html", extra={"Retry-After": "1"})
        body = res.body
        if isinstance(body, str):
            if VISITS in body:
                body = body.replace(VISITS, str(next(self._counter)))
            body = self._encode(site, body)
        ctype = res.content_type + (f"; charset={site.encoding}" if res.content_type.startswith("text/") else "")
        extra: dict[str, str] = {}
        if res.static:
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            extra = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
            if h.headers.get("If-None-Match") == etag or h.headers.get("If-Modified-Since") == LAST_MODIFIED:
                return self._send(h, method, host, key, 304, b"", None, extra=extra)
        return self._send(h, method, host, key, 200, body, ctype, extra=extra)

    def _encode(self, site: Site, text: str) -> bytes:
        return text.encode(site.encoding, errors="xmlcharrefreplace")

    def _dataproxy(self, h, method: str, site: Site, query: str, form: bytes) -> None:
        """Hanweb's list proxy: POST only, records [startrecord, endrecord] of the asked column."""
        q = {k: v[0] for k, v in parse_qs(query).items()}
        f = {k: v[0] for k, v in parse_qs(form.decode("utf-8", "replace")).items()}
        path = "/module/web/jpage/dataproxy.jsp"
        records: list[str] = site.extra.get("records", [])
        if method != "POST" or f.get("columnid") != str(site.extra.get("column_id")):
            body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><datastore><totalrecord>0</totalrecord></datastore>"
            return self._send(h, method, site.host, path, 200, body.encode(), "text/xml; charset=utf-8")
        try:
            start, end = max(1, int(q.get("startrecord", 1))), int(q.get("endrecord", 0))
        except ValueError:
            start, end = 1, 0
        chosen = records[start - 1:max(start - 1, end)]
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><datastore>"
                f"<totalrecord>{len(records)}</totalrecord><recordset>"
                + "".join(f"<record><![CDATA[{r}]]></record>" for r in chosen) + "</recordset></datastore>")
        return self._send(h, method, site.host, f"{path}?{query}", 200, body.encode("utf-8"), "text/xml; charset=utf-8")

    def _calendar(self, h, method: str, site: Site, query: str) -> None:
        """An endless calendar: every day links to the next and the previous one."""
        q = {k: v[0] for k, v in parse_qs(query).items()}
        try:
            day = date.fromisoformat(q.get("date", "2025-01-01"))
        except ValueError:
            day = date(2025, 1, 1)
        links = " ".join(f'<a href="/calendar/?date={d.isoformat()}">{d.isoformat()}</a>'
                         for d in (day - timedelta(days=1), day + timedelta(days=1)))
        body = f"<html><body><h1>{html.escape(day.isoformat())}</h1>{links}</body></html>"
        return self._send(h, method, site.host, f"/calendar/?{query}", 200, self._encode(site, body),
                          f"text/html; charset={site.encoding}")

    def _send(self, h, method: str, host: str, path: str, status: int, body: bytes, ctype: str | None,
              extra: dict[str, str] | None = None) -> None:
        with self._lock:
            self.requests.append((host, method, path, status))
        headers = dict(extra or {})
        accept = h.headers.get("Accept-Encoding") or ""
        if status == 200 and "gzip" in accept and ctype and ctype.startswith("text/html") and len(body) > 1024:
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        h.send_response(status)
        if ctype:
            h.send_header("Content-Type", ctype)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body) if status != 304 else 0))
        h.end_headers()
        if method != "HEAD" and status != 304:
            h.wfile.write(body)


def main(argv: list[str] | None = None) -> None:
    import argparse
    import time

    ap = argparse.ArgumentParser(description="Serve the bundled imitation portal")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--manifest", help="write the ground-truth manifest (JSON) here")
    args = ap.parse_args(argv)
    with DemoPortal(args.port) as portal:
        if args.manifest:
            portal.write_manifest(args.manifest)
        print(f"demo portal on 127.0.0.1:{portal.port}; sites (send Host header or map names to 127.0.0.1):")
        for host, site in portal.sites.items():
            print(f"  {site.family:8} {portal.url(host, site.column_url)}  ({len(site.entries)} items)")
        print("crawl one: scrapy crawl annual_reports -a start_urls=" + portal.url(next(iter(portal.sites)), "/")
              + " -s NIANBAO_RESOLVE='" + json.dumps(portal.resolve_map()) + "'")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
