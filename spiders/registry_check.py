"""Validate the portal registry (``data/portals.csv``) without touching the network.

Why: the registry is data edited by hand from public sources; a typo in a family name, a start
URL outside the allowed domains or the same portal entered twice only shows up as an empty or
runaway crawl much later. ``scrapy portals`` runs these checks and lists the entries.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

COLUMNS = ("name", "start_urls", "allowed_domains", "family", "verified", "note")
VERIFIED_VALUES = {"yes", "no"}
DEMO_PLACEHOLDER = "{demo_port}"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$|^\d{1,3}(\.\d{1,3}){3}$")


@dataclass
class Entry:
    line: int
    name: str
    start_urls: list[str]
    allowed_domains: list[str]
    family: str
    verified: str
    note: str


@dataclass
class Report:
    entries: list[Entry] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)   # (line, name, message)

    def add(self, entry_line: int, name: str, message: str) -> None:
        self.problems.append((entry_line, name, message))

    @property
    def ok(self) -> bool:
        return not self.problems


def _host_in(host: str, domains: list[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def check_url(url: str) -> str | None:
    """None when ``url`` is a well-formed http(s) start URL, else what is wrong."""
    probe = url.replace(DEMO_PLACEHOLDER, "8000")
    try:
        parts = urlsplit(probe)
        port = parts.port
    except ValueError as exc:
        return f"malformed URL {url!r}: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"start URL {url!r} is not http(s)"
    host = (parts.hostname or "").lower()
    if not host or not _HOST.match(host):
        return f"start URL {url!r} has no valid host"
    if port is not None and not (0 < port < 65536):
        return f"start URL {url!r} has a bad port"
    if any(c.isspace() for c in url) or parts.fragment:
        return f"start URL {url!r} has spaces or a fragment"
    return None


def check(path: str | Path, families: set[str]) -> Report:
    """Read and validate the registry at ``path``; ``families`` are the known family names."""
    report = Report()
    try:
        fh = open(path, encoding="utf-8", newline="")
    except OSError as exc:
        report.add(0, "", f"cannot read {path}: {exc}")
        return report
    with fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            report.add(1, "", f"missing columns: {', '.join(missing)} (need {', '.join(COLUMNS)})")
            return report
        seen_names: dict[str, int] = {}
        seen_urls: dict[str, str] = {}
        for row in reader:
            line = reader.line_num
            name = (row.get("name") or "").strip()
            if not name or name.startswith("#"):
                continue
            entry = Entry(line, name, (row.get("start_urls") or "").split(), (row.get("allowed_domains") or "").split(),
                          (row.get("family") or "").strip(), (row.get("verified") or "").strip().lower(),
                          (row.get("note") or "").strip())
            report.entries.append(entry)
            if None in row:
                report.add(line, name, "more fields than columns (an unquoted comma in a note?)")
            if not _NAME.match(name):
                report.add(line, name, "name must be lower-case letters, digits, '-' or '_'")
            if name in seen_names:
                report.add(line, name, f"duplicate name (first on line {seen_names[name]})")
            seen_names.setdefault(name, line)
            if entry.family not in families:
                report.add(line, name, f"unknown family {entry.family!r}; known: {', '.join(sorted(families))}")
            if entry.verified not in VERIFIED_VALUES:
                report.add(line, name, f"verified must be yes or no, not {entry.verified!r}")
            if not entry.start_urls:
                report.add(line, name, "no start URL")
            if not entry.allowed_domains:
                report.add(line, name, "no allowed domain")
            for dom in entry.allowed_domains:
                if not _HOST.match(dom.lower()) or dom != dom.lower():
                    report.add(line, name, f"allowed domain {dom!r} is not a lower-case host name")
            demo = any(DEMO_PLACEHOLDER in u for u in entry.start_urls)
            for url in entry.start_urls:
                problem = check_url(url)
                if problem:
                    report.add(line, name, problem)
                    continue
                host = (urlsplit(url.replace(DEMO_PLACEHOLDER, "8000")).hostname or "").lower()
                if entry.allowed_domains and not _host_in(host, entry.allowed_domains):
                    report.add(line, name, f"start URL host {host} is outside the allowed domains")
                key = url.rstrip("/")
                if key in seen_urls and seen_urls[key] != name:
                    report.add(line, name, f"start URL {url} already belongs to {seen_urls[key]}")
                seen_urls.setdefault(key, name)
            if demo and not all(d.endswith(".test") for d in entry.allowed_domains):
                report.add(line, name, "demo entries ({demo_port}) must stay on *.test hosts")
            if not demo and any(d.endswith(".test") for d in entry.allowed_domains):
                report.add(line, name, "a *.test host needs the {demo_port} placeholder")
    return report
