"""Servers that answer crawlers with a challenge instead of the page: record, then leave them alone.

Why: real portals sit behind 加速乐 (first answer ``521`` with a script that sets ``document.cookie``
and reloads) or a WAF that answers ``412`` with an obfuscated script (瑞数 and the like). Those
pages need a JavaScript engine; retrying them only hammers the host and fills the archive with
identical challenge pages. So the first challenge seen on a host:

* marks the host blocked for the rest of the crawl (stat ``hostile/blocked_hosts``, reason in
  ``hostile/blocked/<reason>``);
* becomes one ``FetchedItem`` with ``role="blocked"`` and the reason, with the challenge bytes as
  served, so the archive keeps a record of *why* a portal yielded nothing;
* every later request to that host is dropped before it leaves (``hostile/skipped_requests``).

The middleware sits between HttpCompression (590) and Retry (550) so it sees the decoded body
before any retry logic could resend the request.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import urlparse

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from items import FetchedItem

#: A body that sets a cookie from script and reloads/redirects: the shape of every JS challenge.
_COOKIE_SCRIPT = re.compile(rb"document\s*\.\s*cookie", re.I)
#: Markers of known challenge kits (加速乐 cookies, 瑞数 ``$_ts`` state, generic "enable JS").
_KIT_MARKERS = re.compile(rb"__jsl_clearance|__jsluid|\$_ts\s*=|_\$[a-zA-Z]{2}\s*=|window\.location\.reload|"
                          rb"location\.href\s*=|setTimeout\(", re.I)
#: Headers a crawler would send that make a genuine 412 (Precondition Failed) possible.
_PRECONDITION_HEADERS = (b"If-Match", b"If-Unmodified-Since")


@dataclass
class Block:
    reason: str
    url: str
    status: int


def challenge_reason(request: Request, response: Response) -> str | None:
    """Name the challenge ``response`` carries, or None when it is an ordinary answer.

    * ``jsl_521``: status 521 with a ``document.cookie`` script (加速乐). A 521 without one is a
      Cloudflare-style "origin down" and stays an ordinary server error.
    * ``waf_412``: status 412 to a request that sent no precondition header — no real page can
      answer that, so it is a WAF refusing the client.
    * ``js_challenge``: 403/503/200 whose small body is only a cookie-setting reload script.
    """
    body = response.body[:65536]
    status = response.status
    if status == 521 and _COOKIE_SCRIPT.search(body):
        return "jsl_521"
    if status == 412 and not any(h in request.headers for h in _PRECONDITION_HEADERS):
        return "waf_412"
    if status in (200, 403, 503) and len(response.body) < 16384 and _COOKIE_SCRIPT.search(body) \
            and _KIT_MARKERS.search(body) and not re.search(rb"<(a|p|table|li)\b", body, re.I):
        return "js_challenge"
    return None


def _is_robots(request: Request) -> bool:
    return urlparse(request.url).path == "/robots.txt"


def _headers(headers) -> dict[str, list[str]]:
    return {k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in headers.items()}


class HostileServerMiddleware:
    """Downloader middleware: detect challenge pages, record the host once, stop requesting it."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.blocked: dict[str, Block] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "HostileServerMiddleware":
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    # --------------------------------------------------------------- requests
    def process_request(self, request: Request, spider: Spider | None = None):
        host = urlparse(request.url).netloc
        if host in self.blocked:
            self.stats.inc_value("hostile/skipped_requests")
            raise IgnoreRequest(f"host {host} blocked: {self.blocked[host].reason}")
        return None

    # --------------------------------------------------------------- responses
    def process_response(self, request: Request, response: Response, spider: Spider | None = None):
        reason = challenge_reason(request, response)
        if reason is None:
            return response
        host = urlparse(request.url).netloc
        if _is_robots(request):
            # robots.txt is fetched outside the spider: let the first real request record the block
            return response
        if host in self.blocked:
            self.stats.inc_value("hostile/skipped_requests")
            raise IgnoreRequest(f"host {host} blocked: {self.blocked[host].reason}")
        self.blocked[host] = Block(reason, request.url, response.status)
        self.stats.inc_value("hostile/blocked_hosts")
        self.stats.inc_value(f"hostile/blocked/{reason}")
        self.crawler.spider.logger.warning("host %s blocked (%s, status %s at %s): not requesting it again",
                                           host, reason, response.status, request.url)
        # the record goes through the spider-middleware chain and the item pipelines like any
        # page; the original callback must not parse a challenge page, retries must not resend it
        request.meta["dont_retry"] = True
        request.meta["handle_httpstatus_all"] = True
        request.meta["nianbao_blocked"] = reason
        recorder = request.replace(callback=self.record_blocked, errback=None)
        return response.replace(request=recorder)

    def record_blocked(self, response: Response) -> Iterator[FetchedItem]:
        """Callback of a challenged request: one archive record saying why the host yields nothing."""
        reason = response.meta.get("nianbao_blocked", "challenge")
        yield FetchedItem(
            url=response.url,
            method=response.request.method if response.request else "GET",
            request_headers=_headers(response.request.headers) if response.request else {},
            status=response.status,
            headers=_headers(response.headers),
            body=response.body,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            content_type=response.headers.get(b"Content-Type", b"").decode("latin-1") or None,
            role="blocked",
            classification="unknown",
            reason=f"{reason}: host {urlparse(response.url).netloc} answers with a JavaScript challenge "
                   f"(status {response.status}); needs a browser, not requested again",
            portal=response.meta.get("portal") or getattr(self.crawler.spider, "portal_name", None),
        )

    def spider_closed(self, spider: Spider) -> None:
        if self.blocked:
            self.stats.set_value("hostile/blocked_list",
                                 sorted(f"{h} {b.reason}" for h, b in self.blocked.items()))
