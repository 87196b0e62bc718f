"""Regions and levels: which part of China a body belongs to, and at which tier it sits.

Why a table and not a regex: body names start with a chain of region names (江苏省淮安市洪泽区…)
whose lengths vary (2–9 characters) and which repeat across provinces (鼓楼区 exists four times).
Only a table of real divisions (``data/agencies/regions.csv``) lets us cut the prefix exactly and
tell two 鼓楼区 apart by their parents. Townships (镇/乡/街道) are too many to list and are
recognised by their suffix instead.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

DATA = Path(__file__).resolve().parent.parent / "data"
REGIONS_CSV = DATA / "agencies" / "regions.csv"
PORTAL_REGIONS_CSV = DATA / "agencies" / "portal_regions.csv"
#: the crawl's portal registry (another module's file); read only if it has host/region columns
PORTAL_REGISTRY_CSV = DATA / "portals.csv"

#: Tiers of government, top to bottom; ``department`` is any body that is not a government.
LEVELS = ("province", "city", "county", "township", "department")

# A township name is short and ends in 镇/乡/街道; it is only taken as one when a government
# word follows, so that 城乡建设局 (乡 inside an organ name) is never mistaken for a township.
#: a county-level name's suffix → what it may have become (县改区, 县改市, 市改区)
_FORMER_SUFFIXES = {"县": ("区", "市"), "市": ("区",)}
_TOWNSHIP = re.compile(r"^(?P<name>[\u4e00-\u9fff]{1,8}?(?:镇|乡|街道))(?=人民政府|政府|办事处|办$|$)")


@dataclass(frozen=True)
class Region:
    adcode: str
    name: str
    level: str  # province | city | county
    parent: str  # adcode of the parent, '' for provinces

    @property
    def short(self) -> str:
        """江苏省 → 江苏, 广西壮族自治区 → 广西 (used only for provinces at the start of a name)."""
        n = self.name
        for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市"):
            if n.endswith(suffix) and len(n) - len(suffix) >= 2:
                return n[: -len(suffix)]
        return n


@dataclass(frozen=True)
class RegionMatch:
    """A region prefix cut from a name: the chain of divisions, the township, the text consumed."""

    chain: tuple[Region, ...]
    township: str | None
    consumed: str
    ambiguous: tuple[str, ...] = ()  # adcodes still possible when the chain could not be decided

    @property
    def region(self) -> Region | None:
        return self.chain[-1] if self.chain else None

    @property
    def text(self) -> str:
        """The full region name as the gold corpus writes it: 江苏省淮安市洪泽区 (+ township)."""
        return "".join(r.name for r in self.chain) + (self.township or "")

    @property
    def level(self) -> str | None:
        if self.township:
            return "township"
        return self.region.level if self.region else None

    @property
    def scope(self) -> str:
        """A stable key for the region: adcode, plus the township; '' when nothing was found."""
        code = self.region.adcode if self.region else ""
        if not code and self.ambiguous:
            code = "?" + "|".join(self.ambiguous)
        return code + (f"/{self.township}" if self.township else "")


class RegionTable:
    """All divisions, indexed by name for prefix matching and by adcode for parents."""

    def __init__(self, regions: list[Region]) -> None:
        self.by_code = {r.adcode: r for r in regions}
        self.by_name: dict[str, list[Region]] = {}
        for r in regions:
            self.by_name.setdefault(r.name, []).append(r)
            if r.level == "province" and r.short != r.name:
                self.by_name.setdefault(r.short, []).append(r)
        self.max_len = max(len(n) for n in self.by_name)

    def ancestors(self, r: Region) -> list[Region]:
        out = []
        while r.parent and r.parent in self.by_code:
            r = self.by_code[r.parent]
            out.append(r)
        return out

    def chain_of(self, r: Region) -> tuple[Region, ...]:
        return tuple(reversed([r] + self.ancestors(r)))

    def is_under(self, child: Region, parent: Region) -> bool:
        return parent in self.ancestors(child)

    def _prefixes(self, text: str) -> list[tuple[str, list[Region]]]:
        """Every region name the text starts with, longest first; then former county names.

        Counties keep their stem when they become districts or cities (洪泽县 → 洪泽区 in 2016,
        吴江市 → 吴江区 in 2012), so a name the table lacks is tried with the other suffixes;
        older reports print the old name.
        """
        out = []
        for n in range(min(self.max_len, len(text)), 1, -1):
            hit = self.by_name.get(text[:n])
            if hit:
                out.append((text[:n], hit))
        if out:
            return out
        for n in range(min(self.max_len, len(text)), 2, -1):
            head, suffix = text[: n - 1], text[n - 1]
            if suffix not in _FORMER_SUFFIXES:
                continue
            hit = [r for alt in _FORMER_SUFFIXES[suffix] for r in self.by_name.get(head + alt, [])
                   if r.level == "county"]
            if hit:
                out.append((text[:n], hit))
        return out

    def split(self, name: str, hint: Region | None = None) -> RegionMatch:
        """Cut the region prefix off ``name``.

        Each further division must lie under the one before (淮安市 then 洪泽区). A name that
        repeats across the country is decided by the chain before it, then by ``hint`` (the
        region of the portal or the publisher); if neither decides, the match stays ambiguous.
        """
        chain: list[Region] = []
        pos = 0
        ambiguous: tuple[str, ...] = ()
        while pos < len(name):
            found = None
            for text, cands in self._prefixes(name[pos:]):
                if chain:
                    cands = [c for c in cands if self.is_under(c, chain[-1])]
                if not cands:
                    continue
                # a short province name must not eat into an organ name (e.g. 上海 in 上海市)
                found = (text, cands)
                break
            if not found:
                break
            text, cands = found
            if len(cands) > 1 and hint is not None:
                near = [c for c in cands if c == hint or self.is_under(c, hint) or self.is_under(hint, c)]
                if len(near) == 1:
                    cands = near
            if len(cands) > 1:
                ambiguous = tuple(sorted(c.adcode for c in cands))
                pos += len(text)
                break
            chain.append(cands[0])
            pos += len(text)
        if chain and not ambiguous:
            chain = list(self.chain_of(chain[-1]))
        township = None
        m = _TOWNSHIP.match(name[pos:]) if not ambiguous else None
        if m and (chain or hint is not None):
            township = m.group("name")
            pos += len(township)
        if not chain and township and hint is not None:
            chain = list(self.chain_of(hint))
        return RegionMatch(tuple(chain), township, name[:pos], ambiguous)

    def find(self, text: str) -> Region | None:
        """A full region text (江苏省苏州市太仓市 or 太仓市) → its deepest division."""
        m = self.split(text)
        return m.region if m.consumed == text else None


@lru_cache(maxsize=None)
def table() -> RegionTable:
    with REGIONS_CSV.open(encoding="utf-8", newline="") as fh:
        return RegionTable([Region(r["adcode"], r["name"], r["level"], r["parent"]) for r in csv.DictReader(fh)])


def _registry_region(row: dict[str, str]) -> str:
    """A registry row's region: its ``region`` column, else the body its note names first
    (``淮安市洪泽区人民政府 — portal of …`` → 淮安市洪泽区)."""
    if row.get("region"):
        return row["region"]
    lead = re.split(r"\s+[—-]+\s+|[,;，；]", (row.get("note") or "").strip(), maxsplit=1)[0]
    return table().split(lead).text if lead else ""


@lru_cache(maxsize=None)
def _portal_regions() -> dict[str, str]:
    """host → region text, from our table first, then the crawl's portal registry."""
    out: dict[str, str] = {}
    for path in (PORTAL_REGIONS_CSV, PORTAL_REGISTRY_CSV):
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                text = _registry_region(row)
                if not text:
                    continue
                hosts = {(row.get("host") or "").lower()}
                hosts |= {h.lower() for h in re.split(r"[\s,]+", row.get("allowed_domains") or "")}
                for url in re.split(r"[\s,]+", (row.get("url") or "") + " " + (row.get("start_urls") or "")):
                    if "://" in url:
                        hosts.add(host_of(url.replace("{", "").replace("}", "")))
                for h in hosts - {""}:
                    out.setdefault(h, text)
    return out


def host_of(url: str | None) -> str:
    return (urlsplit(url).hostname or "").lower() if url else ""


def portal_region(url_or_host: str | None) -> Region | None:
    """The region a portal serves, from the registry tables (exact host, then parent domains)."""
    if not url_or_host:
        return None
    host = host_of(url_or_host) if "/" in url_or_host else url_or_host.lower()
    regions = _portal_regions()
    parts = host.split(".")
    for i in range(len(parts) - 1):
        text = regions.get(".".join(parts[i:]))
        if text:
            return table().find(text)
    return None


def body_level(match: RegionMatch, organ_canonical: str) -> str | None:
    """The level of a body: a government (or its general office) sits at its region's tier;
    every other organ is a ``department``.

    The general office (办公室/办公厅) counts as the government itself because it publishes the
    government's report and the corpus files 上海市人民政府办公厅 as ``province``.
    """
    if organ_canonical in ("人民政府", "人民政府办公室", "街道办事处"):
        return match.level
    return "department"
