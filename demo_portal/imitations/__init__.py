"""One imitation site per remaining CMS family (UCAP, VSB/博达, gkmlpt, Hanweb xxgk).

Why a separate package from ``demo_portal/sites.py``: those sites are static resource maps,
while these families answer JSON APIs and form POSTs, so each site here is a small request
handler (``ImitationSite.handle``). They run in their own server (``ImitationServer``, host-based
virtual hosting like ``demo_portal.server``) or mounted into ``DemoPortal``.

Every site writes a manifest (``manifest()``): the report URLs, the decoys, the columns — the
truth the family tests compare a crawl against.
"""
from __future__ import annotations

import html
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from .content import content


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    base: str                     # "http://host:port" as the client addressed us


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    ctype: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any) -> "Reply":
        return cls(200, json.dumps(data, ensure_ascii=False), "application/json;charset=UTF-8")


class ImitationSite:
    """Base: a host, a family, a ``handle`` per request and a ``manifest`` of the truth."""

    family = ""
    host = ""
    encoding = "utf-8"

    def __init__(self, port: int) -> None:
        self.port = port
        self.c = content()["chrome"]

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def handle(self, req: Req) -> Reply | None:
        raise NotImplementedError

    def manifest(self) -> dict[str, Any]:
        raise NotImplementedError

    # shared chrome
    def page(self, title: str, body: str, head: str = "") -> str:
        return (f'<!DOCTYPE html>\n<html><head><meta charset="{self.encoding}">'
                f"<title>{html.escape(title)}</title>{head}</head>\n<body>\n{body}\n"
                f'<div class="footer"><p>{self.c["sponsor"]}{html.escape(self.site_name)}</p>'
                f'<p>{self.c["icp"]}</p></div></body></html>\n')

    site_name = ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class ImitationServer:
    """Serve imitation sites on 127.0.0.1 (free port); sites are chosen by the Host header."""

    def __init__(self, factories: list[Callable[[int], ImitationSite]], port: int = 0) -> None:
        self.httpd = _Server(("127.0.0.1", port), self._handler())
        self.port = self.httpd.server_address[1]
        self.sites = {s.host: s for s in (f(self.port) for f in factories)}
        self.requests: list[tuple[str, str, str, int]] = []
        self._lock = threading.Lock()

    def start(self) -> "ImitationServer":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "ImitationServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def resolve_map(self) -> dict[str, str]:
        hosts = set(self.sites)
        for site in self.sites.values():
            hosts.update(getattr(site, "other_hosts", ()))
        return {h: "127.0.0.1" for h in hosts}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.serve(self, "GET")

            def do_POST(self) -> None:
                server.serve(self, "POST")

        return Handler

    def serve(self, h: BaseHTTPRequestHandler, method: str) -> None:
        host_header = h.headers.get("Host") or ""
        host = host_header.split(":")[0].lower()
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        site = self.sites.get(host)
        reply: Reply | None
        if site is None:
            reply = Reply(404, b"unknown site", "text/plain")
        else:
            req = Req(method, parts.path, {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                      {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()},
                      {k.lower(): v for k, v in h.headers.items()}, f"http://{host_header}")
            reply = dispatch(site, req)
        self.respond(h, host, method, parts.path + (f"?{parts.query}" if parts.query else ""), reply)

    def respond(self, h: BaseHTTPRequestHandler, host: str, method: str, path: str, reply: Reply) -> None:
        body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
        with self._lock:
            self.requests.append((host, method, path, reply.status))
        h.send_response(reply.status)
        h.send_header("Content-Type", reply.ctype)
        for k, v in reply.headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)


def dispatch(site: ImitationSite, req: Req) -> Reply:
    """robots.txt, the site's own answer, or a 404 page."""
    if req.path == "/robots.txt":
        return Reply(200, "User-agent: *\nDisallow: /search/\n", "text/plain")
    try:
        reply = site.handle(req)
    except Exception as exc:  # a bug in an imitation must show as a server error, not hang a test
        return Reply(500, f"<html><body>500 {html.escape(repr(exc))}</body></html>")
    if reply is None:
        return Reply(404, "<html><body><h1>404 Not Found</h1></body></html>")
    if isinstance(reply.body, str):
        charset = site.encoding
        reply.body = reply.body.encode(charset, errors="xmlcharrefreplace")
    return reply


def all_sites() -> list[Callable[[int], ImitationSite]]:
    from .gkmlpt import GkmlptSite
    from .hanweb_xxgk import HanwebXxgkSite
    from .ucap import UcapSite
    from .vsb import VsbSite
    return [UcapSite, VsbSite, GkmlptSite, HanwebXxgkSite]
