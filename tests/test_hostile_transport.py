"""Hostile transports: one crawl against a local server whose every article misbehaves at the HTTP/TLS level.

Each behaviour is a raw-socket handler (the stdlib HTTP server cannot lie about framing): a chunked
body that never ends (slowly, and fast), a drip of one byte per half second, gzip and deflate
bombs, a redirect loop, 10 MB of headers, a Content-Length that is too short and one that is too
long, TLS that breaks mid-body, a body that changes on every request, and links to ``file://``,
``ftp://``, private, link-local and loopback addresses of other hosts. The column page lists
them all next to one good report.

What must hold: the crawl finishes in bounded time with a bounded peak RSS (Scrapy's
``memusage/max``), the good report is archived, every hostile URL that may be fetched is
recorded in ``captures`` (with its status or error), nothing is fetched from a private address
(a sentinel server on 127.0.0.2 counts hits) and no non-HTTP scheme is requested.
"""
from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import random
import socket
import socketserver
import ssl
import threading
import time
import zlib
from functools import lru_cache
from pathlib import Path

import pytest

from tests.crawl_run import crawl
from tests.hostile_server import REPORT_BODY, html_page

HOST = "www.hostile.demo.test"
TLS_HOST = "tls.hostile.demo.test"
BOMB_SIZE = 256 * 1024 * 1024        # decompressed bytes of the bombs (250 KB on the wire, 12x the size cap)
HEADER_BYTES = 10 * 1024 * 1024
TIME_BOUND = 150.0                    # seconds the whole crawl may take (generous: 2 slow CI cores)
RSS_BOUND = 700 * 1024 * 1024         # peak RSS of the crawl process

TITLE = "示例县{}2023年政府信息公开工作年度报告"
#: path -> (agency in the title, kind); every path is listed on the column page
HOSTILE = {
    "/nb/never-ends-slow.html": "交通局",
    "/nb/never-ends-fast.html": "水利局",
    "/nb/drip.html": "民政局",
    "/nb/bomb-gzip.html": "财政局",
    "/nb/bomb-deflate.pdf": "审计局",
    "/nb/redirect-loop.html": "商务局",
    "/nb/huge-headers.html": "教育局",
    "/nb/short-length.html": "司法局",
    "/nb/long-length.html": "科技局",
    "/nb/changing.html": "统计局",
}
GOOD = "/nb/good.html"
#: A -> B -> A: Scrapy's duplicate filter drops the second A silently, so it leaves no record (open)
PINGPONG = "/nb/redirect-pingpong.html"


