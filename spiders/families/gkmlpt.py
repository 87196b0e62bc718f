"""广东 gkmlpt (政府信息公开目录平台): category tree in a script, lists and bodies as JSON.

Real shape (portals.md): ``…/gkmlpt/index`` is an app shell; its categories are script data
(objects with an ``id`` and a ``name``); the list of a category is
``…/gkmlpt/api/all/<catid>?page=N`` (JSON with the articles and a total); an article
``…/gkmlpt/content/<a>/<b>/post_<id>.html`` carries its body in the ``content`` field of a JSON
object in the page (drawn by script), next to a metadata table. Departments run the same app
under their own path prefix, so every address is built from the prefix before ``/gkmlpt/``.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable
from urllib.parse import urlencode, urlsplit, urlunsplit

import scrapy
from parsel import Selector
from scrapy.http import Response

from . import _jsonlist as jl
from .base import ATTACHMENT_EXT, Article, Link, clean, generic_breadcrumb, generic_metadata, \
    is_html
from .labels import is_column_label

MAX_PAGES = 500
_MARKERS = re.compile(r"/gkmlpt/", re.I)
_NODE_ID_FIRST = re.compile(r"""(?i)\{[^{}]*?["']?\w*id["']?\s*:\s*["']?(\d+)["']?[^{}]*?["']?name["']?\s*:\s*["']([^"']+)["']""")
_NODE_NAME_FIRST = re.compile(r"""(?i)\{[^{}]*?["']?\w*name["']?\s*:\s*["']([^"']+)["'][^{}]*?["']?id["']?\s*:\s*["']?(\d+)""")
_SID = re.compile(r"""\b(?:SID|sid|siteId|site_id)\b["']?\s*[:=]\s*["']?(\w+)""")
_HASH_CAT = re.compile(r"/gkmlpt/index#(\d+)")
_ASSIGN_OBJ = re.compile(r"[=(:]\s*\{")


def app_prefix(url: str) -> str:
    """``http://h/dept/gkmlpt/index`` → ``http://h/dept/gkmlpt``."""
    parts = urlsplit(url)
    path = parts.path
    cut = path.find("/gkmlpt/")
    base = path[:cut + len("/gkmlpt")] if cut >= 0 else "/gkmlpt"
    return urlunsplit((parts.scheme, parts.netloc, base, "", ""))


def page_json(response: Response) -> list[Any]:
    """JSON objects assigned in the page's scripts (``var DATA = {...};`` and the like)."""
    decoder = json.JSONDecoder()
    found = []
    for script in response.xpath("//script/text()").getall():
        for m in _ASSIGN_OBJ.finditer(script):
            try:
                value, _end = decoder.raw_decode(script, m.end() - 1)
            except ValueError:
                continue
            found.append(value)
    return found


class GkmlptFamily(jl.ScriptListFamily):
    name = "gkmlpt"
    priority = 75

    def article_key(self, url: str) -> str | None:
        """``…/gkmlpt/content/<a>/<b>/post_<id>.html``: the post id, whatever the prefix."""
        m = re.search(r"/gkmlpt/content/(?:\d+/)+post_(\d+)\.html$", urlsplit(url).path)
        return m.group(1) if m else None

    def detect(self, response: Response) -> bool:
        if _MARKERS.search(response.url):
            return True
        return is_html(response) and bool(re.search(r"/gkmlpt/(api|static|content|index)", response.text))

    # ---------------------------------------------------------------- lists
    def _html_pages(self, response: Response, scripts: str) -> Iterable[scrapy.Request]:
        if "/gkmlpt/" not in response.url and "CLASSIFY" not in scripts.upper():
            return []
        sid = _SID.search(scripts)
        cats: dict[str, str] = {}
        for data in page_json(response):          # category objects in script data, any key names
            for name, node in jl.named_nodes(data):
                cid = jl.node_id(node)
                if cid and cid.isdigit():
                    cats.setdefault(cid, name)
        for m in _NODE_ID_FIRST.finditer(scripts):
            cats.setdefault(m.group(1), m.group(2))
        for m in _NODE_NAME_FIRST.finditer(scripts):
            cats.setdefault(m.group(2), m.group(1))
        for a in response.xpath("//a[@href]"):
            m = _HASH_CAT.search(a.attrib.get("href", ""))
            if m:
                cats.setdefault(m.group(1), clean(" ".join(a.xpath(".//text()").getall())))
        base = app_prefix(response.url)
        query = {"page": 1, **({"sid": sid.group(1)} if sid else {})}
        requests = [scrapy.Request(f"{base}/api/all/{catid}?{urlencode(query)}", meta={"column": True})
                    for catid, name in cats.items() if is_column_label(name)]
        if not requests and urlsplit(response.url).path.endswith("/gkmlpt/index"):
            # the tree is not in the page (loaded by a script we cannot see): the whole catalogue
            # (category 0), read as a discovery list — only report titles are taken from it
            requests.append(scrapy.Request(f"{base}/api/all/0?{urlencode(query)}"))
        return requests

    def _json_pages(self, response: Response) -> list[scrapy.Request]:
        data = jl.load(response)
        return jl.other_pages(response, data, MAX_PAGES) if data is not None else []

    # ---------------------------------------------------------------- articles
    def article(self, response: Response) -> Article:
        if not is_html(response):
            return Article(title="", text="")
        base = super().article(response)
        scripts = page_json(response)
        holders = [obj for data in scripts for obj in jl.walk(data)
                   if isinstance(obj.get("content"), str) and "<" in obj["content"]]
        for data in holders[:1]:
            body = Selector(text=f"<div>{data['content']}</div>")
            text = clean(" ".join(body.xpath("//text()").getall()))
            attachments = list(base.attachments)
            # attachment records anywhere in the page data (next to the body or in a files list)
            for obj in jl.walk(scripts):
                if obj is data:
                    continue
                url = jl.node_url(obj)
                name = next((clean(v) for k, v in obj.items() if isinstance(v, str) and "name" in k.lower()), "")
                if url and (ATTACHMENT_EXT.search(url) or ATTACHMENT_EXT.search(name)):
                    attachments.append(Link(response.urljoin(url), name))
            for a in body.xpath("//a[@href]"):
                href = response.urljoin(a.attrib["href"])
                if re.search(r"\.(pdf|docx?|wps|xlsx?)(\?|$)", href, re.I):
                    attachments.append(Link(href, clean(" ".join(a.xpath(".//text()").getall()))))
            unique = list({link.url: link for link in attachments}.values())
            title = clean(data.get("title")) if isinstance(data.get("title"), str) else base.title
            return Article(title=title or base.title, text=text, attachments=unique,
                           metadata=generic_metadata(response), breadcrumb=generic_breadcrumb(response))
        return base
