"""robots.txt fetched once per host for the whole crawl, not once per worker.

Why: Scrapy's ``RobotsTxtMiddleware`` keeps its parsers in process memory, so N workers fetch
every host's robots.txt N times, a cost to the portal that the politeness budget does not see.
This subclass shares the file through Redis: the first worker that needs a host's rules takes a
short lock and downloads it (through the downloader middlewares, so the global per-host limits
apply), stores status and body with a TTL, and every other worker parses the stored copy. If the
download fails nothing is stored and the lock is released, so another worker tries again, as a
single process would on its next run.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis import connection
from twisted.internet.defer import Deferred

from .keys import Keys

logger = logging.getLogger(__name__)


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler: Any) -> None:
        if not crawler.settings.getbool("NIANBAO_DISTRIBUTED"):
            raise NotConfigured
        super().__init__(crawler)
        s = crawler.settings
        self.server = connection.get_redis_from_settings(s)
        self.keys = Keys(s.get("NIANBAO_REDIS_PREFIX") or "nianbao")
        self.ttl = s.getint("NIANBAO_ROBOTS_TTL", 24 * 3600)
        self.lock_ms = int((s.getfloat("DOWNLOAD_TIMEOUT", 180) + 30) * 1000)

    async def _claim_or_wait(self, site: str) -> bytes | None:
        """The stored copy, or None when this worker got the lock and must fetch it."""
        while True:
            try:
                stored = self.server.get(self.keys.robots(site))
                if stored is not None:
                    return stored
                if self.server.set(self.keys.robots_lock(site), b"1", nx=True, px=self.lock_ms):
                    return None
            except Exception as exc:  # Redis away: fall back to fetching ourselves
                logger.warning("robots.txt cache unreachable (%s)", exc)
                return None
            await asyncio.sleep(0.05)

    async def robot_parser(self, request: Request) -> Any:
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc in self._parsers:
            return await super().robot_parser(request)
        self._parsers[netloc] = Deferred()
        site = f"{url.scheme}://{netloc}"
        robotsurl = f"{site}/robots.txt"
        stored = await self._claim_or_wait(site)
        if stored is not None:
            status, _, body = stored.partition(b"\n")
            self._stats.inc_value("robotstxt/shared_copy")
            await self._parse_robots(Response(robotsurl, status=int(status), body=body), netloc, request)
            return await super().robot_parser(request)
        robotsreq = Request(robotsurl, priority=self.DOWNLOAD_PRIORITY,
                            meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK)
        try:
            resp = await self.crawler.engine.download_async(robotsreq)
            try:
                self.server.set(self.keys.robots(site), str(resp.status).encode() + b"\n" + resp.body, ex=self.ttl)
            except Exception as exc:
                logger.warning("could not share robots.txt of %s: %s", site, exc)
            await self._parse_robots(resp, netloc, request)
        except Exception as e:
            if not isinstance(e, IgnoreRequest):
                logger.error("Error downloading %s: %s", robotsurl, e)
            self._robots_error(e, netloc)
        finally:
            try:
                self.server.delete(self.keys.robots_lock(site))
            except Exception:
                pass
        self._stats.inc_value("robotstxt/request_count")
        return await super().robot_parser(request)
