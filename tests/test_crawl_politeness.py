"""Faults and politeness against a local misbehaving server (real HTTP, subprocess crawl).

A server that rate-limits, fails, resets, times out, truncates or sends garbage costs that page
only: it is recorded as an item with its status or error, the crawl finishes, and the host is
given the pause it asked for (Retry-After) before anything else is sent to it.
"""
from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawl_items import crawl_items

REPORT = ("<html><head><title>XX局2023年政府信息公开工作年度报告</title></head><body><div id='zoom'>"
          "<p>主动公开政府信息情况</p><p>收到和处理政府信息公开申请情况</p><p>政府信息公开行政复议、行政诉讼情况</p>"
          "</div></body></html>")
pytestmark = pytest.mark.slow
LINKS = ["a429", "a500", "reset", "slow", "trunc", "garbage", "never", "ok"]


class Server:
    def __init__(self, links: list[str] = LINKS):
        self.links = links
        self.log: list[tuple[float, str, int]] = []        # (time sent, path, status)
        self.arrivals: list[tuple[float, str]] = []         # (time the request arrived, path)
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def send(self, h, status, body=b"", headers=None, length=None):
        with self.lock:
            self.log.append((time.monotonic(), h.path, status))
        h.send_response(status)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body) if length is None else length))
        h.end_headers()
        h.wfile.write(body)

    def handle(self, h):
        path = h.path
        with self.lock:
            n = self.counts[path] = self.counts.get(path, 0) + 1
            self.arrivals.append((time.monotonic(), path))
        if path == "/robots.txt":
            return self.send(h, 404, b"")
        if path == "/":
            items = "".join(f'<li><a href="/{p}.html">XX局{2019 + i}年政府信息公开工作年度报告</a><span>2024-01-0{i + 1}</span></li>'
                            for i, p in enumerate(self.links))
            return self.send(h, 200, f"<html><head><title>政府信息公开年报</title></head><body><ul>{items}</ul></body></html>".encode())
        if path == "/a429.html" and n == 1:
            return self.send(h, 429, b"slow down", {"Retry-After": "2"})
        if path == "/a500.html":
            return self.send(h, 500, b"oops")
        if path == "/never.html":
            return self.send(h, 503, b"maintenance", {"Retry-After": "3600"})
        if path == "/reset.html":
            with self.lock:
                self.log.append((time.monotonic(), path, 0))
            h.close_connection = True
            h.connection.shutdown(2)
            return
        if path == "/slow.html":
            time.sleep(2.5)
            return self.send(h, 200, REPORT.encode())
        if path == "/trunc.html":
            return self.send(h, 200, REPORT.encode()[:60], length=5000) or h.connection.shutdown(2)
        if path == "/garbage.html":
            return self.send(h, 200, os.urandom(3000) + b"<table><tr><td>\xff\xfe</td>")
        return self.send(h, 200, REPORT.encode())

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    server = Server()
    try:
        result = crawl_items(tmp_path_factory.mktemp("faults"), [server.url("/")], settings={
            "RETRY_TIMES": 2, "DOWNLOAD_TIMEOUT": 1, "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
            "NIANBAO_RETRY_AFTER_MAX": 30, "NIANBAO_RETRY_BACKOFF_BASE": 0.05})
        yield server, result
    finally:
        server.close()


@pytest.fixture(scope="module")
def polite_run(tmp_path_factory):
    """Only well-behaved pages and one 429: nothing slow or broken to blur the timing. A small
    delay, because with DOWNLOAD_DELAY=0 Scrapy's slot dispatches every queued request at once and
    requests already in flight when the 429 arrives cannot be held back."""
    server = Server(["a429", "ok", "ok2", "ok3", "ok4", "ok5"])
    try:
        result = crawl_items(tmp_path_factory.mktemp("polite"), [server.url("/")], settings={
            "CONCURRENT_REQUESTS_PER_DOMAIN": 1, "DOWNLOAD_DELAY": 0.05, "DOWNLOAD_DELAY_JITTER": 0})
        yield server, result
    finally:
        server.close()


def _item(result, path):
    found = [i for i in result.items if i["url"].endswith(path)]
    assert found, f"no item for {path}"
    return found[-1]


def test_crawl_finishes(run):
    server, result = run
    assert result.returncode == 0, result.log[-3000:]
    assert "finished" in result.log


def test_retry_after_is_honoured_for_the_whole_host(polite_run):
    server, result = polite_run
    assert result.returncode == 0, result.log[-3000:]
    t429 = next(t for t, p, s in server.log if p == "/a429.html" and s == 429)
    later = [(t, p) for t, p, s in server.log if t > t429]
    assert later, "nothing after the 429"
    assert min(t for t, _ in later) - t429 >= 1.9, later[:3]
    item = _item(result, "/a429.html")
    assert item["status"] == 200 and item["classification"] == "report"


def test_errors_are_recorded_not_fatal(run):
    server, result = run
    assert server.counts["/a500.html"] == 3                      # 1 + RETRY_TIMES
    assert _item(result, "/a500.html")["status"] == 500
    for path in ("/reset.html", "/slow.html", "/trunc.html"):
        item = _item(result, path)
        assert item["status"] is None and item["error"], item
    assert _item(result, "/garbage.html")["status"] == 200
    assert _item(result, "/ok.html")["classification"] == "report"


def test_too_long_retry_after_is_not_waited_for(run):
    server, result = run
    assert server.counts["/never.html"] == 1
    assert _item(result, "/never.html")["status"] == 503
