"""Retries that back off, honour ``Retry-After``, and slow the whole host down while they wait.

Why not Scrapy's ``RetryMiddleware`` as is: it re-queues a failed request at once, so a server
answering 429/503 because it is overloaded gets hit again immediately — and so do all the other
requests queued for the same host. Here a retryable answer (``RETRY_HTTP_CODES``) or a network
error puts the *host* into a cool-down:

* the delay is the server's ``Retry-After`` (seconds or an HTTP date) when it sends one, else an
  exponential backoff ``NIANBAO_RETRY_BACKOFF_BASE × 2^attempt`` capped at
  ``NIANBAO_RETRY_BACKOFF_MAX``, with jitter so parallel crawlers do not synchronise;
* a ``Retry-After`` longer than ``NIANBAO_RETRY_AFTER_MAX`` means "not today": the answer is
  kept (the spider records it as a capture with its status) instead of waiting for hours;
* every request to a cooling host waits in ``process_request`` until the cool-down ends.

Attempts are bounded by ``RETRY_TIMES`` as usual; what is given up reaches the spider, which
records the status, so nothing fails silently.
"""
from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet import task


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Parse a ``Retry-After`` header: delta-seconds or an HTTP date; None when absent/garbled."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class PoliteRetryMiddleware(RetryMiddleware):
    """Drop-in replacement for ``scrapy.downloadermiddlewares.retry.RetryMiddleware`` (same slot)."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("NIANBAO_RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("NIANBAO_RETRY_BACKOFF_MAX", 120.0)
        self.retry_after_max = settings.getfloat("NIANBAO_RETRY_AFTER_MAX", 600.0)
        self.cool_until: dict[str, float] = {}

    # ------------------------------------------------------------------ waiting
    async def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).hostname or ""
        wait = self.cool_until.get(host, 0.0) - time.monotonic()
        if wait > 0:
            self.crawler.stats.inc_value("politeness/waited_requests")
            from twisted.internet import reactor
            await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        return None

    # ------------------------------------------------------------------ retrying
    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        told = retry_after_seconds(response.headers.get(b"Retry-After"))
        if told is not None and told > self.retry_after_max:
            self.crawler.stats.inc_value("politeness/retry_after_too_long")
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        self._cool(request, told if told is not None else self._backoff(request))
        return retry

    def process_exception(self, request: Request, exception: Exception):
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            self._cool(request, self._backoff(request))
        return retry

    def _backoff(self, request: Request) -> float:
        attempt = request.meta.get("retry_times", 0)
        delay = min(self.backoff_max, self.backoff_base * (2 ** attempt))
        return delay * random.uniform(0.75, 1.0)

    def _cool(self, request: Request, delay: float) -> None:
        host = urlsplit(request.url).hostname or ""
        until = time.monotonic() + delay
        if until > self.cool_until.get(host, 0.0):
            self.cool_until[host] = until
        self.crawler.stats.max_value("politeness/max_backoff_seconds", round(delay, 2))
        self._hold_slot(request, self.cool_until[host] - time.monotonic())

    def _hold_slot(self, request: Request, delay: float) -> None:
        """Pause the host's downloader slot too: requests already queued there (past every
        ``process_request``) would otherwise go out at once. Scrapy's slot stops dequeuing while
        ``slot.latercall`` is pending, the same hook DOWNLOAD_DELAY uses."""
        try:
            from scrapy.utils.asyncio import call_later
            downloader = self.crawler.engine.downloader
            slot = downloader.slots.get(downloader.get_slot_key(request))
            if slot is None or delay <= 0:
                return
            if slot.latercall is not None:
                slot.latercall.cancel()
            slot.latercall = call_later(delay, downloader._latercall, slot)
        except Exception:  # noqa: BLE001 - a Scrapy internals change must not break crawling;
            self.crawler.stats.inc_value("politeness/slot_hold_unavailable")  # process_request still waits
