"""Navigation labels (pager links, 年报 column names, metadata labels) from ``data/nav_labels.csv``.

Why a data table: the Chinese wording varies between portals and grows with every new portal;
adding a label is a one-line data change, never a code change.
"""
from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data"
_YEAR = re.compile(r"(?:19|20)\d{2}")


@lru_cache(maxsize=None)
def _labels(kind: str) -> tuple[str, ...]:
    with open(DATA / "nav_labels.csv", encoding="utf-8", newline="") as fh:
        return tuple(row["label"] for row in csv.DictReader(fh) if row["kind"] == kind and row["label"])


def _compact(text: str) -> str:
    return re.sub(r"[\s\u3000\xa0]+", "", text or "")


def is_pager_label(text: str) -> bool:
    """Exact pager label (``下一页``, ``尾页`` ...), ignoring spaces and arrows around it."""
    t = _compact(text).strip("<>«»›‹[]【】()（）")
    return bool(t) and t in _labels("pager")


def is_column_label(text: str) -> bool:
    """Short link text naming a 年报 column (no year: a year makes it an article title)."""
    t = _compact(text)
    if not t or len(t) > 24 or _YEAR.search(t):
        return False
    return any(label in t for label in _labels("column"))


def metadata_labels() -> tuple[str, ...]:
    return _labels("metadata")


def looks_like_report_title(text: str) -> bool:
    from spiders.classify import title_verdict  # late import: classify imports nothing from here
    return title_verdict(text)[0] == "report"
