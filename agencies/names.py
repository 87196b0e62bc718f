"""Body names → comparable parts: region prefix, printed organ, canonical organ, a name key.

Why: one body prints itself many ways — 洪泽区人民政府 / 淮安市洪泽区人民政府 / 洪泽区政府,
太仓市资源规划局 / 太仓市自然资源和规划局. Comparing raw strings splits such bodies; comparing
organs alone merges 洪泽区自然资源局 with 沭阳县自然资源局. The name key keeps both halves:
the region's adcode (so different counties never meet) and the organ in a canonical spelling
(short forms expanded, 人民政府/办公室 variants folded, the connectors 和/与/及 dropped).
All Chinese vocabulary lives in ``data/agencies/*.csv``.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import region as regions
from .region import Region, RegionMatch

DATA = Path(__file__).resolve().parent.parent / "data" / "agencies"

_SPACE = re.compile(r"[\s\u3000\u00a0]+")
# Report titles carry the year and the document type around the body name.
_TITLE_NOISE = re.compile(
    r"(关于)?(\d{4})\s*年\s*度?|(政府)?信息公开(工作)?(年度)?(年报|报告|工作报告)|年度报告|的报告|（[^）]*版）|\([^)]*版\)"
)
_CONNECTORS = re.compile(r"[和与及、]")
# 太仓市自然资源和规划局(太仓市林业局): a second name in brackets is not part of the body's name
_BRACKETED = re.compile(r"\([^()]*\)")


@lru_cache(maxsize=None)
def _table(name: str, key: str, value: str) -> dict[str, str]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return {r[key]: r[value] for r in csv.DictReader(fh) if r[key]}


def short_forms() -> dict[str, str]:
    return _table("organ_short_forms.csv", "short", "full")


def variants() -> dict[str, str]:
    return _table("organ_variants.csv", "variant", "canonical")


def clean(name: str | None) -> str:
    """NFKC (full-width → ASCII), no whitespace, no quotes or stray punctuation at the ends."""
    if not name:
        return ""
    s = unicodedata.normalize("NFKC", name)
    s = _SPACE.sub("", s)
    # NFKC turns （） into (); bodies never end in punctuation
    return s.strip("“”\"'‘’:：,，.。;；-—_【】《》")


def agency_from_title(title: str | None) -> str:
    """The body named in a report title: 洪泽区人民政府2023年政府信息公开工作年度报告 → 洪泽区人民政府."""
    s = clean(title)
    s = _TITLE_NOISE.sub("", s)
    return clean(s)


def canonical_organ(organ: str) -> str:
    """Short forms expanded, government/office spellings folded: 资源规划局 → 自然资源和规划局."""
    o = clean(organ)
    o = short_forms().get(o, o)
    return variants().get(o, o)


def organ_key(organ: str) -> str:
    """The organ as compared: canonical, with 和/与/及 dropped (发展和改革局 = 发展改革局)."""
    return _CONNECTORS.sub("", canonical_organ(organ))


@dataclass(frozen=True)
class ParsedName:
    raw: str
    clean: str
    match: RegionMatch
    organ: str  # as printed after the region prefix
    organ_canonical: str
    organ_key: str

    @property
    def region(self) -> Region | None:
        return self.match.region

    @property
    def level(self) -> str | None:
        return regions.body_level(self.match, self.organ_canonical)

    @property
    def resolved(self) -> bool:
        """True when the region is known, so the key cannot collide with another place's body."""
        return bool(self.match.scope) and not self.match.ambiguous and bool(self.organ_key)

    @property
    def key(self) -> str:
        """``320813:人民政府`` — equal keys mean the same body. '' when the name is empty."""
        if not self.organ_key and not self.match.scope:
            return ""
        return f"{self.match.scope}:{self.organ_key}"

    @property
    def display(self) -> str:
        """The full name with the complete region chain: 江苏省淮安市洪泽区人民政府."""
        organ = self.organ_canonical
        if self.match.township and self.match.township.endswith("街道") and organ == "街道办事处":
            organ = "办事处"
        return self.match.text + organ


def parse(name: str | None, hint: Region | None = None) -> ParsedName:
    """Split a body name; ``hint`` (portal or publisher region) decides ambiguous prefixes and
    supplies the region when the name has none (科学技术委员会 on the Shanghai portal)."""
    c = clean(name)
    m = regions.table().split(c, hint)
    organ = _BRACKETED.sub("", c[len(m.consumed):]) or c[len(m.consumed):]
    if not m.chain and not m.ambiguous and hint is not None:
        m = RegionMatch(regions.table().chain_of(hint), m.township, m.consumed)
    if m.township and organ in ("", "办"):
        organ = "人民政府" if m.township.endswith(("镇", "乡")) else "街道办事处"
    if m.township and organ == "办事处":
        organ = "街道办事处"
    return ParsedName(name or "", c, m, organ, canonical_organ(organ), organ_key(organ))


def office_of_government(p: ParsedName) -> bool:
    """True for a government's general office (办公室/办公厅): it publishes the government's
    report, so as a publisher it names the government, not a body of its own."""
    return p.organ_canonical == "人民政府办公室"
