"""Reading list APIs that answer JSON (UCAP, gkmlpt and other script-built lists).

Why generic walking instead of fixed field names: every deployment of a family names its fields
a little differently (``title``/``docTitle``/``articleTitle``, ``url``/``link``/``docUrl``,
``total``/``totalCount``/``totalRecord``). An article record is any JSON object with a title-like
string and a URL-like string; paging is read from whichever count fields are present.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

import scrapy

from scrapy.http import Response, TextResponse

from .base import Family, ListEntry, clean, generic_list_entries, is_html, iso_date

_TITLE_KEYS = re.compile(r"title|subject|biaoti", re.I)
#: some lists name the title ``name``/``docName``; only trusted with an article-shaped URL
_ARTICLE_NAME_KEYS = re.compile(r"^(name|docName|articleName|infoName|text)$", re.I)
_URL_KEYS = re.compile(r"^(url|link|href|path|.*url|.*link|.*href)$", re.I)
_DATE_KEYS = re.compile(r"date|time|day|fbrq|pubdate|publish|created|updated", re.I)
_NAME_KEYS = re.compile(r"name|title|label|text", re.I)
_CHILD_KEYS = re.compile(r"^(children|child|nodes|subs?|subChannels?)$", re.I)
#: list/index pages are columns, not articles, whatever the record calls them
_LIST_PAGE = re.compile(r"/(list|index|default)(_\d+)?\.s?html?(\?|$)", re.I)
_ID_KEYS = re.compile(r"^(id|.*_?id)$", re.I)
_ARTICLE_URL = re.compile(r"\.(s?html?|jsp|php|aspx?)(\?|$)|/(content|art|info|post|detail)[/_]", re.I)
TOTAL_KEYS = ("total", "totalCount", "totalRecord", "totalRecords", "recordCount", "totalNum", "count", "totalElements")
SIZE_KEYS = ("pageSize", "pagesize", "size", "perPage", "per_page", "rows", "limit")
PAGES_KEYS = ("totalPage", "totalPages", "pageCount", "pages", "page_count", "pageTotal")


def is_json(response: Response) -> bool:
    ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    head = response.body[:64].lstrip()
    return "json" in ctype or head[:1] in (b"{", b"[")


def list_entries(response: Response) -> list[ListEntry]:
    """Entries of a list answer, whichever way the family serves it: the article records of a JSON
    API answer, or the generic entries of an HTML list page (script-built families serve both)."""
    if is_json(response):
        data = load(response)
        return article_records(data, response.url, response) if data is not None else []
    return generic_list_entries(response) if is_html(response) else []


class ScriptListFamily(Family):
    """A family whose lists are JSON API answers, or HTML shells whose scripts fetch them.

    Subclasses say how a JSON answer pages (``_json_pages``) and what an HTML list page's
    scripts reveal about its API (``_html_pages``, given the pages' script text).
    """

    def list_entries(self, response: Response) -> list[ListEntry]:
        return list_entries(response)

    def list_pages(self, response: Response) -> Iterable[scrapy.Request]:
        if is_json(response):
            return self._json_pages(response)
        if not is_html(response):
            return []
        return self._html_pages(response, " ".join(response.xpath("//script/text()").getall()))

    def _json_pages(self, response: Response) -> list[scrapy.Request]:
        raise NotImplementedError

    def _html_pages(self, response: Response, scripts: str) -> Iterable[scrapy.Request]:
        raise NotImplementedError


def load(response: Response) -> Any:
    if not isinstance(response, TextResponse):
        try:
            return json.loads(response.body.decode("utf-8", "replace"))
        except ValueError:
            return None
    try:
        return json.loads(response.text)
    except ValueError:
        return None


def walk(node: Any) -> Iterator[dict]:
    """Every JSON object in ``node``, depth first, in document order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def _first(obj: dict, pattern: re.Pattern, want=str) -> tuple[str, Any] | None:
    for key, value in obj.items():
        if isinstance(value, want) and not isinstance(value, bool) and pattern.search(key) and value not in ("", None):
            return key, value
    return None


def _date(obj: dict) -> str | None:
    for key, value in obj.items():
        if not _DATE_KEYS.search(key):
            continue
        if isinstance(value, str) and iso_date(value):
            return iso_date(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 10**8:
            seconds = value / 1000 if value > 10**11 else value   # epoch seconds or milliseconds
            return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d")
    return None


def article_records(data: Any, base_url: str, response: Response) -> list[ListEntry]:
    """Objects that carry a title and a link to an article page."""
    entries: dict[str, ListEntry] = {}
    for obj in walk(data):
        title = _first(obj, _TITLE_KEYS) or _first(obj, _ARTICLE_NAME_KEYS)
        if title is None or any(_CHILD_KEYS.search(k) and isinstance(v, list) for k, v in obj.items()):
            continue
        link = None
        for key, value in obj.items():
            if isinstance(value, str) and _URL_KEYS.search(key) and value.strip() and not value.startswith("javascript"):
                link = value.strip()
                break
        if link is None or _LIST_PAGE.search(link) or not (_ARTICLE_URL.search(link) or link.lower().endswith(".pdf")):
            continue
        url = response.urljoin(link)
        entries.setdefault(url, ListEntry(url=url, title=clean(re.sub(r"<[^>]+>", "", title[1])), date=_date(obj)))
    return list(entries.values())


def number(data: Any, keys: tuple[str, ...]) -> int | None:
    """The first integer under one of ``keys`` anywhere in ``data`` (shallowest first)."""
    queue = [data]
    while queue:
        node = queue.pop(0)
        if isinstance(node, dict):
            for key in keys:
                value = node.get(key)
                if isinstance(value, (int, str)) and not isinstance(value, bool) and str(value).isdigit():
                    return int(value)
            queue.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            queue.extend(v for v in node if isinstance(v, (dict, list)))
    return None


def page_count(data: Any, shown: int, default_size: int | None = None) -> int:
    """Pages of a JSON list: explicit page count, else ceil(total / page size)."""
    pages = number(data, PAGES_KEYS)
    if pages:
        return pages
    total = number(data, TOTAL_KEYS)
    size = number(data, SIZE_KEYS) or default_size or shown
    if total and size:
        return -(-total // size)
    return 1


def named_nodes(data: Any) -> Iterator[tuple[str, dict]]:
    """(name, object) for tree nodes (channels, categories) that carry a name."""
    for obj in walk(data):
        hit = _first(obj, _NAME_KEYS)
        if hit is not None:
            yield clean(hit[1]), obj


def node_id(obj: dict) -> str | None:
    """The node's own id: ``id`` first, then ``…Id`` keys that do not point elsewhere (parentId, siteId)."""
    keys = sorted((k for k in obj if _ID_KEYS.search(k) and not re.match(r"(?i)(parent|site|web|p)_?id$", k)),
                  key=lambda k: (k.lower() != "id", len(k)))
    for key in keys:
        value = obj[key]
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value)
    return None


def node_url(obj: dict) -> str | None:
    for key, value in obj.items():
        if isinstance(value, str) and _URL_KEYS.search(key) and value.strip() and not value.startswith("javascript"):
            return value.strip()
    return None


#: names of the page-number parameter in list APIs
PAGE_PARAMS = ("currentPage", "pageNo", "pageIndex", "pageNum", "curPage", "currpage", "page", "p")


def page_param(params: dict[str, str]) -> str | None:
    lowered = {k.lower(): k for k in params}
    for name in PAGE_PARAMS:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def other_pages(response: Response, data: Any, max_pages: int, default_size: int | None = None):
    """Requests for pages 2..P of a paged JSON list, built like the request that got page 1.

    The page number sits in the query string or in a form body; page 1 (or a request without a
    page number) asks for all the others, later pages ask for nothing (no chains, no repeats).
    """
    import scrapy
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    request = response.request
    parts = urlsplit(response.url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    body = request.body.decode("utf-8", "replace") if request is not None and request.body else ""
    form = dict(parse_qsl(body, keep_blank_values=True)) if body and "=" in body and not body.lstrip().startswith("{") else {}
    in_query = page_param(query)
    in_form = page_param(form) if not in_query else None
    key = in_query or in_form
    current = (query if in_query else form).get(key, "1") if key else "1"
    if current not in ("", "0", "1"):
        return []
    shown = len(article_records(data, response.url, response))
    if not shown:
        return []
    size = default_size or number(data, SIZE_KEYS)
    if size is None and key:
        size_key = next((k for k in (*query, *form) if k.lower() in {s.lower() for s in SIZE_KEYS}), None)
        size = int((query | form)[size_key]) if size_key and str((query | form)[size_key]).isdigit() else None
    pages = min(max_pages, page_count(data, shown, size or shown))
    first = 0 if current == "0" else 1
    method = request.method if request is not None else "GET"
    headers = dict(request.headers) if request is not None else {}
    out = []
    for n in range(first + 1, pages + first):
        if in_form:
            out.append(scrapy.Request(response.url, method=method, headers=headers,
                                      body=urlencode({**form, in_form: n})))
        else:
            name = in_query or "page"
            url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode({**query, name: n}), ""))
            out.append(scrapy.Request(url, method=method, headers=headers, body=request.body if request is not None and method == "POST" else None))
    return out
