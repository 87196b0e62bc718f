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

Why a probe gate: Scrapy hands many requests to the downloader at once (they wait in the per-host
slot *after* ``process_request``), so a block noticed on the first answer would come too late
for the requests already queued behind it. Until a host has answered once, only one request
(the probe) goes out; the others wait here (at most ``NIANBAO_HOSTILE_PROBE_WAIT`` seconds) and
then either proceed (the host answered normally) or are dropped (the host is blocked).
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
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer
from twisted.internet.defer import Deferred

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
        self.open_hosts: set[str] = set()
        #: host → callbacks waiting for the probe's answer (present while a probe is out)
        self.probing: dict[str, list[Deferred]] = {}
        self.wait = crawler.settings.getfloat("NIANBAO_HOSTILE_PROBE_WAIT", 60.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "HostileServerMiddleware":
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    # --------------------------------------------------------------- the probe gate
    def _release(self, host: str) -> None:
        for waiter in self.probing.pop(host, []):
            if not waiter.called:
                waiter.callback(None)

    def _skip(self, host: str) -> None:
        self.stats.inc_value("hostile/skipped_requests")
        raise IgnoreRequest(f"host {host} blocked: {self.blocked[host].reason}")

    # --------------------------------------------------------------- requests
    async def process_request(self, request: Request, spider: Spider | None = None):
        host = urlparse(request.url).netloc
        probed = request.meta.get("_hostile_probe")
        if probed and probed != host:          # a probe redirected elsewhere: its host stays unknown
            self._release(probed)
        while True:
            if host in self.blocked:
                self._skip(host)
            if host in self.open_hosts:
                return None
            if host not in self.probing or probed == host:
                self.probing.setdefault(host, [])
                request.meta["_hostile_probe"] = host
                return None
            waiter: Deferred = Deferred()
            self.probing[host].append(waiter)
            from twisted.internet import reactor
            waiter.addTimeout(self.wait, reactor)
            try:
                await maybe_deferred_to_future(waiter)
            except (defer.TimeoutError, defer.CancelledError):
                self.stats.inc_value("hostile/probe_wait_timeouts")
                self.open_hosts.add(host)       # the probe is stuck somewhere: stop gating this host

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None):
        host = request.meta.get("_hostile_probe")
        if host:                                # let the next request (or the retry) probe again
            request.meta.pop("_hostile_probe", None)
            self._release(host)
        return None

    # --------------------------------------------------------------- responses
    def process_response(self, request: Request, response: Response, spider: Spider | None = None):
        reason = challenge_reason(request, response)
        host = urlparse(request.url).netloc
        if reason is None:
            self.open_hosts.add(host)
            self._release(host)
            return response
        if _is_robots(request):
            # robots.txt is fetched outside the spider: let the next real request record the block
            request.meta.pop("_hostile_probe", None)
            self._release(host)
            return response
        if host in self.blocked:
            self._skip(host)
        self.blocked[host] = Block(reason, request.url, response.status)
        self._release(host)
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
