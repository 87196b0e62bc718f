"""VSB / 博达: static ``.htm`` list pages numbered backwards from the column page.

Real shape (portals.md): the column ``/<section>/<col>.htm`` shows the newest items; older pages
are ``/<section>/<col>/<N>.htm`` with N *descending* (with P pages, the second page is
``<col>/<P-1>.htm`` and the last ``<col>/1.htm``). The bar reads ``共X条 首页 上页 下页 尾页``
with page numbers, and a jump box whose script is ``_simple_list_gotopage_fun(P, …)``.
Articles are ``/info/<colid>/<artid>.htm``, body in ``#vsb_content`` / ``.v_news_content``.

Following 下页 links one by one works but takes P round trips in sequence; knowing P, the
adapter asks for every page at once (the same URLs the bar would reach).
"""
from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.http import Response

from .base import Family, Link, clean, generic_next_pages, is_html

MAX_PAGES = 500
_MARKERS = re.compile(r"/system/resource/|vsb_content|v_news_content|_newscontent_fromname|pb_sys_common|"
                      r"_simple_list_gotopage_fun|_showDynClicks|getClickTimes|_sitegray", re.I)
_OLDER = re.compile(r"^(?P<base>/.+)/(?P<n>\d+)\.htm$")
_GOTO = re.compile(r"_simple_list_gotopage_fun\(\s*(\d+)")
_OF = re.compile(r"(?<!\d)(\d{1,4})\s*/\s*(\d{1,4})(?!\d)")
_TOTAL_OF = re.compile(r"共\s*\d+\s*条\D{0,24}?(\d{1,4})\s*/\s*(\d{1,4})(?!\d)")


def column_base(path: str) -> str:
    """``/sec/col/3.htm`` → ``/sec/col`` ; ``/sec/col.htm`` → ``/sec/col``."""
    m = _OLDER.match(path)
    if m:
        return m.group("base")
    return path[:-4] if path.endswith(".htm") else path


def page_total(response: Response) -> int | None:
    """Page count P, from the jump script, a ``k/P`` counter or the highest numbered page link."""
    scripts = " ".join(response.xpath("//script/text()").getall())
    m = _GOTO.search(scripts)
    if m:
        return int(m.group(1))
    bar = response.xpath("//*[contains(@class,'p_pages') or contains(@class,'pb_sys') or contains(@class,'p_t')]")
    text = clean(" ".join(bar.xpath(".//text()").getall())) if bar else ""
    m = _OF.search(text)
    if m and 1 <= int(m.group(1)) <= int(m.group(2)):
        return int(m.group(2))
    # templates without the p_* classes still print "共37条 1/4" somewhere in the page
    m = _TOTAL_OF.search(clean(" ".join(response.xpath("//body//text()[not(ancestor::script)]").getall())))
    if m and 1 <= int(m.group(1)) <= int(m.group(2)):
        return int(m.group(2))
    numbers = [int(t) for t in (clean(x) for x in bar.xpath(".//a//text()").getall()) if t.isdigit()]
    if numbers:
        return max(numbers) + (0 if _OLDER.match(urlsplit(response.url).path) else 1)
    return None


class VsbFamily(Family):
    name = "vsb"
    priority = 70
    body_selectors = ("#vsb_content", ".v_news_content", "form[name=_newscontent_fromname]")

    def article_key(self, url: str) -> str | None:
        """``/info/<colid>/<artid>.htm``: a reference in another column keeps the article id."""
        m = re.search(r"/info/\d+/(\d+)\.htm$", urlsplit(url).path)
        return m.group(1) if m else None

    def detect(self, response: Response) -> bool:
        return is_html(response) and bool(_MARKERS.search(response.text))

    def attachments(self, response: Response, body) -> list[Link]:
        """VSB prints the attachment list (附件【…】已下载N次) after the body, inside the news form."""
        found = {link.url: link for link in super().attachments(response, body)}
        for form in response.xpath("//form[@name='_newscontent_fromname']"):
            for link in super().attachments(response, form):
                found.setdefault(link.url, link)
        return list(found.values())

    def list_pages(self, response: Response) -> Iterable[scrapy.Request]:
        if not is_html(response):
            return []
        urls = list(generic_next_pages(response))
        parts = urlsplit(response.url)
        total = page_total(response)
        if total and total > 1 and parts.path.endswith(".htm"):
            base = column_base(parts.path)
            urls.append(urlunsplit((parts.scheme, parts.netloc, f"{base}.htm", "", "")))
            for n in range(1, min(total, MAX_PAGES)):
                urls.append(urlunsplit((parts.scheme, parts.netloc, f"{base}/{n}.htm", "", "")))
        seen: set[str] = set()
        return [scrapy.Request(u) for u in urls if u != response.url and not (u in seen or seen.add(u))]
