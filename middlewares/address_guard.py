"""Never fetch private, loopback or link-local addresses unless configured to (SSRF guard).

Why: a portal page (or a hostile one posing as a portal) can link to ``http://10.0.0.1/``,
``http://169.254.169.254/`` (cloud metadata) or ``http://127.0.0.1:6379/`` (our own Redis); a
host name in an allowed domain can resolve to such an address too. A crawler running next to
other services must not become a way in. Two checks, both on by default:

* ``AddressGuardMiddleware`` (downloader): a URL whose host is an IP literal outside the public
  internet is refused before anything connects;
* ``GuardedResolver`` (``TWISTED_DNS_RESOLVER``): a name that resolves to such an address is
  refused at resolution time, so the check holds for the address actually connected to (no
  second lookup an attacker's DNS could answer differently). Names mapped in ``NIANBAO_RESOLVE``
  are explicit configuration and pass.

The hosts of the crawl's own start URLs are the user's explicit choice (``-a start_urls=`` or the
registry entry) and pass both checks: pointing nianbao at a portal on an intranet address is
configuring it to fetch there. Links found on pages never gain that right.

Settings: ``NIANBAO_ALLOW_PRIVATE`` (default False) turns both off; ``NIANBAO_ALLOWED_ADDRESSES``
lists addresses or networks allowed anyway (settings.py allows ``127.0.0.1`` so the bundled demo
portal and the tests' local servers work; drop it in production with ``-s``). A refused request
fails with ``PrivateAddressRefused``: the spider's errback records it in the archive like any
failed fetch, and the crawl goes on.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable
from urllib.parse import urlsplit

from twisted.internet.error import DNSLookupError

from middlewares.resolve import StaticResolver

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class PrivateAddressRefused(Exception):
    """A request to an IP literal outside the public internet (not retried: the answer will not change)."""


class PrivateAddressLookup(DNSLookupError):
    """A name that resolves outside the public internet (Twisted reports any resolver failure as a
    failed lookup, so this is one in effect)."""


def parse_allowed(values: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(v.strip(), strict=False) for v in values if v and v.strip()]


def is_public(addr: str) -> bool:
    """True for globally routable unicast addresses (IPv4-mapped IPv6 judged by its IPv4 part)."""
    ip = ipaddress.ip_address(addr.strip("[]").split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def refused(addr: str, allow_private: bool, allowed: list[Network]) -> bool:
    """Whether ``addr`` (an IP literal) may not be fetched under these settings."""
    if allow_private:
        return False
    try:
        if is_public(addr):
            return False
        ip = ipaddress.ip_address(addr.strip("[]").split("%", 1)[0])
    except ValueError:
        return False          # not an IP literal: the resolver decides
    return not any(ip in net for net in allowed)


def _ip_literal(host: str) -> str | None:
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return host
    except ValueError:
        pass
    # inet_aton forms a browser (and Twisted's connect) may accept: 2130706433, 0x7f.1, 017700000001
    if host and all(part and (part.isdigit() or part.lower().startswith("0x")) for part in host.split(".")):
        try:
            import socket
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


def start_hosts(crawler) -> frozenset[str]:
    """Lower-cased host names (or IP literals) of the running spider's start URLs."""
    spider = getattr(crawler, "spider", None) if crawler is not None else None
    urls = getattr(spider, "start_urls", None) or []
    return frozenset((urlsplit(u).hostname or "").lower() for u in urls if isinstance(u, str)) - {""}


def _settings(settings) -> tuple[bool, list[Network]]:
    return (settings.getbool("NIANBAO_ALLOW_PRIVATE", False),
            parse_allowed(settings.getlist("NIANBAO_ALLOWED_ADDRESSES", [])))


class AddressGuardMiddleware:
    """Refuses requests to IP literals outside the public internet (downloader middleware)."""

    def __init__(self, stats, allow_private: bool, allowed: list[Network], crawler=None) -> None:
        self.stats = stats
        self.allow_private = allow_private
        self.allowed = allowed
        self.crawler = crawler
        self._hosts: frozenset[str] | None = None

    def _start_hosts(self) -> frozenset[str]:
        """``start_hosts`` once the spider exists (its start URLs are fixed from then on), not per request."""
        if self._hosts is None:
            if getattr(self.crawler, "spider", None) is None:
                return frozenset()
            self._hosts = start_hosts(self.crawler)
        return self._hosts

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, *_settings(crawler.settings), crawler=crawler)

    def process_request(self, request, spider=None):
        host = urlsplit(request.url).hostname or ""
        addr = _ip_literal(host)
        if addr is not None and host.lower() in self._start_hosts():
            return None       # the user asked for this host by name
        if addr is not None and refused(addr, self.allow_private, self.allowed):
            self.stats.inc_value("nianbao/address_guard/refused")
            raise PrivateAddressRefused(f"{host} is not a public address (set NIANBAO_ALLOW_PRIVATE "
                                        f"or NIANBAO_ALLOWED_ADDRESSES to fetch it)")
        return None


class GuardedResolver(StaticResolver):
    """``StaticResolver`` that refuses names resolving outside the public internet."""

    def __init__(self, reactor, cache_size: int, timeout: float, static: dict[str, str],
                 allow_private: bool = False, allowed: list[Network] | None = None, crawler=None) -> None:
        super().__init__(reactor, cache_size, timeout, static)
        self.allow_private = allow_private
        self.allowed = allowed or []
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler, reactor):
        s = crawler.settings
        cache = s.getint("DNSCACHE_SIZE") if s.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache, s.getfloat("DNS_TIMEOUT"), s.getdict("NIANBAO_RESOLVE"), *_settings(s),
                   crawler=crawler)

    def getHostByName(self, name: str, timeout=()):
        if name.lower() in self.static or _ip_literal(name) is not None or name.lower() in start_hosts(self.crawler):
            return super().getHostByName(name, timeout)     # configured, or checked by the middleware
        d = super().getHostByName(name, timeout)

        def check(addr: str) -> str:
            if refused(addr, self.allow_private, self.allowed):
                raise PrivateAddressLookup(f"{name} resolves to {addr}, not a public address")
            return addr
        return d.addCallback(check)

