"""Pages whose declared charset lies: decode them right for the spider, keep their bytes untouched.

Why: some portals serve GBK/GB2312 pages with ``Content-Type: text/html; charset=utf-8`` (or a
``<meta charset>`` that disagrees with the header, or the reverse: UTF-8 bytes declared as GBK).
Scrapy trusts the header, so ``response.text`` turns into replacement characters, titles stop
matching the report patterns and the report is missed. Re-encoding the body would corrupt the
archive (style.md §5), so this middleware only changes the *decoding* Scrapy uses
(``response.replace(encoding=...)``); ``response.body`` stays the bytes as served and extraction
later decodes them itself from the raw snapshot.
"""
from __future__ import annotations

import codecs
import re

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
#: Chinese encodings are tried as GB18030, the superset of GB2312 and GBK.
_CHINESE = {"gb2312", "gbk", "gb18030", "hz-gb-2312", "x-gbk", "euc-cn"}


def _norm(enc: str | None) -> str | None:
    if not enc:
        return None
    try:
        name = codecs.lookup(enc).name
    except LookupError:
        return None
    return "gb18030" if name in _CHINESE or enc.lower() in _CHINESE else name


def _decodes(body: bytes, enc: str) -> bool:
    try:
        body.decode(enc)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def true_encoding(body: bytes, declared: str | None) -> str | None:
    """The encoding ``body`` really is in, when it differs from ``declared``; else None.

    Order of evidence: valid UTF-8 with non-ASCII bytes is UTF-8 (GBK bytes almost never form
    valid UTF-8, while UTF-8 bytes often decode as GBK garbage); otherwise the declared encoding
    if it decodes without error; then the page's own ``<meta charset>``; then GB18030; then
    charset-normalizer's guess.
    """
    declared_n = _norm(declared) or "utf-8"
    if not body or body.isascii():
        return None
    if _decodes(body, "utf-8"):
        return None if declared_n == "utf-8" else "utf-8"
    if _decodes(body, declared_n):
        return None
    m = _META_CHARSET.search(body[:4096])
    candidates = [_norm(m.group(1).decode("ascii", "ignore")) if m else None, "gb18030"]
    for enc in candidates:
        if enc and enc != declared_n and _decodes(body, enc):
            return enc
    try:
        from charset_normalizer import from_bytes
        best = from_bytes(body).best()
    except Exception:  # a guess is a bonus, never a reason to fail a page
        best = None
    if best is not None and _norm(best.encoding) not in (None, declared_n):
        return _norm(best.encoding)
    return None


class CharsetRepairMiddleware:
    """Downloader middleware: fix ``response.encoding`` when the declared charset cannot be right."""

    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CharsetRepairMiddleware":
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None):
        if not isinstance(response, TextResponse):
            return response
        real = true_encoding(response.body, response.encoding)
        if real is None:
            return response
        self.stats.inc_value("charset/repaired")
        request.meta["nianbao_charset"] = f"declared {response.encoding}, decoded as {real}"
        return response.replace(encoding=real)
