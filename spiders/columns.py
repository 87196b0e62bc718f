"""From a portal home to the 年报 columns of the body *and of its sub-bodies*.

Why: a city portal's home links to 政府信息公开, not to every 年报 column. The columns of
departments (部门), districts (区县) and towns (镇街道) sit two or three pages deeper:
home → 政府信息公开 → 部门信息公开 → <department> → 政府信息公开年报. The family adapters
find 年报 column links on a page (``Family.column_links``); this module finds the way down to
the pages that hold them:

* hub links — link text names an 信息公开 index or a sub-body group (labels in
  ``data/hub_labels.csv``, kind ``hub``);
* body links — on a hub page, link text that names a body (ends like 局, 委员会, 镇, 街道 …,
  kind ``body``), i.e. a department's or town's own 信息公开 page.

Both are followed as discovery pages (not as 年报 columns), so only column links and report
titles are taken from them; the spider bounds the depth (``NIANBAO_MAX_HOPS``), the offsite
filter keeps the crawl within the allowed domains.
"""
from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from scrapy.http import Response

from spiders.families.base import ATTACHMENT_EXT, Link, clean, is_html

DATA = Path(__file__).resolve().parents[1] / "data"
_YEAR = re.compile(r"(?:19|20)\d{2}")
_SPACES = re.compile(r"[\s\u3000\xa0]+")
#: body names are short; longer texts are article titles
MAX_BODY_NAME = 22
MAX_HUB_LABEL = 14


@lru_cache(maxsize=None)
def _labels(kind: str) -> tuple[str, ...]:
    with open(DATA / "hub_labels.csv", encoding="utf-8", newline="") as fh:
        return tuple(r["label"] for r in csv.DictReader(fh) if r["kind"] == kind and r["label"])


def _compact(text: str) -> str:
    return _SPACES.sub("", text or "").strip("【】[]<>》«»·•")


def is_hub_label(text: str) -> bool:
    """Link text naming an 信息公开 index or a group of sub-bodies (部门信息公开, 镇（街道）…)."""
    t = _compact(text)
    if not t or len(t) > MAX_HUB_LABEL or _YEAR.search(t):
        return False
    return any(t == label or (len(label) >= 4 and label in t) for label in _labels("hub"))


def is_body_name(text: str) -> bool:
    """Link text naming a body (市财政局, 浏河镇人民政府, 娄东街道办事处 …)."""
    t = _compact(text)
    if not (3 <= len(t) <= MAX_BODY_NAME) or _YEAR.search(t) or re.search(r"\d", t):
        return False
    return any(t.endswith(suffix) for suffix in _labels("body"))


def _links(response: Response) -> list[tuple[str, str]]:
    out = []
    for a in response.xpath("//a[@href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
            continue
        text = clean(" ".join(a.xpath(".//text()").getall())) or clean(a.attrib.get("title"))
        url = response.urljoin(href)
        if text and not ATTACHMENT_EXT.search(url):
            out.append((url, text))
    return out


def hub_links(response: Response) -> list[Link]:
    """Links to 信息公开 indexes and sub-body groups on any HTML page."""
    if not is_html(response):
        return []
    found: dict[str, Link] = {}
    for url, text in _links(response):
        if url != response.url and is_hub_label(text):
            found.setdefault(url, Link(url, text))
    return list(found.values())


def body_links(response: Response) -> list[Link]:
    """On a hub page: links that name a sub-body (its own 信息公开 page)."""
    if not is_html(response):
        return []
    found: dict[str, Link] = {}
    for url, text in _links(response):
        if url != response.url and is_body_name(text):
            found.setdefault(url, Link(url, text))
    return list(found.values())
