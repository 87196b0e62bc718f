"""Build the imitation sites from ``catalog.json`` and the shipped report samples.

Each site imitates one CMS family's real URL shapes and markup (``portals.md``): a home page
with navigation, a 年报 column of 30+ items over several list pages, report articles (tables
inline, or 详见附件 with a PDF), decoys, robots.txt. The build is deterministic (same content
and ids every run) so a second crawl sees the same site — except the visit counters.
"""
from __future__ import annotations

import hashlib
import html
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .convert import article_html

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "tests" / "fixtures" / "corpus"
#: placeholder replaced by the visit counter at serve time (pages change silently, like real ones)
VISITS = "\x00VISITS\x00"


@dataclass
class Resource:
    body: bytes | str                 # str pages are encoded with the site encoding at serve time
    content_type: str = "text/html"
    static: bool = True               # static → ETag/Last-Modified and 304 answers
    flaky: int = 0                    # answer 503 (Retry-After: 1) this many times first


@dataclass
class Entry:
    """One item of a 年报 column."""
    id: int
    title: str
    date: str
    kind: str                         # "report" or a decoy kind
    url: str = ""                     # absolute path on the site, or absolute URL elsewhere
    slug: str | None = None
    present: str | None = None        # "inline" | "attachment" for reports
    attachment: str | None = None
    agency: str | None = None
    year: int | None = None


@dataclass
class Site:
    host: str
    family: str
    name: str
    encoding: str = "utf-8"
    resources: dict[str, Resource] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    column_url: str = "/"
    extra: dict[str, Any] = field(default_factory=dict)


def load_catalog() -> dict[str, Any]:
    return json.loads((HERE / "catalog.json").read_text(encoding="utf-8"))


def gold_meta(slug: str) -> dict[str, Any]:
    return json.loads((CORPUS / slug / "gold.json").read_text(encoding="utf-8"))["meta"]


def source_of(slug: str) -> Path:
    (src,) = sorted((CORPUS / slug).glob("source.*"))
    return src


def _entries(spec: dict[str, Any], catalog: dict[str, Any], port: int) -> list[Entry]:
    rng = random.Random(spec["host"])
    entries: list[Entry] = []
    next_id = 1000 + rng.randrange(1000)

    def new_id() -> int:
        nonlocal next_id
        next_id += rng.randrange(1, 40)
        return next_id

    by_slug: dict[str, Entry] = {}
    for rep in spec["reports"]:
        meta = gold_meta(rep["slug"])
        e = Entry(new_id(), rep.get("listed_title") or meta["title"], rep["date"], "report", slug=rep["slug"],
                  present=rep["present"], agency=meta["agency"], year=int(meta["report_year"]))
        e.flaky = rep.get("flaky", 0)  # type: ignore[attr-defined]
        entries.append(e)
        by_slug[rep["slug"]] = e
    bodies = spec.get("bodies", [])
    for d in spec["decoys"]:
        if d["kind"] == "duplicate":
            continue
        for year in d.get("years", [None]):
            for b in d.get("bodies", [None]):
                title = d["title"].format(body=bodies[b] if b is not None else "", year=year)
                date = f"{(year or 2024) + (0 if d['kind'] in ('news', 'notice', 'unknown') else 1)}-" \
                       f"{rng.randrange(1, 4):02d}-{rng.randrange(1, 28):02d}"
                e = Entry(new_id(), title, date, d["kind"], year=year)
                if d["kind"] == "offsite":
                    e.url = f"@{d['target']}"   # resolved once every site is built
                entries.append(e)
    for d in spec["decoys"]:
        if d["kind"] == "duplicate" and d["slug"] in by_slug:
            orig = by_slug[d["slug"]]
            entries.append(Entry(orig.id, orig.title, orig.date, "duplicate", slug=orig.slug))
    entries.sort(key=lambda e: (e.date, e.id), reverse=True)
    return entries


# ------------------------------------------------------------------------ chrome
def _nav(c: dict[str, str], column_url: str) -> str:
    return (f'<div class="header"><div class="top-bar"><span class="site-date"></span>'
            f'<a href="/search/?q=">{c["search"]}</a></div>'
            f'<ul class="nav"><li><a href="/">{c["home"]}</a></li><li><a href="/xxgk/">{c["zwgk"]}</a></li>'
            f'<li><a href="{column_url}">{c["column"]}</a></li><li><a href="/hdjl/">{c["hdjl"]}</a></li></ul></div>')


def _footer(c: dict[str, str], spec: dict[str, Any], counter: bool = True) -> str:
    visits = f'<span class="visits">{c["visits"]}<b id="counter">{VISITS}</b></span>' if counter else ""
    return (f'<div class="footer"><p>{c["sponsor"]}{html.escape(spec["sponsor"])}</p>'
            f'<p>{c["icp"]}</p>{visits}</div>')


def _page(title: str, charset: str, head: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="{charset}">'
            f'<title>{html.escape(title)}</title>{head}</head>\n<body>\n{body}\n</body></html>\n')


