"""The family adapter interface: what the spider asks of every CMS family.

Why an interface: real portals run a handful of CMS families (Hanweb jcms, TRS WCM, UCAP, VSB,
gkmlpt, ...), each with its own list markup and paging (``portals.md``). The spider stays thin
(City Scrapers' mixin pattern, style.md §1): it asks the family of a page for

* ``detect(response)``       — is this page served by my CMS?
* ``list_entries(response)`` — the article links of a list page (or of a list API answer), each
                               with the title and date as listed;
* ``list_pages(response)``   — requests for the further pages of the same list (GET or POST,
                               HTML or JSON: the family knows its paging);
* ``column_links(response)`` — links to 年报 columns (or sub-bodies' columns) worth walking;
* ``article(response)``      — title, body text, attachments and metadata of an article page.

Each method has a working default built from generic heuristics, so a family module only
overrides what differs (usually detection, list entries and paging). A family never yields items
and never archives: it only reads responses and proposes requests; the spider decides.

Adding a family: create ``spiders/families/<name>.py`` with a ``Family`` subclass that sets
``name`` (and ``priority`` if it must be tried before others). It is discovered automatically
(``spiders.families.registry``); nothing else needs editing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar, Iterable
from urllib.parse import urlparse

import scrapy
from scrapy.http import Response, TextResponse

from . import labels

#: Where an attachment link is recognised from its URL.
ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|ofd|zip|rar)(?:$|[?#&])", re.I)
#: download endpoints of common CMSs (hanweb downfile.jsp, generic download servlets)
ATTACHMENT_ENDPOINT = re.compile(r"(downfile|download|fileDownload|getFile|attach)", re.I)
DATE_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?(?!\d)")
#: Body containers tried in order for the article text; families put theirs first.
DEFAULT_BODY_SELECTORS: tuple[str, ...] = (
    "#zoom", ".TRS_Editor", "#zoomcon", "ucapcontent", "#vsb_content", ".v_news_content",
    ".article-content", ".article", "#content", ".content", ".main", "article", "body",
)


@dataclass
class ListEntry:
    """One article link as a list page shows it."""
    url: str                 # absolute URL
    title: str               # title as listed (whitespace collapsed)
    date: str | None = None  # ISO date as listed (YYYY-MM-DD), when shown


@dataclass
class Link:
    """A link with its visible text (column links, attachments)."""
    url: str
    text: str


@dataclass
class Article:
    """What an article page says about itself."""
    title: str
    text: str                                   # visible text of the body container
    attachments: list[Link] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)   # 索引号, 发布机构, 公开日期 ... as printed
    breadcrumb: str = ""


def clean(text: str | None) -> str:
    """Collapse all whitespace (titles carry line breaks and full-width spaces)."""
    return re.sub(r"\s+", " ", (text or "").replace("\u3000", " ").replace("\xa0", " ")).strip()


def iso_date(text: str | None) -> str | None:
    m = DATE_RE.search(text or "")
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def is_html(response: Response) -> bool:
    return isinstance(response, TextResponse) and not _is_json_or_xml(response)


def _is_json_or_xml(response: Response) -> bool:
    ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    return "json" in ctype or ctype.startswith(("text/xml", "application/xml"))


def same_site(url_a: str, url_b: str) -> bool:
    return urlparse(url_a).hostname == urlparse(url_b).hostname


class Family:
    """Base class and generic behaviour. Subclasses override what their CMS does differently."""

    #: registry name, stored on every item (``FetchedItem.family``)
    name: ClassVar[str] = ""
    #: detection order: higher is tried first; the generic fallback is 0
    priority: ClassVar[int] = 50
    #: CSS selectors of the article body, tried before DEFAULT_BODY_SELECTORS
    body_selectors: ClassVar[tuple[str, ...]] = ()

    # ----------------------------------------------------------------- detection
    def detect(self, response: Response) -> bool:
        """True when ``response`` is served by this family's CMS."""
        return False

    # ----------------------------------------------------------------- lists
    def list_entries(self, response: Response) -> list[ListEntry]:
        """Article links of a list page, in list order. Default: generic heuristics."""
        if not is_html(response):
            return []
        return generic_list_entries(response)

    def list_pages(self, response: Response) -> Iterable[scrapy.Request]:
        """Requests for the other pages of this list. Default: 下一页/尾页-style links.

        The spider sets callbacks and meta; a family only builds the request (URL, method, body).
        Returning pages already seen is harmless: the spider's duplicate filter drops them.
        """
        if not is_html(response):
            return []
        return [scrapy.Request(url) for url in generic_next_pages(response)]

    def column_links(self, response: Response) -> list[Link]:
        """Links to 年报 columns on this page (the body's own and its sub-bodies')."""
        if not is_html(response):
            return []
        return generic_column_links(response)

    # ----------------------------------------------------------------- articles
    def article_key(self, url: str) -> str | None:
        """The document id in an article URL, when the CMS puts the same document under several
        column paths (the spider fetches it once). None: the URL is the only identity."""
        return None

    def article(self, response: Response) -> Article:
        """Title, body text, attachments, metadata of an article page."""
        if not is_html(response):
            return Article(title="", text="")
        body = self.body_node(response)
        text = clean(" ".join(body.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]").getall()))
        return Article(
            title=self.article_title(response),
            text=text,
            attachments=self.attachments(response, body),
            metadata=generic_metadata(response),
            breadcrumb=generic_breadcrumb(response),
        )

    def body_node(self, response: Response):
        for sel in (*self.body_selectors, *DEFAULT_BODY_SELECTORS):
            found = response.css(sel)
            if found:
                return found[0]
        return response

    def article_title(self, response: Response) -> str:
        for xp in ("//meta[@name='ArticleTitle']/@content", "//h1//text()", "//title/text()"):
            parts = response.xpath(xp).getall()
            if parts and clean(" ".join(parts)):
                return clean(" ".join(parts))
        return ""

    def attachments(self, response: Response, body) -> list[Link]:
        """Attachment links inside the body (and the page's 附件 block, often outside it)."""
        found: dict[str, Link] = {}
        scopes = [body, *response.xpath("//*[contains(@class,'fj') or contains(@class,'attach') or contains(@id,'attach')]")]
        for scope in scopes:
            for a in scope.xpath(".//a[@href]"):
                href = (a.attrib.get("href") or "").strip()
                if not href or href.startswith(("javascript:", "mailto:", "#")):
                    continue
                url = response.urljoin(href)
                text = clean(" ".join(a.xpath(".//text()").getall())) or clean(a.attrib.get("title"))
                if ATTACHMENT_EXT.search(url) or ATTACHMENT_EXT.search(text) or (
                        ATTACHMENT_ENDPOINT.search(urlparse(url).path) and "filename=" in url):
                    found.setdefault(url, Link(url, text))
        return list(found.values())


# --------------------------------------------------------------------- generic helpers
# Shared by every family (the generic fallback module uses them as they are).

_NAV_ANCESTORS = ("nav", "header", "footer")
_NAV_CLASS = re.compile(r"(^|[\s_-])(nav|menu|header|footer|top|breadcrumb|crumb|position|location|dqwz|page|pager|pagination|fenye|link|friend)", re.I)


def _in_chrome(a) -> bool:
    """True for links in page chrome (menus, footers, breadcrumbs, pagers): never list entries."""
    for anc in a.xpath("ancestor::*"):
        tag = anc.root.tag if isinstance(anc.root.tag, str) else ""
        if tag.lower() in _NAV_ANCESTORS:
            return True
        cls = f"{anc.attrib.get('class', '')} {anc.attrib.get('id', '')}"
        if cls.strip() and _NAV_CLASS.search(cls):
            return True
    return False


def generic_list_entries(response: Response, root=None) -> list[ListEntry]:
    """Links that sit in a repeated row (``li``/``tr``/``dd``/``div``) carrying a date.

    Why dates: on every real list the row shows the publication date next to the title, while
    navigation and footer links carry none. Rows without a date are kept only when their text
    looks like a report title (some lists omit dates).
    """
    scope = root if root is not None else response
    entries: dict[str, ListEntry] = {}
    for a in scope.xpath(".//a[@href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        if root is None and _in_chrome(a):
            continue
        text = clean(a.attrib.get("title")) or clean(" ".join(a.xpath(".//text()").getall()))
        if len(text) < 4:
            continue
        row = a.xpath("ancestor::*[self::li or self::tr or self::dd or self::dt or self::p or self::div][1]")
        row_text = clean(" ".join(row[0].xpath(".//text()").getall())) if row else text
        date = iso_date(row_text.replace(text, " "))
        url = response.urljoin(href)
        if ATTACHMENT_EXT.search(url) and date is None and not labels.looks_like_report_title(text):
            continue
        # an undated link named like a column (政府信息公开年报, no year) is a column, not a report
        if date is None and (labels.is_column_label(text) or not labels.looks_like_report_title(text)):
            continue
        entries.setdefault(url, ListEntry(url=url, title=text, date=date))
    return list(entries.values())


def generic_next_pages(response: Response) -> list[str]:
    """URLs of 下一页 / 下页 / 尾页 links (labels from ``data/nav_labels.csv``)."""
    urls: list[str] = []
    for a in response.xpath("//a[@href]"):
        text = clean(" ".join(a.xpath(".//text()").getall())) or clean(a.attrib.get("title"))
        if not labels.is_pager_label(text):
            continue
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#")):
            continue
        url = response.urljoin(href)
        if url != response.url and url not in urls:
            urls.append(url)
    return urls


def generic_column_links(response: Response) -> list[Link]:
    """Links whose text names a 年报 column (labels from ``data/nav_labels.csv``)."""
    found: dict[str, Link] = {}
    for a in response.xpath("//a[@href]"):
        text = clean(" ".join(a.xpath(".//text()").getall())) or clean(a.attrib.get("title"))
        if not text or not labels.is_column_label(text):
            continue
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = response.urljoin(href)
        if ATTACHMENT_EXT.search(url):
            continue
        found.setdefault(url, Link(url, text))
    return list(found.values())


def generic_metadata(response: Response) -> dict[str, str]:
    """The article's metadata table (索引号 / 发布机构 / 公开日期 ...), label → value as printed."""
    meta: dict[str, str] = {}
    wanted = labels.metadata_labels()
    for cell in response.xpath("//td|//th|//li|//span|//div[not(descendant::div)]"):
        text = clean(" ".join(cell.xpath("./text()|./*[not(self::table)]//text()").getall()))
        if not text or len(text) > 80:
            continue
        for key in wanted:
            if text.startswith(key) and key not in meta:
                rest = text[len(key):].lstrip(" :：")
                if not rest and cell.root.tag in ("td", "th"):
                    nxt = cell.xpath("following-sibling::*[1]")
                    rest = clean(" ".join(nxt.xpath(".//text()").getall())) if nxt else ""
                if rest:
                    meta[key] = rest
    for name in ("ArticleTitle", "PubDate", "ContentSource", "ColumnName", "SiteName"):
        val = response.xpath(f"//meta[@name='{name}']/@content").get()
        if val:
            meta.setdefault(name, clean(val))
    return meta


def generic_breadcrumb(response: Response) -> str:
    for xp in ("//*[contains(@class,'crumb') or contains(@class,'position') or contains(@class,'location')"
               " or contains(@class,'dqwz') or contains(@id,'crumb') or contains(@id,'position')][1]",):
        node = response.xpath(xp)
        if node:
            return clean(" ".join(node[0].xpath(".//text()").getall()))
    return ""
