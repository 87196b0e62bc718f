"""Article metadata (索引号, 主题分类, 发布机构, 公开日期, 文号, breadcrumb) → item fields.

Why here and not in each family: the families read the metadata *table* as printed (label →
value, ``Article.metadata``); which label feeds which field, and in what order of preference,
is one decision for all families, kept in ``data/article_metadata.csv``. The values matter for
reports: 索引号 identifies a document across the columns that list it, 发布机构 and the
breadcrumb name the body when the title does not, 公开日期 dates the publication.
"""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from spiders.families.base import Article, clean, iso_date

DATA = Path(__file__).resolve().parents[1] / "data"
FIELDS = ("index_no", "topic", "publisher", "published", "doc_no")


@lru_cache(maxsize=None)
def _labels() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {f: [] for f in FIELDS}
    with open(DATA / "article_metadata.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["field"] in out and row["label"]:
                out[row["field"]].append(row["label"])
    return {k: tuple(v) for k, v in out.items()}


def _value(metadata: dict[str, str], labels: tuple[str, ...]) -> str | None:
    squeezed = {k.replace(" ", "").replace("\u3000", ""): v for k, v in metadata.items()}
    for label in labels:
        value = clean(squeezed.get(label))
        if value and value not in ("无", "-", "/"):
            return value
    return None


def item_fields(article: Article) -> dict[str, str]:
    """The FetchedItem fields an article page fills (absent keys: not printed)."""
    fields: dict[str, str] = {}
    for name, labels in _labels().items():
        value = _value(article.metadata, labels)
        if value is None:
            continue
        if name == "published":
            value = iso_date(value) or value
        fields[name] = value[:200]
    if article.breadcrumb:
        fields["breadcrumb"] = article.breadcrumb[:500]
    return fields
