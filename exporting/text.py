"""Human-facing wording of exports and the HTML report, from ``data/export_text.csv`` (zh + en)."""
from __future__ import annotations

import csv
import io
from functools import lru_cache

from extraction import spec

from .labels import _read_data_file

EXPORT_TEXT_CSV = spec.DATA_DIR / "export_text.csv"


@lru_cache(maxsize=None)
def _texts() -> dict[str, dict[str, str]]:
    return {r["key"]: r for r in csv.DictReader(io.StringIO(_read_data_file(EXPORT_TEXT_CSV)))}


def text(key: str, lang: str = "zh", **kwargs: object) -> str:
    return _texts()[key][lang].format(**kwargs)
