"""Hanweb 信息公开目录 (``/module/xxgk/search.jsp``): result pages paged by a form POST.

Real shape (portals.md): a category or body opens ``search.jsp?infotypeId=…&area=…``; the page
holds a hidden form (``infotypeId``, ``area``, ``divid``, ``currpage`` …) that the pager script
(``searchsubmit(k)`` and similar) submits with the page number. The pager's links are
``javascript:`` calls, so the adapter reads the page count (``当前第k/P页``, ``共P页`` or the
highest number passed to the pager script) and POSTs the form itself for every page. Articles
are ordinary jcms pages (``#zoom``) and the same sites run jcms columns, so the adapter extends
the Hanweb jcms one: a portal pinned to this family still reads its datastore lists.
"""
from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response

from .base import clean, is_html
from .hanweb import HanwebFamily

MAX_PAGES = 500
_MARKERS = re.compile(r"/module/xxgk/", re.I)
_PAGE_FIELD = re.compile(r"^(currpage|currPage|curpage|pageNo|pageno|page_no|pageIndex|pageNum|page)$")
_OF = re.compile(r"(?<!\d)(\d{1,4})\s*/\s*(\d{1,4})\s*页")
_PAGES = re.compile(r"共\s*(\d{1,4})\s*页")
_CALL_ARG = re.compile(r"\w+\(\s*['\"]?(\d{1,4})['\"]?\s*\)")


def page_total(response: Response) -> int | None:
    text = clean(" ".join(response.xpath("//body//text()[not(ancestor::script)]").getall()))
    m = _OF.search(text)
    if m and int(m.group(1)) <= int(m.group(2)):
        return int(m.group(2))
    m = _PAGES.search(text)
    if m:
        return int(m.group(1))
    calls = [int(n) for h in response.xpath("//a/@onclick | //a/@href").getall() for n in _CALL_ARG.findall(h)]
    return max(calls) if calls else None


class HanwebXxgkFamily(HanwebFamily):
    name = "hanweb_xxgk"
    priority = 65       # before Hanweb jcms: the same site chrome, a different list mechanism
    body_selectors = ("#zoom", ".bt-article")

    def article_key(self, url: str) -> str | None:
        """``/art/<y>/<m>/<d>/art_<col>_<id>.html``: a document referenced by another column keeps its id."""
        m = re.search(r"/art_\d+_(\d+)\.html$", urlsplit(url).path)
        return m.group(1) if m else None

    def detect(self, response: Response) -> bool:
        if _MARKERS.search(response.url):
            return True
        return is_html(response) and bool(re.search(r"<form[^>]+action=[\"'][^\"']*/module/xxgk/", response.text, re.I))

    def _search_form(self, response: Response):
        forms = response.xpath("//form[contains(@action,'/module/xxgk/')]") or response.xpath("//form[.//input[@name='infotypeId']]")
        return forms[0] if forms else None

    def list_pages(self, response: Response) -> Iterable[scrapy.Request]:
        if not is_html(response):
            return []
        # the same sites run jcms columns too (datastore + dataproxy.jsp): keep that paging
        requests = list(super().list_pages(response))
        form = self._search_form(response)
        total = page_total(response)
        if not total or total < 2:
            return requests
        if form is None:
            # no form in the page (the pager script builds the URL): the search answers GET too
            parts = urlsplit(response.url)
            if not _MARKERS.search(parts.path):
                return requests
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            key = next((k for k in query if _PAGE_FIELD.match(k)), "currpage")
            if query.get(key, "1") not in ("", "1"):
                return requests
            for k in range(2, min(total, MAX_PAGES) + 1):
                requests.append(scrapy.Request(urlunsplit((parts.scheme, parts.netloc, parts.path,
                                                           urlencode({**query, key: k}), ""))))
            return requests
        fields = dict(parse_qsl(urlsplit(response.url).query, keep_blank_values=True))
        for inp in form.xpath(".//input[@name]"):
            if (inp.attrib.get("type") or "text").lower() not in ("submit", "button", "image", "reset"):
                fields[inp.attrib["name"]] = inp.attrib.get("value", "")
        page_field = next((k for k in fields if _PAGE_FIELD.match(k)), "currpage")
        try:
            current = int(fields.get(page_field) or 1)
        except ValueError:
            current = 1
        if current != 1:
            return requests           # page 1 asks for all the others
        action = response.urljoin(form.attrib.get("action") or urlsplit(response.url).path)
        for k in range(2, min(total, MAX_PAGES) + 1):
            requests.append(scrapy.FormRequest(action, formdata={**fields, page_field: str(k)}))
        return requests
