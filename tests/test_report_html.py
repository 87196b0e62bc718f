"""``scrapy report``: the HTML summary's figures equal the archive's, and Chromium renders its charts."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exporting import ExportFilter
from exporting.query import Archive
from exporting.report_html import PALETTE, outcome_labels, outcomes_by_year, render
from export_helpers import build_archive, db_cells

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return build_archive(tmp_path_factory.mktemp("report") / "nianbao.db")


def test_outcome_labels_come_from_the_spec():
    assert outcome_labels() == {"granted": "予以公开", "partial": "部分公开", "denied": "不予公开",
                                "unable": "无法提供", "not_processed": "不予处理", "other": "其他处理"}


def test_outcomes_per_year_equal_the_cells(archive):
    with Archive.open(archive) as a:
        years, series = outcomes_by_year(a)
    cells = db_cells(archive)
    import sqlite3
    conn = sqlite3.connect(archive)
    year_of = dict(conn.execute("SELECT id, report_year FROM reports"))
    conn.close()
    denied = {y: 0.0 for y in years}
    for (rid, code), (value, _) in cells.items():
        if code.startswith("t3.denied.") and code.endswith(".total") and value is not None:
            denied[year_of[rid]] += value
    got = dict(zip(years, next(s for s in series if s.label == "不予公开").values))
    assert got == denied and any(got.values())


def test_page_is_self_contained_and_filtered(archive):
    with Archive.open(archive, ExportFilter(years=(2023,))) as a:
        page = render(a, "test.db")
    assert page.count("<svg") == 3
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)  # nothing loaded from elsewhere
    assert "<script" not in page
    assert ">2023<" in page and ">2022<" not in page and ">2024<" not in page


def test_report_command_and_chromium_renders_the_charts(archive, tmp_path):
    out = tmp_path / "summary.html"
    res = subprocess.run([sys.executable, "-m", "scrapy", "report", "-o", str(out), "--db", str(archive)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (CI installs it)")
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--window-size=1000,1600", f"--screenshot={shot}", out.as_uri()],
                   capture_output=True, timeout=120, check=False)
    from PIL import Image
    image = Image.open(shot).convert("RGB")
    colours = {c for _, c in image.getcolors(maxcolors=1 << 20)}
    for hex_colour in PALETTE[:6]:  # every outcome series was painted
        rgb = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, hex_colour
