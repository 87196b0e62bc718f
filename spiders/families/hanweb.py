"""Hanweb jcms (大汉): lists live in an XML datastore; further pages come from ``dataproxy.jsp``.

Real shape (portals.md): a column page ``/col/col<N>/index.html`` carries
``<script type="text/xml"><datastore>…<recordset><record><![CDATA[<li>…</li>]]></record>…``
with the first records, and a jpage script that fetches the rest by POST to
``/module/web/jpage/dataproxy.jsp?startrecord=&endrecord=&perpage=`` with the form
``col=1&appid=1&webid=&path=/&columnid=N&sourceContentType=1&unitid=&webname=&permissiontype=0``;
the answer is the same XML with ``<totalrecord>``. Articles are ``/art/YYYY/M/D/art_<col>_<id>.html``
with the body in ``#zoom`` and attachments under ``/module/download/downfile.jsp?…filename=….pdf``.

The XML is parsed with lxml, never resolving entities or touching the network (XXE-safe), and
with ``recover`` so one malformed record costs that record only.
"""
from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit

import scrapy
from lxml import etree
from parsel import Selector
from scrapy.http import Response

from .base import Family, ListEntry, generic_list_entries, generic_next_pages, is_html

PROXY_PATH = "/module/web/jpage/dataproxy.jsp"
#: records asked per proxy request (jpage asks perpage × groupSize; 3 groups is the usual default)
GROUP_SIZE = 3
#: refuse absurd totals (a broken or hostile counter must not open an infinite space)
MAX_RECORDS = 20000
_DATASTORE = re.compile(r"<datastore>.*?</datastore>", re.S | re.I)
_MARKERS = re.compile(r"<datastore>|/module/(web/jpage|jslib|visitcount|download)/|jpage\(|articlehits\.jsp|hanweb", re.I)
_COL_IN_URL = re.compile(r"/col/col(\d+)/")
_NUM = r"\s*[:=]\s*['\"]?(\d+)"
_FORM_KEYS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname",
              "permissiontype")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False,
                           load_dtd=False, dtd_validation=False)


def parse_datastore(xml_text: str) -> tuple[list[str], int | None, str | None]:
    """(record HTML fragments, totalrecord or None, nextgroup HTML or None) of one datastore."""
    m = _DATASTORE.search(xml_text)
    if m:
        chunk = m.group(0)
    else:   # a truncated page or answer: keep what arrived, the recovering parser takes the rest
        start = xml_text.lower().find("<datastore>")
        if start < 0:
            return [], None, None
        end = xml_text.lower().find("</script>", start)
        chunk = xml_text[start:end if end >= 0 else len(xml_text)]
    try:
        root = etree.fromstring(chunk.encode("utf-8"), parser=_parser())
    except etree.XMLSyntaxError:
        return [], None, None
    if root is None:
        return [], None, None
    records = [r.text or "" for r in root.iter("record")]
    total_text = root.findtext(".//totalrecord")
    total = int(total_text.strip()) if total_text and total_text.strip().isdigit() else None
    nextgroup = root.findtext(".//nextgroup")
    return records, total, nextgroup


def _script_number(text: str, *names: str) -> int | None:
    for name in names:
        m = re.search(name + _NUM, text, re.I)
        if m:
            return int(m.group(1))
    return None


class HanwebFamily(Family):
    name = "hanweb"
    priority = 60
    body_selectors = ("#zoom", ".bt-article", "#c", ".main-txt")

    def detect(self, response: Response) -> bool:
        if PROXY_PATH in response.url:
            return True
        return is_html(response) and bool(_MARKERS.search(response.text))

    def list_entries(self, response: Response) -> list[ListEntry]:
        text = response.text if hasattr(response, "text") else ""
        records, _total, _next = parse_datastore(text)
        if not records:
            return super().list_entries(response) if is_html(response) else []
        entries: dict[str, ListEntry] = {}
        for fragment in records:
            sel = Selector(text=f"<div>{fragment}</div>")
            for entry in generic_list_entries(response, root=sel):
                entries.setdefault(entry.url, entry)
        return list(entries.values())

    def list_pages(self, response: Response) -> Iterable[scrapy.Request]:
        text = response.text if hasattr(response, "text") else ""
        records, total, nextgroup = parse_datastore(text)
        if PROXY_PATH in response.url:
            return self._next_chunk(response, records, total)
        if not records:
            return [scrapy.Request(u) for u in generic_next_pages(response)]
        form = self._form(response, text, nextgroup)
        if form is None:
            return []
        perpage = _script_number(text, "perpage", "perPage") or 15
        total = total or _script_number(text, "totalRecord", "totalrecord")
        chunk = perpage * GROUP_SIZE
        start = len(records) + 1
        if total is None:                      # unknown total: ask for the next chunk; chaining continues
            return [self._proxy(response, form, start, start + chunk - 1, perpage)]
        total = min(total, MAX_RECORDS)
        return [self._proxy(response, form, s, min(s + chunk - 1, total), perpage)
                for s in range(start, total + 1, chunk)]

    # ----------------------------------------------------------------- helpers
    def _form(self, response: Response, text: str, nextgroup: str | None) -> dict[str, str] | None:
        """The proxy form: from the nextgroup link or jpage script when printed, else defaults."""
        form: dict[str, str] = {"col": "1", "appid": "1", "webid": "", "path": "/", "columnid": "",
                                "sourceContentType": "1", "unitid": "", "webname": "", "permissiontype": "0"}
        printed = ""
        if nextgroup:
            href = Selector(text=nextgroup).xpath("//a/@href").get() or ""
            printed = href.split("?", 1)[1] if "?" in href else ""
        if not printed:
            m = re.search(re.escape(PROXY_PATH) + r"\?([^'\"\s<>]+)", text)
            printed = m.group(1) if m else ""
        for key, value in parse_qsl(printed.replace("&amp;", "&"), keep_blank_values=True):
            if key in form:
                form[key] = value.strip("'\"")
        for key in ("columnid", "unitid", "webid"):
            if not form[key]:
                m = re.search(key + r"\s*[:=]\s*['\"]?(\d+)", text, re.I)
                if m:
                    form[key] = m.group(1)
        if not form["columnid"]:
            m = _COL_IN_URL.search(response.url)
            if not m:
                return None
            form["columnid"] = m.group(1)
        return form

    def _proxy(self, response: Response, form: dict[str, str], start: int, end: int,
               perpage: int) -> scrapy.Request:
        parts = urlsplit(response.url)
        query = urlencode({"startrecord": start, "endrecord": end, "perpage": perpage})
        url = f"{parts.scheme}://{parts.netloc}{PROXY_PATH}?{query}"
        return scrapy.FormRequest(url, formdata=form, method="POST")

    def _next_chunk(self, response: Response, records: list[str], total: int | None) -> list[scrapy.Request]:
        query = dict(parse_qsl(urlsplit(response.url).query))
        try:
            start, end, perpage = int(query["startrecord"]), int(query["endrecord"]), int(query.get("perpage", 15))
        except (KeyError, ValueError):
            return []
        if not records or (total is not None and end >= min(total, MAX_RECORDS)) or end >= MAX_RECORDS:
            return []
        if total is None and len(records) < end - start + 1:
            return []
        body = response.request.body.decode("utf-8", "replace") if response.request is not None else ""
        form = dict(parse_qsl(body, keep_blank_values=True))
        chunk = end - start + 1
        last = end + chunk if total is None else min(end + chunk, total)
        return [self._proxy(response, form, end + 1, last, perpage)]
