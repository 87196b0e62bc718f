"""Local servers that behave like hostile real ones (challenges, lying charsets, traps).

Each behaviour is a small function ``(path, query, headers) -> (status, headers, body bytes)``
mounted per host on one ``ThreadingHTTPServer``; the server logs every request so tests can
count how often a host was hit after it was known to be hostile.
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

Handler = Callable[[str, dict[str, str], dict[str, str]], tuple[int, dict[str, str], bytes]]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class HostileServer:
    def __init__(self, hosts: dict[str, Handler], robots_ok: set[str] | None = None) -> None:
        self.hosts = hosts
        #: hosts whose robots.txt is answered normally (hostile hosts challenge robots.txt too)
        self.robots_ok = set(robots_ok or ())
        self.requests: list[tuple[str, str, str, int]] = []     # (host, method, raw path, status)
        self._lock = threading.Lock()
        self.httpd = _Server(("127.0.0.1", 0), self._handler())
        self.port = self.httpd.server_address[1]

    def __enter__(self) -> "HostileServer":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def resolve_map(self) -> dict[str, str]:
        return {h: "127.0.0.1" for h in self.hosts}

    def hits(self, host: str, *, robots: bool = False) -> list[str]:
        return [p for h, _m, p, _s in self.requests if h == host and (robots or not p.startswith("/robots.txt"))]

    def _handler(self):
        server = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").split(":")[0].lower()
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                handler = server.hosts.get(host)
                if handler is None:
                    status, headers, body = 404, {"Content-Type": "text/plain"}, b"no such site"
                else:
                    if parts.path == "/robots.txt" and host in server.robots_ok:
                        status, headers, body = 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
                    else:
                        status, headers, body = handler(parts.path, query, {k.lower(): v for k, v in self.headers.items()})
                with server._lock:
                    server.requests.append((host, "GET", self.path, status))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return H


def html_page(title: str, body: str, charset: str = "utf-8") -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title></head>'
            f'<body><div class="main">{body}</div></body></html>')


REPORT_BODY = ("<p>一、总体情况</p><p>二、主动公开政府信息情况</p><table><tr><td>本年制发件数</td></tr></table>"
               "<p>三、收到和处理政府信息公开申请情况</p><table><tr><td>上年结转政府信息公开申请数量</td></tr>"
               "<tr><td>结转下年度继续办理</td></tr></table><p>四、政府信息公开行政复议、行政诉讼情况</p>")


def column_site(reports: dict[str, str], charset: str = "utf-8", declared: str | None = None) -> Handler:
    """A one-page 年报 column linking report articles {path: title}; pages encoded in ``charset``
    but declared as ``declared`` (header and meta) when given — a lying server."""
    label = declared or charset

    def handler(path: str, query: dict[str, str], headers: dict[str, str]):
        ctype = {"Content-Type": f"text/html; charset={label}"}
        if path in ("/", "/nb/"):
            rows = "".join(f'<li><a href="{p}">{t}</a><span>2024-01-2{i}</span></li>' for i, (p, t) in enumerate(reports.items()))
            return 200, ctype, html_page("政府信息公开年报", f"<ul>{rows}</ul>", label).encode(charset)
        if path in reports:
            return 200, ctype, html_page(reports[path], f"<h1>{reports[path]}</h1>{REPORT_BODY}", label).encode(charset)
        return 404, ctype, b"<html><body>404</body></html>"
    return handler
