"""The ``annual_reports`` spider: from start pages to every 年报 article and its attachments.

    scrapy crawl annual_reports -a start_urls=URL[,URL...] [-a allowed_domains=HOST,...] [-a family=NAME]
    scrapy crawl annual_reports -a portal=NAME          # an entry of data/portals.csv

The spider is thin (style.md §1): CMS specifics live in ``spiders/families`` (list markup, paging,
article bodies), the report/decoy decision in ``spiders/classify.py``, URL hygiene and budgets in
``spiders/urls.py``. It yields one ``FetchedItem`` per response worth archiving — list pages,
articles, attachments, and failed fetches (status or error recorded, so the archive shows what
could not be read) — and never writes anything itself: archiving is the pipelines' job.

What it follows, and why:
* on a 年报 column (a start page, a page reached through a column link, or a page whose title
  or breadcrumb names the column): every listed article except clear decoys by title, since a
  report with an unusual title is only recognisable from its body;
* on other pages (a portal home, an 信息公开 index): only links that name a 年报 column and
  links whose title looks like a report;
* further list pages as the family pages them (links, ``index_N.html``, POST proxies, APIs);
* attachments of articles classified as reports.
"""
from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response, TextResponse

from items import FetchedItem
from spiders.classify import classify, title_verdict
from spiders.columns import body_links, hub_links
from spiders.metadata import item_fields as article_fields
from spiders.families import Family, detect_family, get_family
from spiders.families.base import ATTACHMENT_EXT, clean, generic_breadcrumb, is_html
from spiders.families.labels import is_column_label
from spiders.urls import Budget, canonicalize, host_of

ROOT = Path(__file__).resolve().parents[1]
#: every HTTP error status reaches the callbacks (after retries): a failed page is still recorded
ALL_ERRORS = list(range(400, 600))


