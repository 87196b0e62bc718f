#!/usr/bin/env python3
"""Extraction throughput over the corpus fixtures, against lxml alone in the same run.

Prints documents/s for the full ``extract()`` on the HTML and text fixtures (plus rendered
round-trip pages so there is more than a handful of HTML documents), the time lxml alone takes
to parse the same bytes, their ratio (aim: ≤ 3), and the peak memory (tracemalloc) of one pass.
PDFs are measured separately (their reader runs in a child process; the ratio would mostly
measure pdfplumber).

    python3 bench/extract_bench.py [--rounds 5]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from lxml import html as lxml_html  # noqa: E402

from extraction import extract  # noqa: E402


def documents() -> list[tuple[str, bytes]]:
    docs: list[tuple[str, bytes]] = []
    for src in sorted((ROOT / "tests" / "fixtures" / "corpus").glob("*/source.*")):
        if src.suffix in (".html", ".txt"):
            docs.append((src.name, src.read_bytes()))
    from extract_render import Style, random_cells, render_html
    rng = random.Random(0)
    for i in range(20):
        fmt = "2019" if i % 2 else "2021"
        cells = random_cells(fmt, rng)
        page = render_html(cells, fmt, f"某某局{2020 + i % 5}年政府信息公开工作年度报告",
                           Style(word_markup=bool(i % 3)))
        docs.append((f"rendered{i}.html", page.encode("utf-8")))
    return docs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    docs = documents()
    parser = lxml_html.HTMLParser(recover=True, huge_tree=False)
    for name, data in docs:  # warm caches and imports
        extract(data, filename=name)
    t0 = time.perf_counter()
    for _ in range(a.rounds):
        for _name, data in docs:
            lxml_html.document_fromstring(data, parser=parser)
    t_lxml = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(a.rounds):
        for name, data in docs:
            extract(data, filename=name)
    t_full = time.perf_counter() - t0
    tracemalloc.start()
    for name, data in docs:
        extract(data, filename=name)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = len(docs) * a.rounds
    total = sum(len(d) for _, d in docs) * a.rounds
    print(f"documents: {len(docs)} x {a.rounds} rounds, {total / 1e6:.1f} MB")
    print(f"extract(): {n / t_full:8.1f} docs/s   {t_full / n * 1000:7.2f} ms/doc")
    print(f"lxml parse:{n / t_lxml:8.1f} docs/s   {t_lxml / n * 1000:7.2f} ms/doc")
    print(f"ratio full/lxml: {t_full / t_lxml:.2f}  (aim <= 3)")
    print(f"peak traced memory of one pass: {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