def _crumb(c: dict[str, str], column_url: str, cls: str = "position", label: str | None = None) -> str:
    return (f'<div class="{cls}">{label or c["position"]}<a href="/">{c["home"]}</a> &gt; '
            f'<a href="/xxgk/">{c["xxgk"]}</a> &gt; <a href="{column_url}">{c["column"]}</a></div>')


def _meta_table(c: dict[str, str], spec: dict[str, Any], e: Entry, publisher: str) -> str:
    index_no = f'{spec.get("index_prefix", "000")}/{e.date[:4]}-{e.id:05d}'
    return (f'<table class="xxgk_table"><tr><td>{c["index_no"]}</td><td>{index_no}</td>'
            f'<td>{c["publisher"]}</td><td>{html.escape(publisher)}</td></tr>'
            f'<tr><td>{c["category"]}</td><td>{c["category_value"]}</td>'
            f'<td>{c["open_date"]}</td><td>{e.date}</td></tr></table>')


# ------------------------------------------------------------------------ builder
class SiteBuilder:
    def __init__(self, spec: dict[str, Any], catalog: dict[str, Any], port: int) -> None:
        self.spec, self.catalog, self.port = spec, catalog, port
        self.c = catalog["chrome"]
        fam = spec["family"]
        column_url = {"trs": spec.get("column_path", "/xxgk/nb/"),
                      "hanweb": f'/col/col{spec.get("column_id", 1)}/index.html',
                      "generic": f'{spec.get("column_path", "/nb/")}list.htm'}[fam]
        self.site = Site(spec["host"], fam, spec["name"], spec.get("encoding", "utf-8"), column_url=column_url)

    # -- urls per family
    def article_path(self, e: Entry) -> str:
        y, m, d = e.date.split("-")
        private = e.kind == "private"
        if self.site.family == "trs":
            base = "/private/" if private else self.spec.get("column_path", "/xxgk/nb/")
            return f"{base}{y}{m}/t{y}{m}{d}_{e.id}.html"
        if self.site.family == "hanweb":
            prefix = "/private" if private else ""
            return f"{prefix}/art/{y}/{int(m)}/{int(d)}/art_{self.spec['column_id']}_{e.id}.html"
        base = "/private/" if private else self.spec.get("column_path", "/nb/")
        return f"{base}content_{e.id}.htm"

    def attachment_path(self, e: Entry) -> tuple[str, str]:
        """(path served, href as printed in the article)."""
        y, m, d = e.date.split("-")
        if self.site.family == "trs":
            name = f"P0{y}{m}{d}{e.id:06d}.pdf"
            return f"{self.spec.get('column_path', '/xxgk/nb/')}{y}{m}/{name}", f"./{name}"
        if self.site.family == "hanweb":
            hexname = hashlib.md5(f"{self.site.host}{e.id}".encode()).hexdigest()
            path = f"/module/download/downfile.jsp?classid=0&filename={hexname}.pdf"
            return path, path
        path = f"/uploadfiles/{y}{m}/{e.id}.pdf"
        return path, path

    def build(self) -> Site:
        s = self.site
        s.entries = _entries(self.spec, self.catalog, self.port)
        for e in s.entries:
            if e.kind == "duplicate":
                continue
            if not e.url:
                e.url = self.article_path(e)
            if e.kind == "report":
                self._report(e)
            elif e.kind != "offsite":
                self._decoy(e)
        for e in s.entries:
            if e.kind == "duplicate":
                e.url = next(x.url for x in s.entries if x.id == e.id and x.kind == "report")
        self._home()
        s.resources["/robots.txt"] = Resource(
            "User-agent: *\nDisallow: /private/\nDisallow: /calendar/\nDisallow: /search/\n", "text/plain")
        s.resources["/xxgk/"] = Resource(self._wrap(self.c["xxgk"], f'<ul class="zwgk-list"><li><a href="{s.column_url}">'
                                                    f'{self.c["column"]}</a></li></ul>'), static=False)
        return s

    def _wrap(self, title: str, main: str, crumb: bool = True) -> str:
        s = self.site
        body = _nav(self.c, s.column_url) + (_crumb(self.c, s.column_url) if crumb else "") + \
            f'<div class="main">{main}</div>' + _footer(self.c, self.spec)
        return _page(f"{title}-{s.name}", s.encoding, "", body)

    def _home(self) -> None:
        s, c = self.site, self.c
        reports = [e for e in s.entries if e.kind == "report"][:1]
        latest = "".join(f'<li><a href="{e.url}" title="{html.escape(e.title)}">{html.escape(e.title)}</a>'
                         f'<span>{e.date}</span></li>' for e in reports)
        news = "".join(f'<li><a href="/news/{i}.html">{c["news"]} {i}</a><span>2025-0{i}-1{i}</span></li>'
                       for i in range(1, 6))
        main = (f'<div class="latest"><h3>{c["latest"]}</h3><ul>{latest}</ul></div>'
                f'<div class="news"><h3>{c["news"]}</h3><ul>{news}</ul></div>'
                f'<div class="calendar"><a href="/calendar/?date=2025-01-01">{c["calendar"]}</a></div>')
        s.resources["/"] = Resource(self._wrap(s.name, main, crumb=False), static=False)
        for i in range(1, 6):
            s.resources[f"/news/{i}.html"] = Resource(self._wrap(f'{c["news"]} {i}', f"<p>{c['news']} {i}</p>"))

    # -- articles
    def _article(self, e: Entry, body_html: str, publisher: str, attachment_href: str | None = None,
                 attachment_name: str | None = None) -> str:
        s, c = self.site, self.c
        att = ""
        if attachment_href:
            att = f'<p>{c["attachment"]}<a href="{attachment_href}">{html.escape(attachment_name or "")}</a></p>'
        if s.family == "trs":
            main = (_meta_table(c, self.spec, e, publisher)
                    + f'<h1 class="article-title">{html.escape(e.title)}</h1>'
                    + f'<div class="article-info">{c["published"]}{e.date} {c["source"]}{html.escape(publisher)}'
                    + f' {c["font"]}</div><div class="TRS_Editor">{body_html}</div>'
                    + (f'<div class="fj">{att}</div>' if att else "")
                    + f'<div class="tools">{c["print"]} {c["close"]}</div>')
            head = (f'<meta name="ArticleTitle" content="{html.escape(e.title)}">'
                    f'<meta name="PubDate" content="{e.date} 09:30">'
                    f'<meta name="ContentSource" content="{html.escape(publisher)}">')
            body = _nav(c, s.column_url) + _crumb(c, s.column_url) + f'<div class="main">{main}</div>' + \
                _footer(c, self.spec)
            return _page(f"{e.title}_{s.name}", s.encoding, head, body)
        if s.family == "hanweb":
            cid = self.spec["column_id"]
            main = (_meta_table(c, self.spec, e, publisher)
                    + f'<div class="article"><h2 class="title">{html.escape(e.title)}</h2>'
                    + f'<div class="info">{c["published"]}{e.date} {c["browse"]}'
                    + f'<script src="/module/visitcount/articlehits.jsp?colid={cid}&artid={e.id}"></script></div>'
                    + f'<div id="zoom">{body_html}{att}</div></div>')
            head = f'<meta name="ArticleTitle" content="{html.escape(e.title)}"><meta name="ColumnName" content="{c["column"]}">'
            body = _nav(c, s.column_url) + _crumb(c, s.column_url, "bt-position", c["position_hanweb"]) + \
                f'<div class="main">{main}</div>' + _footer(c, self.spec, counter=False)
            return _page(e.title, s.encoding, head, body)
        main = (f'<h1>{html.escape(e.title)}</h1><div class="info">{c["published"]}{e.date}</div>'
                f'<div class="content">{body_html}{att}</div>')
        return self._wrap(e.title, main)

    def _report(self, e: Entry) -> None:
        s = self.site
        meta = gold_meta(e.slug or "")
        publisher = meta.get("publisher") or meta["agency"]
        src = source_of(e.slug or "")
        flaky = getattr(e, "flaky", 0)
        static = s.family == "hanweb"   # hanweb counts visits by script; TRS prints the counter
        if e.present == "attachment" or src.suffix == ".pdf":
            path, href = self.attachment_path(e)
            e.attachment = path
            s.resources[path] = Resource(src.read_bytes(), "application/pdf")
            body = f"<p>{self.c['see_attachment'].format(agency=meta['agency'], year=meta['report_year'])}</p>"
            page = self._article(e, body, publisher, href, f"{meta['title']}.pdf")
        else:
            page = self._article(e, article_html(src), publisher)
        s.resources[e.url] = Resource(page, static=static, flaky=flaky)

    def _decoy(self, e: Entry) -> None:
        s = self.site
        tmpl = self.catalog["decoy_bodies"].get(e.kind, "<p></p>")
        body = tmpl.format(site=s.name, host=s.host, sponsor=self.spec["sponsor"], year=e.year or "")
        s.resources[e.url] = Resource(self._article(e, body, self.spec["sponsor"]), static=s.family == "hanweb")


def build_sites(port: int) -> dict[str, Site]:
    catalog = load_catalog()
    sites = {spec["host"]: SiteBuilder(spec, catalog, port).build() for spec in catalog["sites"]}
    for site in sites.values():          # cross-site links: point at the target site's copy
        for e in site.entries:
            if e.kind == "offsite" and e.url.startswith("@"):
                target = sites[e.url[1:]]
                match = next((x for x in target.entries if x.kind == "report" and x.title == e.title), None)
                path = match.url if match else "/"
                e.url = f"http://{target.host}:{port}{path}"
    for site in sites.values():
        from .lists import add_lists
        add_lists(site, catalog, next(s for s in catalog["sites"] if s["host"] == site.host))
    return sites