def load_portals(path: str | Path) -> dict[str, dict[str, Any]]:
    """``data/portals.csv`` → {name: {start_urls, allowed_domains, family, verified, note}}."""
    portals: dict[str, dict[str, Any]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if not row.get("name") or row["name"].startswith("#"):
                continue
            portals[row["name"]] = {
                "start_urls": row.get("start_urls", "").split(),
                "allowed_domains": row.get("allowed_domains", "").split(),
                "family": (row.get("family") or "").strip() or None,
                "verified": (row.get("verified") or "").strip().lower() in ("1", "yes", "true"),
                "note": row.get("note", ""),
            }
    return portals


def _split(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v]
    return [v.strip() for v in value.replace(" ", ",").split(",") if v.strip()]


def _headers(headers) -> dict[str, list[str]]:
    return {k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in headers.items()}


#: IgnoreRequest messages that are answers from the server, recorded like failed fetches: a
#: decompression bomb (HttpCompression's DOWNLOAD_MAXSIZE) and an endless redirect chain
_RECORDED_IGNORES = ("DOWNLOAD_MAXSIZE", "max redirections")


class AnnualReportsSpider(scrapy.Spider):
    name = "annual_reports"

    def __init__(self, start_urls: str | None = None, portal: str | None = None,
                 allowed_domains: str | None = None, family: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.portal_name = portal
        self._arg_start_urls = _split(start_urls)
        self._arg_domains = _split(allowed_domains)
        self.family_pin: str | None = family
        self.start_urls: list[str] = []
        self.allowed_domains: list[str] = []
        self._seen: set[str] = set()
        self._article_keys: dict[tuple[str, str, str], str] = {}   # (host, family, document id) → URL
        self.host_family: dict[str, str] = {}

    # ------------------------------------------------------------------ setup
    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._configure(crawler.settings)
        return spider

    def _configure(self, settings) -> None:
        start, domains = list(self._arg_start_urls), list(self._arg_domains)
        if self.portal_name:
            path = settings.get("NIANBAO_PORTALS") or ROOT / "data" / "portals.csv"
            portals = load_portals(path)
            if self.portal_name not in portals:
                raise NotConfigured(f"portal {self.portal_name!r} not in {path}; known: {', '.join(sorted(portals))}")
            entry = portals[self.portal_name]
            if not entry["verified"]:
                self.logger.warning("portal %r is unverified (start URLs and family from public sources): "
                                    "check what it fetched before trusting the result", self.portal_name)
            port = settings.get("NIANBAO_DEMO_PORT")
            urls = entry["start_urls"]
            if any("{demo_port}" in u for u in urls):
                if not port:
                    raise NotConfigured(f"portal {self.portal_name!r} is a demo site: run `scrapy demo`, "
                                        "or pass -s NIANBAO_DEMO_PORT=<port of a running demo portal>")
                urls = [u.replace("{demo_port}", str(port)) for u in urls]
            start.extend(urls)
            domains.extend(entry["allowed_domains"])
            self.family_pin = self.family_pin or entry["family"]
        if not start:
            raise NotConfigured("give -a start_urls=URL[,URL...] or -a portal=NAME (see data/portals.csv)")
        self.start_urls = [canonicalize(u) for u in start]
        self.allowed_domains = sorted(set(domains or [host_of(u) for u in self.start_urls]))
        if self.family_pin:
            get_family(self.family_pin)  # fail early on a typo
        self.budget = Budget(settings.getint("NIANBAO_SITE_PAGE_BUDGET", 5000))
        self.max_list_pages = settings.getint("NIANBAO_MAX_LIST_PAGES", 500)
        self.max_hops = settings.getint("NIANBAO_MAX_HOPS", 6)
        self.fetch_decoys = settings.getbool("NIANBAO_FETCH_DECOYS", False)
        self.portal = self.portal_name or ",".join(self.start_urls)

    # ------------------------------------------------------------------ requests
    def _request(self, url: str, callback, *, method: str = "GET", body: bytes | str | None = None,
                 headers: dict | None = None, meta: dict | None = None, priority: int = 0) -> scrapy.Request | None:
        """Canonical URL, duplicate and budget checks in one place; None when not worth asking."""
        url = canonicalize(url)
        if urlsplit(url).scheme not in ("http", "https"):
            return None
        key = f"{method} {url} {body!r}"
        if key in self._seen:
            return None
        if not self.budget.take(url):
            self.crawler.stats.inc_value("nianbao/budget_exhausted")
            self.logger.warning("page budget of %s exhausted; not fetching %s", host_of(url), url)
            return None
        self._seen.add(key)
        m = {"handle_httpstatus_list": ALL_ERRORS, **(meta or {})}
        return scrapy.Request(url, callback=callback, errback=self.on_error, method=method, body=body,
                              headers=headers, meta=m, priority=priority)

    def _from_family(self, req: scrapy.Request, family: Family, meta: dict) -> scrapy.Request | None:
        return self._request(req.url, self.parse_list, method=req.method, body=req.body or None,
                             headers={k: v for k, v in req.headers.items()},
                             # a family may mark a list it found by a 年报 category name as a column
                             meta={**meta, **({"column": True} if req.meta.get("column") else {}),
                                   "family": family.name})

    async def start(self):
        for url in self.start_urls:
            req = self._request(url, self.parse_list, meta={"role": "list", "start": True})
            if req is not None:
                yield req

    # ------------------------------------------------------------------ items
    def _item(self, response: Response, role: str, **fields: Any) -> FetchedItem:
        req = response.request
        redirects = req.meta.get("redirect_urls") if req is not None else None
        item = FetchedItem(
            url=response.url,
            request_url=redirects[0] if redirects else None,
            method=req.method if req is not None else "GET",
            request_headers=_headers(req.headers) if req is not None else {},
            status=response.status,
            headers=_headers(response.headers),
            body=response.body,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            content_type=response.headers.get(b"Content-Type", b"").decode("latin-1") or None,
            role=role,
            portal=self.portal,
        )
        for key, value in fields.items():
            if value is not None:
                item[key] = value
        return item

    def _family(self, response: Response) -> Family:
        """The family that proposed this request (API answers), the pinned one, or detection.

        A family detected on one page of a host is remembered for the host: article pages often
        carry fewer CMS markers than list pages.
        """
        name = response.meta.get("family") or self.family_pin
        if name:
            return get_family(name)
        host = host_of(response.url)
        family = detect_family(response)
        if family.name != "generic":
            self.host_family.setdefault(host, family.name)
            return family
        return get_family(self.host_family.get(host, "generic"))

    # ------------------------------------------------------------------ callbacks
    def parse_list(self, response: Response) -> Iterable[Any]:
        """A start page, a 年报 column page, a further list page or a list API answer."""
        meta = response.meta
        if response.status >= 400 or not isinstance(response, TextResponse):
            yield self._item(response, "list", listed_on=meta.get("listed_on"),
                             reason=f"HTTP {response.status}" if response.status >= 400 else "not a text page")
            return
        family = self._family(response)
        entries = family.list_entries(response)
        column = bool(meta.get("column")) or self._names_column(response) or (
            meta.get("start", False) and self._mostly_reports(entries))
        yield self._item(response, "list", family=family.name, listed_on=meta.get("listed_on"),
                         reason="年报 column" if column else "discovery page")
        hops, page_no = meta.get("hops", 0), meta.get("page_no", 0)
        page_meta = {"role": "list", "column": column, "listed_on": response.url, "hops": hops,
                     "page_no": page_no + 1}

        for entry in entries:
            verdict, why = title_verdict(entry.title)
            if verdict == "decoy" and not self.fetch_decoys:
                self.crawler.stats.inc_value("nianbao/skipped_decoy_titles")
                self.logger.debug("skip decoy %s (%s): %s", entry.url, entry.title, why)
                continue
            if verdict == "unknown" and not column:
                continue
            if self._same_article_elsewhere(family, entry.url):
                continue
            entry_meta = {"hops": hops + 1, "listed_title": entry.title, "listed_date": entry.date,
                          "listed_on": response.url}
            if ATTACHMENT_EXT.search(entry.url):
                req = self._request(entry.url, self.parse_attachment,
                                    meta={**entry_meta, "role": "attachment", "classification": verdict,
                                          "reason": f"listed directly: {why}"})
            else:
                req = self._request(entry.url, self.parse_article, meta={**entry_meta, "role": "article"},
                                    priority=1)
            if req is not None:
                yield req

        if page_no < self.max_list_pages:        # pagination chains do not add hops, but are bounded
            for page in family.list_pages(response):
                req = self._from_family(page, family, page_meta)
                if req is not None:
                    yield req
        else:
            self.crawler.stats.inc_value("nianbao/list_page_cap")
        if is_html(response) and hops < self.max_hops:
            for link in family.column_links(response):
                req = self._request(link.url, self.parse_list, meta={
                    "role": "list", "column": True, "listed_on": response.url, "hops": hops + 1})
                if req is not None:
                    yield req
            # the way down to sub-bodies' columns (spiders/columns.py): 信息公开 hubs, body pages
            if not column:
                found = [(link, True) for link in hub_links(response)]
                if meta.get("hub"):
                    found += [(link, False) for link in body_links(response)]
                for link, is_hub in found:
                    req = self._request(link.url, self.parse_list, meta={
                        "role": "list", "column": False, "hub": is_hub, "listed_on": response.url, "hops": hops + 1})
                    if req is not None:
                        yield req

    def parse_article(self, response: Response) -> Iterable[Any]:
        meta = response.meta
        listed = {"listed_title": meta.get("listed_title"), "listed_date": meta.get("listed_date"),
                  "listed_on": meta.get("listed_on")}
        if response.status >= 400:
            yield self._item(response, "article", reason=f"HTTP {response.status}", **listed)
            return
        if not isinstance(response, TextResponse):
            # an article link that serves a document directly (PDF named .html, download servlet)
            yield from self.parse_attachment(response)
            return
        family = self._family(response)
        art = family.article(response)
        verdict = classify(meta.get("listed_title") or "", art.text, len(art.attachments))
        if verdict.classification == "unknown" or (not meta.get("listed_title")):
            by_page = classify(art.title, art.text, len(art.attachments))
            if by_page.classification != "unknown" or verdict.classification == "unknown":
                verdict = by_page
        yield self._item(response, "article", family=family.name, classification=verdict.classification,
                         reason=verdict.reason, **listed, **article_fields(art))
        if verdict.classification == "decoy":
            return
        # attachments of reports are the report; those of unknown articles may be (odd titles):
        # extraction decides for them
        for link in art.attachments:
            req = self._request(link.url, self.parse_attachment, meta={
                "role": "attachment", "attachment_of": response.url, "listed_title": link.text,
                "listed_on": response.url, "family": family.name, "classification": verdict.classification,
                "reason": f"attachment of {verdict.classification} article: {link.text}"})
            if req is not None:
                yield req

    def parse_attachment(self, response: Response) -> Iterable[Any]:
        meta = response.meta
        yield self._item(response, "attachment", family=meta.get("family"),
                         classification=meta.get("classification") if response.status < 400 else None,
                         reason=meta.get("reason") if response.status < 400 else f"HTTP {response.status}",
                         listed_title=meta.get("listed_title"), listed_date=meta.get("listed_date"),
                         listed_on=meta.get("listed_on"), attachment_of=meta.get("attachment_of"))

    def on_error(self, failure) -> Iterable[Any]:
        """A fetch that failed (timeout, reset, DNS, size cap): recorded, the crawl goes on."""
        if failure.check(IgnoreRequest) and not any(m in str(failure.value) for m in _RECORDED_IGNORES):
            return   # robots.txt, offsite, budget: not fetched, nothing to record
        request = failure.request
        meta = request.meta
        yield FetchedItem(
            url=request.url, method=request.method, request_headers=_headers(request.headers),
            status=None, headers={}, body=b"", fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            content_type=None, role=meta.get("role", "other"), portal=self.portal,
            reason=f"fetch failed: {failure.type.__name__}: {failure.getErrorMessage()}"[:500],
            error=f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500],
            listed_title=meta.get("listed_title"), listed_on=meta.get("listed_on"),
            attachment_of=meta.get("attachment_of"),
        )

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _mostly_reports(entries) -> bool:
        """A start page listing mostly report titles is a 年报 column even if it does not say so."""
        if not entries:
            return False
        from spiders.families.labels import looks_like_report_title
        return sum(looks_like_report_title(e.title) for e in entries) >= max(1, len(entries) // 3)

    def _same_article_elsewhere(self, family: Family, url: str) -> bool:
        """The document behind ``url`` was already listed under another URL (another column's
        path, same document id — ``Family.article_key``): one report, fetched once."""
        key = family.article_key(url)
        if key is None:
            return False
        ident = (host_of(url), family.name, key)
        first = self._article_keys.setdefault(ident, canonicalize(url))
        if first == canonicalize(url):
            return False
        self.crawler.stats.inc_value("nianbao/same_article_other_url")
        self.logger.debug("%s is %s, already listed", url, first)
        return True

    def _names_column(self, response: Response) -> bool:
        """The page's title, heading or breadcrumb names a 年报 column."""
        if not is_html(response):      # JSON/XML answers have no title (and no xpath)
            return False
        texts = [clean(t) for t in response.xpath("//title/text()").getall()]
        crumb = generic_breadcrumb(response) if is_html(response) else ""
        texts.extend(part for part in crumb.replace(">", " ").replace("»", " ").split() if part)
        return any(is_column_label(t[:24]) for t in texts if t)
