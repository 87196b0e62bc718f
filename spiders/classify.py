"""Is a page an annual report, a decoy, or unknown — and why.

Two kinds of evidence (patterns in ``data/title_patterns.csv``, never in code):

* the title: report patterns (政府信息公开…年度报告) and decoy patterns (网站工作年度报表, news
  about 年报 work, notices about the format); the year in the title is the report year, and a
  report for a year before 2019 is free-form with no statutory tables, so it is a decoy here;
* the body: the labels of the statutory tables (a report pasted with its tables), a pointer to an
  attachment (详见附件: the report is in the PDF/DOC), or the fields of the website form.

Every verdict carries a human-readable reason, stored with the capture (``FetchedItem.reason``).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
#: first year of the statutory formats (2019 format for 2019/2020, 2021 format after)
FIRST_STATUTORY_YEAR = 2019
#: distinct statutory table labels a body must show to count as "tables present"
MIN_TABLE_LABELS = 3
_YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})\s*年")
_SPACES = re.compile(r"[\s\u3000\xa0]+")


@dataclass(frozen=True)
class Pattern:
    scope: str
    verdict: str
    regex: re.Pattern
    why: str


@dataclass(frozen=True)
class Verdict:
    classification: str      # "report" | "decoy" | "unknown"
    reason: str
    year: int | None = None  # report year from the title, when printed


@lru_cache(maxsize=None)
def patterns(path: str | None = None) -> tuple[Pattern, ...]:
    with open(path or DATA / "title_patterns.csv", encoding="utf-8", newline="") as fh:
        return tuple(Pattern(r["scope"], r["verdict"], re.compile(r["pattern"]), r["why"])
                     for r in csv.DictReader(fh) if r.get("pattern"))


def compact(text: str | None) -> str:
    """Titles arrive with spaces and line breaks inside (``2020 年 政府信息…``): drop them."""
    return _SPACES.sub("", text or "")


def title_year(title: str) -> int | None:
    m = _YEAR_IN_TITLE.search(compact(title))
    return int(m.group(1)) if m else None


def title_verdict(title: str) -> tuple[str, str]:
    """(verdict, why) from the title alone; verdict is "report", "decoy" or "unknown"."""
    t = compact(title)
    if not t:
        return "unknown", "no title"
    for p in patterns():
        if p.scope == "title" and p.verdict == "decoy" and p.regex.search(t):
            return "decoy", f"title: {p.why} ({p.regex.search(t).group(0)})"
    for p in patterns():
        if p.scope == "title" and p.verdict == "report" and p.regex.search(t):
            year = title_year(t)
            if year is not None and year < FIRST_STATUTORY_YEAR:
                return "decoy", f"title: report for {year}, before the statutory formats ({FIRST_STATUTORY_YEAR}+)"
            return "report", f"title: {p.why}"
    return "unknown", "title matches no pattern"


def body_evidence(text: str) -> dict[str, list[str]]:
    """Which body patterns occur: {"table": [...labels], "attachment": [...], "decoy": [...]}."""
    t = compact(text)
    found: dict[str, list[str]] = {"table": [], "attachment": [], "decoy": []}
    for p in patterns():
        if p.scope != "body":
            continue
        m = p.regex.search(t)
        if m:
            found.setdefault(p.verdict, []).append(m.group(0))
    return found


def classify(title: str, body_text: str | None = None, attachments: int = 0) -> Verdict:
    """Classify an article from its title and (when fetched) its body text and attachment count."""
    verdict, why = title_verdict(title)
    year = title_year(title)
    if body_text is None:
        return Verdict(verdict, why, year)
    ev = body_evidence(body_text)
    tables = ev["table"]
    if verdict == "decoy":
        return Verdict("decoy", why, year)
    if ev["decoy"] and len(tables) < MIN_TABLE_LABELS:
        return Verdict("decoy", f"body: {ev['decoy'][0][:30]}… (政府网站工作年度报表 fields)", year)
    if len(tables) >= MIN_TABLE_LABELS:
        base = why if verdict == "report" else "title unusual"
        return Verdict("report", f"{base}; body: {len(tables)} statutory table labels ({', '.join(tables[:3])})", year)
    if attachments and (verdict == "report"):
        hint = f" ({ev['attachment'][0]})" if ev["attachment"] else ""
        return Verdict("report", f"{why}; body: report in attachment{hint}", year)
    if verdict == "report":
        return Verdict("report", f"{why}; body: no statutory tables and no attachment (image or text-only report?)", year)
    if attachments:
        return Verdict("unknown", f"{why}; body: {len(tables)} statutory table labels, {attachments} attachment(s)", year)
    # neither a report title, nor the statutory tables, nor a document that could hold them: a
    # statutory report (2019+) always shows one of the three, so this page is not one
    return Verdict("decoy", f"{why}; body: no statutory tables and no attachment", year)
