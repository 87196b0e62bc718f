"""Label matching: printed row/column labels → cell-code parts, through data tables.

Why data tables: the statutory wording is printed in endless variants (numbering 1./1、/（1）,
full/half-width brackets, quotes around 三安全一稳定, 规范性文件 vs 行政规范性文件, truncated or
wrapped headers, OCR slips). The project keeps every Chinese spelling in ``data/`` —
``cells.csv`` (official wording), ``label_variants.csv`` (spellings seen in real reports) and
``label_aliases.csv`` (our own keywords) — and this module only knows how to compare.

Matching returns *scores per candidate*, never a single answer: a wrapped fragment such as
``行政机关不再处理其政府信息公`` fits two rows, and the table interpreter decides with the row order.
"""
from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import spec

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ALIASES_CSV = DATA_DIR / "label_aliases.csv"
MARKERS_CSV = DATA_DIR / "report_markers.csv"
SECTIONS_CSV = DATA_DIR / "report_sections.csv"

_NUMBERING = re.compile(
    r"^(?:[（(\[【]?\s*(?:[一二三四五六七八九十]{1,3}|\d{1,2})\s*[)）\]】]|"
    r"(?:[一二三四五六七八九十]{1,3}|\d{1,2})\s*[、.．,，:：](?!\d))\s*")
_PUNCT = re.compile(r"[\s\"'“”‘’「」『』《》〈〉<>()（）\[\]【】、,，.．:：;；!！?？·•\-—_*#|/\\]+")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


#: strings longer than this are not cached: the caches hold 65536 entries, and caching every
#: unique paragraph grew a long crawl's RSS by ~30 KB per page (bench/long_crawl_bench.py)
CACHE_MAX_LEN = 200


def squash(text: str) -> str:
    """NFKC and no whitespace: the form labels are compared in (wrapped cells join up)."""
    return _squash(text) if len(text) <= CACHE_MAX_LEN else _squash.__wrapped__(text)


@lru_cache(maxsize=65536)
def _squash(text: str) -> str:
    return re.sub(r"\s+", "", nfkc(text)).replace("\u200b", "").replace("\ufeff", "")


def strip_numbering(text: str) -> str:
    t = squash(text).lstrip("#")
    for _ in range(3):
        n = _NUMBERING.sub("", t, count=1)
        if n == t:
            break
        t = n
    return t


def key(text: str) -> str:
    """Comparison key: numbering, brackets, quotes and punctuation removed."""
    return _key(text) if len(text) <= CACHE_MAX_LEN else _key.__wrapped__(text)


@lru_cache(maxsize=65536)
def _key(text: str) -> str:
    return _PUNCT.sub("", strip_numbering(text))


@dataclass(frozen=True)
class Alias:
    format: str  # "*", "2019", "2021"
    target: str  # row code ("t3.granted") or column ("col.change")
    key: str
    match: str  # exact | keyword | weak | fuzzy


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [dict(r) for r in csv.DictReader(fh)]


def _expand(pattern: str) -> list[str]:
    m = re.search(r"\{([^}]*)\}", pattern)
    if not m:
        return [pattern]
    out: list[str] = []
    for alt in m.group(1).split(","):
        out.extend(_expand(pattern[:m.start()] + alt.strip() + pattern[m.end():]))
    return out


