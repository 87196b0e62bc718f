"""Canonical URLs and the guards against infinite URL spaces.

Why: the same article is reachable under several URLs (session ids in the path or query,
tracking parameters, shuffled query order, ``:80``), and calendars/search pages generate new
URLs forever. Canonicalising before requesting lets Scrapy's duplicate filter see one URL per
page; the per-site page budget and the list-page budget bound whatever still slips through.
"""
from __future__ import annotations

import re
from collections import Counter
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: query parameters that never change the page: sessions, trackers, cache busters
DROP_PARAMS = frozenset({
    "jsessionid", "phpsessid", "aspsessionid", "sessionid", "sid", "session", "token",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "spm", "from",
    "_", "timestamp", "ts", "random", "rnd", "nocache", "clicktime",
})
_PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sessionid)=[^/?#]*", re.I)


def canonicalize(url: str, drop: frozenset[str] = DROP_PARAMS) -> str:
    """Lower-case scheme/host, drop default port, fragment, session ids and tracking params;
    sort the query. The path keeps its case (servers are case-sensitive).

    A URL that cannot be requested (a port like ``:99999`` or ``:abc``, a broken ``[`` host)
    canonicalises to ``""``: one bad link on a list page must not raise and lose the others."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:     # an IPv6 literal keeps its brackets (``http://[::1]:8080/``)
        host = f"[{host}]"
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    path = _PATH_SESSION.sub("", parts.path) or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in drop]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class Budget:
    """Per-site page budget: at most ``per_site`` requests per host, then the site is skipped.

    Why per host: one endless calendar on one site must not starve the other sites of a crawl.
    """

    def __init__(self, per_site: int) -> None:
        self.per_site = per_site
        self.used: Counter[str] = Counter()
        self.exhausted: set[str] = set()

    def take(self, url: str) -> bool:
        host = host_of(url)
        if self.per_site and self.used[host] >= self.per_site:
            self.exhausted.add(host)
            return False
        self.used[host] += 1
        return True
