"""Incremental re-crawls: ask only for what changed, and replay the rest from the archive.

Downloader side (``IncrementalDownloaderMiddleware``): for a GET of a URL the archive already has,
the request carries ``If-None-Match`` / ``If-Modified-Since`` taken from the last capture that
downloaded it. A ``304 Not Modified`` is turned back into the stored response (same body, bit for
bit) so the spider follows the links of an unchanged list page as before; the item it yields is
then recorded as a 304 capture pointing at the earlier snapshot (``revisit="not-modified"``).
Known attachments (PDF, DOC ...) from servers that give no validators are not downloaded again at
all (``NIANBAO_SKIP_KNOWN_ATTACHMENTS``): government CMSs publish a corrected file under a new URL,
and a 50 MB scan is the one thing a nightly crawl must not fetch every night. Such a replay is
``revisit="archived"`` and makes no capture (nothing was fetched).

Spider side (``IncrementalSpiderMiddleware``): puts the revisit facts on the ``FetchedItem`` the
spider yields for that response (status 304, the 304's headers, the stored sha256), since the
spider itself never has to know the page came from the archive.

Off with ``NIANBAO_INCREMENTAL = False`` (every page fetched in full, as a first crawl would).
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, AsyncIterator, Iterable

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from archive.runtime import session_for
from items import FetchedItem

logger = logging.getLogger(__name__)

META = "nianbao_revisit"
COND = "nianbao_conditional"
#: headers of the stored exchange that describe the transfer, not the body we hand back
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
ATTACHMENT_URL = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|ofd|zip|rar|7z|jpe?g|png|tiff?)(\?|#|$)", re.I)


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    for key, values in headers.items():
        if key.lower() == name.lower() and values:
            return values[0]
    return None


def replay_headers(stored: dict[str, list[str]]) -> Headers:
    return Headers({k: v for k, v in stored.items() if k.lower() not in _TRANSFER_HEADERS})


class IncrementalDownloaderMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.skip_attachments = crawler.settings.getbool("NIANBAO_SKIP_KNOWN_ATTACHMENTS", True)

    @classmethod
    def from_crawler(cls, crawler) -> "IncrementalDownloaderMiddleware":
        if not crawler.settings.getbool("NIANBAO_INCREMENTAL", True):
            raise NotConfigured
        return cls(crawler)

    @property
    def archive(self):
        return session_for(self.crawler).archive

    def _is_attachment(self, request: Request) -> bool:
        return request.meta.get("role") == "attachment" or bool(ATTACHMENT_URL.search(request.url))

    def _replay(self, request: Request, capture: dict[str, Any], status: int = 200) -> Response:
        body = self.archive.snapshot_bytes(capture["sha256"])
        headers = replay_headers(json.loads(capture["headers"] or "{}"))
        cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return cls(url=request.url, status=status, headers=headers, body=body, request=request,
                   flags=["archived"])

    def process_request(self, request: Request) -> Response | None:
        if request.method != "GET" or request.meta.get("nianbao_full_fetch"):
            return None
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return None
        last = self.archive.last_full_capture(request.url)
        if last is None:
            return None
        stored = json.loads(last["headers"] or "{}")
        etag, modified = _first(stored, "ETag"), _first(stored, "Last-Modified")
        if etag or modified:
            # The ETag alone when there is one: it names these bytes. Servers that answer 304 to a
            # matching If-Modified-Since even when If-None-Match differs (against RFC 9110 §13.2.2)
            # exist, and CMSs often keep Last-Modified when a page is edited in place.
            if etag:
                request.headers["If-None-Match"] = etag
            else:
                request.headers["If-Modified-Since"] = modified
            request.meta[COND] = {"capture_id": last["id"], "sha256": last["sha256"]}
            self.stats.inc_value("nianbao/incremental/conditional_requests")
            return None
        if self.skip_attachments and self._is_attachment(request) and last["status"] == 200:
            request.meta[META] = {"kind": "archived", "sha256": last["sha256"], "capture_id": last["id"]}
            self.stats.inc_value("nianbao/incremental/attachments_not_refetched")
            self.stats.inc_value("nianbao/incremental/archived_bytes", last.get("size") or 0)
            return self._replay(request, last)
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        cond = request.meta.get(COND)
        if cond is None or response.status != 304:
            if cond is not None:
                self.stats.inc_value("nianbao/incremental/changed")
            return response
        last = self.archive.capture(cond["capture_id"])
        if last is None or not last["sha256"]:
            return response
        request.meta[META] = {
            "kind": "not-modified", "sha256": last["sha256"], "capture_id": last["id"], "status": 304,
            "headers": {k.decode("latin-1"): [v.decode("latin-1") for v in vs]
                        for k, vs in response.headers.items()},
        }
        self.stats.inc_value("nianbao/incremental/not_modified")
        return self._replay(request, last)


class IncrementalSpiderMiddleware:
    """Marks the FetchedItem of a replayed response as the revisit it is."""

    @classmethod
    def from_crawler(cls, crawler) -> "IncrementalSpiderMiddleware":
        if not crawler.settings.getbool("NIANBAO_INCREMENTAL", True):
            raise NotConfigured
        return cls()

    @staticmethod
    def _mark(response, obj: Any) -> Any:
        revisit = response.meta.get(META) if response is not None and getattr(response, "request", None) else None
        if revisit and isinstance(obj, FetchedItem) and obj.get("url") == response.url \
                and obj.get("body") is not None and len(obj.get("body") or b"") == len(response.body):
            obj["revisit"] = revisit["kind"]
            obj["sha256"] = revisit["sha256"]
            if revisit["kind"] == "not-modified":
                obj["status"] = revisit["status"]
                obj["headers"] = revisit["headers"]
        return obj

    def process_spider_output(self, response, result: Iterable[Any]) -> Iterable[Any]:
        for obj in result:
            yield self._mark(response, obj)

    async def process_spider_output_async(self, response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for obj in result:
            yield self._mark(response, obj)
