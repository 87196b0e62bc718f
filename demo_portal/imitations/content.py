"""What every family imitation publishes: bodies, their 年报 columns, reports and decoys.

Why one plan for four sites: the families differ in URL shapes, markup, paging and APIs, not in
what a city publishes. Each site renders the same kind of plan (a city, its departments and
towns, each with a 年报 column; reports inline or as PDF attachments; the decoys real columns
hold) in its own family's shapes, so a family test measures the adapter, not the content.

Report bodies come from the shipped samples (``tests/fixtures/corpus``) through
``demo_portal.convert``; decoy texts and titles from ``content.json``. The plan is deterministic:
the same ids, dates and order on every run, so a manifest written by one process is the truth
for a crawl run by another.
"""
from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from demo_portal.convert import article_html

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "tests" / "fixtures" / "corpus"

#: sample bodies by statutory format: 2019/2020 reports use the 2019 layout, later ones 2021
INLINE_2019 = ("taicang-zrzy-2020",)
INLINE_2021 = ("shuyang-xzf-2025", "shanghai-stcsm-2024", "shuyang-fgj-2023", "shanghai-bgt-2025")
PDF_SAMPLES = ("hongze-qzf-2023", "huaian-szf-2024", "hongze-qzf-2024")


@lru_cache(maxsize=None)
def content() -> dict:
    return json.loads((HERE / "content.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def sample_html(slug: str) -> str:
    (src,) = sorted((CORPUS / slug).glob("source.*"))
    return article_html(src)


@lru_cache(maxsize=None)
def sample_pdf(slug: str) -> bytes:
    return (CORPUS / slug / "source.pdf").read_bytes()


@dataclass
class Body:
    key: str          # short code used in URLs (unit code, section, sid)
    name: str         # full name (发布机构)
    kind: str         # "self" | "dept" | "town"
    short: str        # short publisher name as printed in metadata tables
    number: int       # numeric id used by families that number units (columns, areas, sids)


@dataclass
class Doc:
    """One article. ``kind`` is "report" or a decoy kind; offsite docs live on another host."""
    num: int
    body: Body
    title: str
    date: str
    kind: str
    year: int | None
    html: str = ""
    pdf: bytes | None = None
    pdf_name: str = ""
    offsite_url: str = ""

    @property
    def is_report(self) -> bool:
        return self.kind in ("report", "odd_report")

    @property
    def hexid(self) -> str:
        return hashlib.md5(f"{self.body.key}-{self.num}".encode()).hexdigest()


@dataclass
class Column:
    body: Body
    number: int
    docs: list[Doc] = field(default_factory=list)   # newest first, as lists show them


@dataclass
class Plan:
    city: str
    bodies: list[Body]
    columns: list[Column]
    docs: list[Doc]

    def column_of(self, body: Body) -> Column:
        return next(c for c in self.columns if c.body is body)


def _fill(template: str, **kw: object) -> str:
    return template.format(**kw)


def build_plan(city: str, town: str, street: str, seed: str, other_url: str,
               first_number: int = 1000) -> Plan:
    """The bodies, columns and articles of one imitation site (deterministic for ``seed``)."""
    c = content()
    rng = random.Random(seed)
    bodies = [Body(b["key"], _fill(b["name"], city=city, town=town, street=street), b["kind"],
                   _fill(b["short"], city=city, town=town, street=street), first_number + 11 * i)
              for i, b in enumerate(c["bodies"])]
    columns = [Column(b, b.number + 3) for b in bodies]
    docs: list[Doc] = []
    counter = iter(range(first_number * 10, first_number * 10 + 100000, 7))

    def date_for(year: int, early: bool = True) -> str:
        month = rng.randrange(1, 4) if early else rng.randrange(4, 13)
        return f"{year}-{month:02d}-{rng.randrange(1, 29):02d}"

    def report(body: Body, year: int, *, pdf: bool = False, odd: bool = False, image: bool = False) -> Doc:
        titles = c["report_titles"]
        title = _fill(c["odd_report_title"] if odd else titles[(year + body.number) % len(titles)],
                      body=body.name, year=year)
        if image:
            title += c["image_suffix"]
        doc = Doc(next(counter), body, title, date_for(year + 1), "odd_report" if odd else "report", year)
        if pdf or image:
            slug = PDF_SAMPLES[(year + body.number) % len(PDF_SAMPLES)]
            doc.pdf, doc.pdf_name = sample_pdf(slug), f"{title}.pdf"
            doc.html = f"<p>{_fill(c['chrome']['see_attachment'], body=body.name, year=year)}</p>"
        else:
            pool = INLINE_2019 if year < 2021 else INLINE_2021
            doc.html = sample_html(pool[(year + body.number) % len(pool)])
        docs.append(doc)
        return doc

    def decoy(body: Body, kind: str, year: int) -> Doc:
        d = c["decoys"][kind]
        title = _fill(d["title"], body=body.name, year=year, city=city, other=c["other_body"])
        when = date_for(year + 1) if kind in ("website_form", "pre2019", "offsite") else date_for(year, early=False)
        doc = Doc(next(counter), body, title, when, kind, year,
                  html=_fill(d["body"], body=body.name, year=year, host="", city=city))
        if kind == "offsite":
            doc.offsite_url = f"{other_url}{doc.hexid}.html"
        docs.append(doc)
        return doc

    by_key = {b.key: b for b in bodies}
    col = {b.key: c_ for b, c_ in zip(bodies, columns)}
    city_body = by_key["szf"]
    # the city's own column: its reports, cross-listed department reports and many decoys
    own = [report(city_body, y, pdf=y in (2023, 2024)) for y in range(2019, 2026)]
    own.append(report(city_body, 2024, image=True))
    own += [decoy(city_body, "website_form", y) for y in (2020, 2021, 2022, 2023)]
    own += [decoy(city_body, "pre2019", y) for y in (2016, 2017, 2018)]
    own += [decoy(city_body, "news", y) for y in (2019, 2020, 2021, 2022, 2023, 2024)]
    own += [decoy(city_body, "news2", y) for y in (2022, 2024)]
    own += [decoy(city_body, "notice", y) for y in (2021, 2023)]
    own += [decoy(city_body, "plan", y) for y in (2022, 2023, 2024)]
    own.append(decoy(city_body, "offsite", 2023))
    # departments and towns
    fin = by_key["czj"]
    fin_docs = [report(fin, y) for y in (2021, 2022, 2023, 2024)] + [report(fin, 2020, odd=True)]
    fin_docs.append(decoy(fin, "website_form", 2023))
    edu = by_key["jyj"]
    edu_docs = [report(edu, y, pdf=y == 2022) for y in range(2019, 2025)]
    edu_docs += [decoy(edu, "plan", y) for y in (2021, 2022, 2023, 2024)]
    edu_docs += [decoy(edu, "website_form", y) for y in (2021, 2022, 2023)]
    land = by_key["zrzy"]
    land_docs = [report(land, y) for y in (2020, 2021, 2022)] + [decoy(land, "pre2019", 2018)]
    town_docs = {k: [report(by_key[k], y) for y in (2022, 2023)] + [decoy(by_key[k], "website_form", 2023)]
                 for k in ("hxz", "ddjd")}
    own += [fin_docs[2], edu_docs[4]]       # the same reports listed in two columns
    col["szf"].docs = own
    col["czj"].docs, col["jyj"].docs, col["zrzy"].docs = fin_docs, edu_docs, land_docs
    for k, d in town_docs.items():
        col[k].docs = d
    for column in columns:
        column.docs.sort(key=lambda d: (d.date, d.num), reverse=True)
    return Plan(city, bodies, columns, docs)


def manifest(plan: Plan, url_of, attachment_of, family: str, host: str, extra: dict | None = None,
             aliases_of=None) -> dict:
    """Ground truth: every report (URL, attachment), every decoy, every column with its size.

    ``url_of(doc)`` and ``attachment_of(doc)`` give the family's absolute URLs; ``aliases_of(doc)``
    the other URLs the same document is served at (one report, whichever URL is fetched).
    """
    reports, decoys = [], []
    for d in plan.docs:
        row = {"url": d.offsite_url or url_of(d), "title": d.title, "agency": d.body.name,
               "year": d.year, "kind": d.kind, "date": d.date}
        if d.is_report:
            row["attachment"] = attachment_of(d) if d.pdf else None
            row["aliases"] = list(aliases_of(d)) if aliases_of else []
            reports.append(row)
        else:
            decoys.append(row)
    return {"family": family, "host": host, "reports": reports, "decoys": decoys,
            "columns": [{"body": c.body.name, "kind": c.body.kind, "items": len(c.docs)} for c in plan.columns],
            **(extra or {})}
