"""A tiny link-tree site, its spider and a Redis server, for the distributed tests and bench.

Why separate from the demo portal: the scale benchmark needs a portal that answers every request
after a fixed latency on several host names, and the machinery tests need a crawl whose every
page is known in advance and counted server-side. Each host is its own ``ThreadingHTTPServer``
bound to its own loopback address (127.0.0.2, 127.0.0.3 ...), because Scrapy and the politeness
middleware key hosts by name, not port.
"""
from __future__ import annotations

import collections
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import scrapy

from items import FetchedItem


class TreeSite:
    """``/p/N.html`` links to pages fN+1 .. fN+f (f = fanout) below ``pages``; the first host's page 0 links to the other hosts' roots."""

    def __init__(self, pages: int = 40, delay: float = 0.0, hosts: int = 1, fanout: int = 2) -> None:
        self.pages = pages
        self.fanout = fanout
        self.delay = delay
        self.hits: collections.Counter[str] = collections.Counter()
        self.active: collections.Counter[str] = collections.Counter()
        self.max_active: collections.Counter[str] = collections.Counter()
        self.starts: dict[str, list[float]] = collections.defaultdict(list)
        self._lock = threading.Lock()
        #: the first host's page 0 is held until this is set (the bench starts all workers first)
        self.gate = threading.Event()
        self.gate.set()
        self.servers: list[ThreadingHTTPServer] = []
        self.bases: list[str] = []
        for i in range(hosts):
            addr = f"127.0.0.{2 + i}"
            server = ThreadingHTTPServer((addr, 0), self._handler())
            server.daemon_threads = True
            self.servers.append(server)
            self.bases.append(f"http://{addr}:{server.server_address[1]}")
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def page(self, base: str, n: int) -> bytes:
        children = range(self.fanout * n + 1, self.fanout * n + self.fanout + 1)
        links = [f'<a href="/p/{c}.html">page {c}</a>' for c in children if c < self.pages]
        if n == 0 and base == self.bases[0]:
            links += [f'<a href="{b}/p/0.html">root</a>' for b in self.bases[1:]]
        return (f"<html><head><meta charset='gbk'><title>第{n}页</title></head><body>"
                f"<p>{base} 页面 {n}</p>{''.join(links)}</body></html>").encode("gbk")

    def expected_urls(self) -> set[str]:
        return {f"{b}/p/{n}.html" for b in self.bases for n in range(self.pages)}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_GET(self) -> None:
                host = self.server.server_address[0]
                url = f"http://{host}:{self.server.server_address[1]}{self.path}"
                with site._lock:
                    site.hits[url] += 1
                    site.active[host] += 1
                    site.max_active[host] = max(site.max_active[host], site.active[host])
                    site.starts[host].append(time.monotonic())
                try:
                    if self.path == "/p/0.html" and url.startswith(site.bases[0]):
                        site.gate.wait(120)
                    if site.delay:
                        time.sleep(site.delay)
                    if self.path == "/robots.txt":
                        body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
                    elif self.path.startswith("/p/") and self.path.endswith(".html"):
                        n = int(self.path[3:-5])
                        if not 0 <= n < site.pages:
                            raise ValueError
                        body, ctype = site.page(url.split("/p/")[0], n), "text/html; charset=gbk"
                    else:
                        raise ValueError
                    self.send_response(200)
                except ValueError:
                    body, ctype = b"not found", "text/plain"
                    self.send_response(404)
                finally:
                    with site._lock:
                        site.active[host] -= 1
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def page_hits(self) -> dict[str, int]:
        return {u: n for u, n in self.hits.items() if "/p/" in u}

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


class TreeSpider(scrapy.Spider):
    """Follows every link; one ``FetchedItem`` per page, raw bytes as served."""

    name = "tree"

    def __init__(self, start_url: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [start_url]

    def parse(self, response: Any) -> Any:
        yield FetchedItem(
            url=response.url, method="GET", status=response.status, body=response.body,
            headers={k.decode(): [v.decode("latin-1") for v in vs] for k, vs in response.headers.items()},
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            content_type=response.headers.get("Content-Type", b"").decode("latin-1"), role="list")
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, callback=self.parse)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private redis-server: free port on 127.0.0.1, data in a temp dir, AOF on."""

    def __init__(self, appendonly: bool = True) -> None:
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.dir = Path(tempfile.mkdtemp(prefix="nianbao-redis-"))
        self.port = free_port()
        self.args = [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                     "--save", "", "--appendonly", "yes" if appendonly else "no",
                     "--appendfsync", "always", "--protected-mode", "yes"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.dir / "redis.log").open("ab")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT)
        import redis
        client = redis.Redis(port=self.port)
        for _ in range(200):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def scrapy_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env
