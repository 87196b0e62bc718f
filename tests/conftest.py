"""Shared fixtures: the corpus of real reports, copied from the spec's corpus (never edited)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"


def corpus_entries() -> list[Path]:
    return sorted(p.parent for p in CORPUS.glob("*/gold.json"))


def load_gold(entry: Path) -> dict:
    return json.loads((entry / "gold.json").read_text(encoding="utf-8"))


def source_of(entry: Path) -> Path:
    (src,) = list(entry.glob("source.*"))
    return src


@pytest.fixture(scope="session")
def corpus() -> list[Path]:
    return corpus_entries()
