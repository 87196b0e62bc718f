"""Name resolution with a static map (``NIANBAO_RESOLVE``), like ``curl --resolve``.

Why: the bundled demo portal and the tests serve several *sites* from one local server; each
site needs its own host name (offsite filtering, robots.txt, per-host politeness and budgets all
key on the host), yet nothing may depend on a DNS server or /etc/hosts. Names in the map resolve
to their address (``{"www.trs.demo.test": "127.0.0.1"}``); everything else resolves as usual.
The ``.test`` top-level domain is reserved (RFC 2606) and never resolves on the internet.
"""
from __future__ import annotations

from twisted.internet import defer

from scrapy.resolver import CachingThreadedResolver


class StaticResolver(CachingThreadedResolver):
    def __init__(self, reactor, cache_size: int, timeout: float, static: dict[str, str]) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.static = {k.lower(): v for k, v in static.items()}

    @classmethod
    def from_crawler(cls, crawler, reactor):
        s = crawler.settings
        cache = s.getint("DNSCACHE_SIZE") if s.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache, s.getfloat("DNS_TIMEOUT"), s.getdict("NIANBAO_RESOLVE"))

    def getHostByName(self, name: str, timeout=()):
        addr = self.static.get(name.lower())
        if addr is not None:
            return defer.succeed(addr)
        return super().getHostByName(name, timeout)