@lru_cache(maxsize=None)
def aliases() -> tuple[Alias, ...]:
    out: list[Alias] = []
    for r in _csv(ALIASES_CSV):
        k = key(r["alias"])
        if k:
            out.append(Alias(r["format"] or "*", r["target"], k, r["match"] or "keyword"))
    # official wording: the last level of every row label, compared fuzzily
    for c in spec.all_cells():
        last = re.sub(r"\[.*?\]", "", c.row_label).split("/")[-1]
        out.append(Alias(c.format, c.row, key(last), "fuzzy"))
    # spellings seen in real reports, for patterns naming one row
    for r in spec.label_variants():
        variant = re.sub(r"\[.*?\]", "", r["variant"].replace("\\n", ""))
        for pat in _expand(r["code"]):
            parts = pat.split(".")
            if len(parts) < 3 or "*" in parts[:-1] or parts[-1] != "*":
                continue
            k = key(variant)
            if len(k) >= 2:
                out.append(Alias(r["format"], ".".join(parts[:-1]), k, "fuzzy"))
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=None)
def _aliases_for(fmt: str | None, prefix: str) -> tuple[Alias, ...]:
    return tuple(a for a in aliases() if a.target.startswith(prefix)
                 and (a.format == "*" or fmt is None or a.format == fmt))


#: labels longer than this (after normalisation) are prose, not table labels
MAX_LABEL = 70
MAX_FUZZY = 45


@lru_cache(maxsize=32768)
def _match_key(k: str, fmt: str | None, prefix: str) -> tuple[tuple[str, float], ...]:
    scores: dict[str, float] = {}

    def put(target: str, s: float) -> None:
        if s > scores.get(target, 0.0):
            scores[target] = s

    cands = _aliases_for(fmt, prefix)
    for a in cands:
        if a.match == "exact" or a.match == "fuzzy":
            if k == a.key:
                put(a.target, 1.0)
        elif a.match == "keyword":
            if a.key in k:
                put(a.target, 0.9 + min(len(a.key), 9) / 100)
        elif a.match == "weak":
            if a.key in k:
                put(a.target, 0.5)
    if not scores and 4 <= len(k) <= MAX_FUZZY:
        chars = set(k)
        for a in cands:
            if a.match != "fuzzy" or len(a.key) < 4:
                continue
            # cheap upper bound before difflib: shared characters
            if 2 * len(chars & set(a.key)) / (len(chars) + len(set(a.key))) < 0.6:
                continue
            sm = difflib.SequenceMatcher(None, k, a.key, autojunk=False)
            if sm.quick_ratio() < 0.72:
                continue
            r = sm.ratio()
            if r >= 0.72:
                put(a.target, round(r * 0.8, 3))
    return tuple(scores.items())


def match(text: str, fmt: str | None, prefix: str) -> dict[str, float]:
    """Score each target starting with ``prefix`` ("t3.", "t2.", "col.") that ``text`` may name.

    1.0 exact, 0.9 keyword (longer keywords win ties), 0.5 weak, fuzzy ratio × 0.8.
    """
    k = key(text)
    if not k or len(k) > MAX_LABEL:
        return {}
    return dict(_match_key(k, fmt, prefix))


def best(scores: dict[str, float]) -> set[str]:
    if not scores:
        return set()
    top = max(scores.values())
    return {t for t, s in scores.items() if s >= top - 1e-9}


@lru_cache(maxsize=None)
def markers() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for r in _csv(MARKERS_CSV):
        out.setdefault(r["kind"], []).append(squash(r["phrase"]))
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=None)
def sections() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for r in _csv(SECTIONS_CSV):
        out.setdefault(r["section"], []).append(squash(r["phrase"]))
    return {k: tuple(v) for k, v in out.items()}


def heading_section(line: str) -> str | None:
    """Which statutory section a short heading line opens: "t2" | "t3" | "t4" | "end" | None."""
    t = strip_numbering(line.strip().lstrip("#").strip())
    t = re.sub(r"^表[一二三四五六七八九十\d]+[:：、.]?", "", t)
    if not t or len(t) > 40 or "。" in t:
        return None
    secs = sections()
    for name in ("t4", "t3", "t2"):
        if any(t.startswith(p) for p in secs.get(name, ())):
            return name
    if re.fullmatch(r"[^，,。]{0,14}复议[^，,。]{0,8}诉讼[^，,。]{0,6}情况", t):
        return "t4"
    if len(t) <= 30 and any(p in t for p in secs.get("end", ())):
        return "end"
    return None