@lru_cache(maxsize=None)
def bomb(kind: str) -> bytes:
    """``BOMB_SIZE`` zero bytes compressed (gzip or zlib-deflate), built once per session."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31 if kind == "gzip" else 15)
    block = b"\0" * (1 << 22)
    out = [comp.compress(block) for _ in range(BOMB_SIZE // len(block))]
    out.append(comp.flush())
    return b"".join(out)


def _column_page(port: int, tls_port: int, sentinel_port: int) -> bytes:
    links = [(p, TITLE.format(a)) for p, a in HOSTILE.items()] + [(GOOD, TITLE.format("档案局")),
                                                                   (PINGPONG, TITLE.format("人社局"))]
    links += [(f"https://{TLS_HOST}:{tls_port}/nb/tls-break.html", TITLE.format("卫健委")),
              ("file:///etc/passwd", TITLE.format("住建局")),
              ("ftp://ftp.hostile.demo.test/nb/report.pdf", TITLE.format("农业局")),
              ("http://10.255.255.1/nb/report.html", TITLE.format("林业局")),
              ("http://169.254.169.254/latest/meta-data/", TITLE.format("气象局")),
              (f"http://127.0.0.2:{sentinel_port}/nb/report.html", TITLE.format("文旅局")),
              (f"http://[::1]:{port}/nb/report.html", TITLE.format("体育局")),
              (f"http://0x7f.0.0.2:{sentinel_port}/nb/report.html", TITLE.format("医保局"))]
    rows = "".join(f'<li><a href="{u}">{t}</a><span>2024-01-15</span></li>' for u, t in links)
    return html_page("政府信息公开年报", f"<ul>{rows}</ul>").encode("utf-8")


def _head(status: str, headers: dict[str, str]) -> bytes:
    return (f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()


HTML = {"Content-Type": "text/html; charset=utf-8", "Connection": "close"}


class Behaviours:
    """The raw responses; ``serve(path, send)`` writes one (``send`` raises when the client left)."""

    def __init__(self, port: int, tls_port: int, sentinel_port: int) -> None:
        self.port, self.tls_port, self.sentinel_port = port, tls_port, sentinel_port
        self.counter = 0

    def serve(self, path: str, send) -> None:
        path, _, query = path.partition("?")
        page = html_page(TITLE.format("x"), f"<h1>{TITLE.format('x')}</h1>{REPORT_BODY}").encode()
        if path == "/robots.txt":
            body = b"User-agent: *\nAllow: /\n"
            send(_head("200 OK", {"Content-Type": "text/plain", "Content-Length": str(len(body)), "Connection": "close"}) + body)
        elif path in ("/", "/nb/"):
            body = _column_page(self.port, self.tls_port, self.sentinel_port)
            send(_head("200 OK", {**HTML, "Content-Length": str(len(body))}) + body)
        elif path == GOOD:
            send(_head("200 OK", {**HTML, "Content-Length": str(len(page))}) + page)
        elif path.startswith("/nb/never-ends"):
            send(_head("200 OK", {**HTML, "Transfer-Encoding": "chunked"}))
            chunk = b"<p>" + b"x" * (60000 if "fast" in path else 20) + b"</p>"
            while True:      # until the client gives up (timeout or size cap) and the send fails
                send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                time.sleep(0.001 if "fast" in path else 0.05)
        elif path == "/nb/drip.html":
            send(_head("200 OK", {**HTML, "Content-Length": str(len(page))}))
            for i in range(len(page)):
                send(page[i:i + 1])
                time.sleep(0.5)
        elif path.startswith("/nb/bomb-"):
            kind = "gzip" if "gzip" in path else "deflate"
            ctype = "text/html; charset=utf-8" if path.endswith(".html") else "application/pdf"
            body = bomb(kind)
            send(_head("200 OK", {"Content-Type": ctype, "Content-Encoding": kind,
                                  "Content-Length": str(len(body)), "Connection": "close"}) + body)
        elif path.startswith("/nb/redirect-loop"):
            self.counter += 1      # a new URL every time: only the redirect limit ends it
            target = f"/nb/redirect-loop.html?n={self.counter}"
            send(_head("302 Found", {"Location": target, "Content-Length": "0", "Connection": "close"}))
        elif path.startswith("/nb/redirect-pingpong"):   # A -> B -> A: the duplicate filter ends it
            target = "/nb/redirect-pingpong.html" if "b=1" in query else "/nb/redirect-pingpong.html?b=1"
            send(_head("302 Found", {"Location": target, "Content-Length": "0", "Connection": "close"}))
        elif path == "/nb/huge-headers.html":
            send(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
            line = b"X-Pad: " + b"a" * 1000 + b"\r\n"
            for _ in range(HEADER_BYTES // len(line)):
                send(line)
            send(b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(page) + page)
        elif path == "/nb/short-length.html":      # promises more than it sends, then hangs up
            send(_head("200 OK", {**HTML, "Content-Length": str(len(page) * 3)}) + page)
        elif path == "/nb/long-length.html":       # says less than it sends
            send(_head("200 OK", {**HTML, "Content-Length": "40"}) + page + b"garbage" * 1000)
        elif path == "/nb/changing.html":
            self.counter += 1
            body = html_page(TITLE.format("统计局"), f"<h1>{TITLE.format('统计局')}</h1>{REPORT_BODY}"
                             f"<p>访问次数 {self.counter} {random.random()}</p>").encode()
            send(_head("200 OK", {**HTML, "Content-Length": str(len(body))}) + body)
        elif path == "/nb/tls-break.html":
            send(_head("200 OK", {**HTML, "Content-Length": str(len(page))}) + page[:len(page) // 3])
            raise _BreakTLS()
        else:
            body = b"not here"
            send(_head("404 Not Found", {"Content-Type": "text/plain", "Content-Length": str(len(body)),
                                         "Connection": "close"}) + body)


class _BreakTLS(Exception):
    """Write raw garbage under the TLS layer and drop the connection."""


class RawServer:
    """A threaded raw-socket server: reads one request head, hands the path to ``Behaviours``."""

    def __init__(self, address: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.hits: list[tuple[str, str]] = []
        self.behaviours: Behaviours | None = None
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock = self.request
                sock.settimeout(30)
                raw = sock
                try:
                    if tls is not None:
                        sock = tls.wrap_socket(sock, server_side=True)
                    head = b""
                    while b"\r\n\r\n" not in head and len(head) < 65536:
                        data = sock.recv(4096)
                        if not data:
                            return
                        head += data
                    line, *hdrs = head.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
                    path = line.split(" ")[1] if " " in line else "/"
                    host = next((h.split(":", 1)[1].strip() for h in hdrs if h.lower().startswith("host:")), "")
                    server.hits.append((host, path))
                    if server.behaviours is not None:
                        server.behaviours.serve(path, sock.sendall)
                except _BreakTLS:
                    try:   # garbage under the TLS layer, then the connection drops
                        raw.sendall(b"\x17\x03\x03\x00\x10" + b"\xde\xad" * 8)
                    except OSError:
                        pass
                except (OSError, ssl.SSLError, ValueError, IndexError):
                    pass
                finally:
                    try:
                        raw.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        class Srv(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.srv = Srv((address, 0), Handler)
        self.port = self.srv.server_address[1]

    def __enter__(self) -> "RawServer":
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.srv.shutdown()
        self.srv.server_close()


def _tls_context(tmp: Path) -> ssl.SSLContext:
    """A self-signed certificate for TLS_HOST (the crawler does not verify, like Scrapy's default)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TLS_HOST)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(TLS_HOST),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    (tmp / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp / "c.pem", tmp / "k.pem")
    return ctx


@pytest.mark.slow
def test_hostile_transports_are_recorded_and_the_crawl_goes_on(tmp_path):
    bomb("gzip"), bomb("deflate")     # built before the clock starts
    with RawServer() as srv, RawServer(tls=_tls_context(tmp_path)) as tls, RawServer("127.0.0.2") as sentinel:
        srv.behaviours = Behaviours(srv.port, tls.port, sentinel.port)
        tls.behaviours = srv.behaviours
        sentinel.behaviours = srv.behaviours
        start = time.monotonic()
        result = crawl([f"http://{HOST}:{srv.port}/nb/"], tmp_path / "h.db",
                       resolve={HOST: "127.0.0.1", TLS_HOST: "127.0.0.1"},
                       args={"allowed_domains": ",".join([HOST, TLS_HOST, "10.255.255.1", "169.254.169.254",
                                                          "127.0.0.2", "::1", "0x7f.0.0.2", "ftp.hostile.demo.test"])},
                       settings={"DOWNLOAD_TIMEOUT": 6, "RETRY_TIMES": 1, "DOWNLOAD_MAXSIZE": 20 * 1024 * 1024,
                                 "DOWNLOAD_WARNSIZE": 0, "MEMUSAGE_ENABLED": True,
                                 # loopback is allowed by default for the demo; here only our own server's
                                 "NIANBAO_ALLOWED_ADDRESSES": "127.0.0.1"},
                       timeout=TIME_BOUND + 30)
        elapsed = time.monotonic() - start
    log = result.log
    assert result.returncode == 0, log[-3000:]
    assert elapsed < TIME_BOUND, elapsed
    stats = result.stats()
    assert stats.get("memusage/max", 0) < RSS_BOUND, stats.get("memusage/max")
    caps = result.captures()
    by_path: dict[str, list] = {}
    for c in caps:
        by_path.setdefault(c["url"].split(str(srv.port), 1)[-1].split("?")[0], []).append(c)

    # the good report is archived and classified, whatever its neighbours did
    good = by_path[GOOD][0]
    assert good["status"] == 200 and good["classification"] == "report" and good["sha256"]
    # every hostile article has a record: a status, or the error that ended it
    for path in HOSTILE:
        assert path in by_path, (path, sorted(by_path))
        rec = by_path[path][-1]
        assert rec["status"] is not None or rec["error"], (path, dict(rec))
    # a body over the size cap is not stored as if complete; a bomb is never stored inflated
    for path in ("/nb/bomb-gzip.html", "/nb/bomb-deflate.pdf"):
        assert all((c["size"] or 0) < 20 * 1024 * 1024 for c in by_path[path]), path
    assert any(c["error"] for c in by_path["/nb/never-ends-slow.html"])
    assert any(c["error"] for c in by_path["/nb/drip.html"])
    # the changing body is fetched once per crawl (its URL is the identity), not chased
    assert len(by_path["/nb/changing.html"]) == 1
    # TLS that breaks mid-body: recorded as failed, not stored as a complete page
    tls_caps = [c for c in caps if c["url"].startswith(f"https://{TLS_HOST}")]
    assert tls_caps and all(c["error"] or (c["size"] or 0) < 400 for c in tls_caps), [dict(c) for c in tls_caps]
    # private and loopback addresses of other hosts: refused and recorded, never connected to
    assert sentinel.hits == []
    refused = [c for c in caps if "PrivateAddressRefused" in (c["error"] or "")]
    refused_hosts = {c["url"].split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[0] for c in refused}
    assert {"10.255.255.1", "169.254.169.254", "127.0.0.2"} <= refused_hosts, refused_hosts
    # no other scheme was ever requested
    assert not [c for c in caps if not c["url"].startswith(("http://", "https://"))]
    # nothing fetched more than the retry policy allows (the redirect loop ended)
    redirect_hits = [p for _h, p in srv.hits if p.startswith("/nb/redirect-loop")]
    assert len(redirect_hits) <= 2 * (10 + 1) + 2, len(redirect_hits)
    assert any("max redirections" in (c["error"] or "") for c in by_path["/nb/redirect-loop.html"])
    assert len([p for _h, p in srv.hits if p.startswith(PINGPONG)]) <= 3
    # 10 MB of headers: read (Twisted has no header cap) without blowing memory, page archived
    assert by_path["/nb/huge-headers.html"][0]["status"] == 200


@pytest.mark.parametrize("url,canon", [
    ("http://[::1]:8080/nb/a.html", "http://[::1]:8080/nb/a.html"),     # brackets kept (was "http://::1:8080")
    ("http://www.x.demo.test:99999/a.html", ""),                       # port out of range
    ("http://www.x.demo.test:abc/a.html", ""),                         # port not a number
    ("http://[broken/a.html", ""),
])
def test_unrequestable_links_canonicalise_to_nothing(url, canon):
    """Regression: one such link raised in canonicalize/scrapy.Request and the spider lost the rest
    of the list page (its other links and its pagination)."""
    from spiders.urls import canonicalize
    assert canonicalize(url) == canon
