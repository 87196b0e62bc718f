"""The data package validates with the real ``frictionless`` CLI, and ``scrapy export`` works as a command."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from exporting import export
from export_helpers import as_number, build_archive, db_cells, db_report_ids, frictionless_validate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return build_archive(tmp_path_factory.mktemp("archive") / "nianbao.db")


def test_datapackage_validates_and_round_trips(archive, tmp_path):
    out = tmp_path / "pkg"
    export(archive, "datapackage", out)
    desc = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in desc["resources"]] == ["reports", "cells", "findings", "cell_labels"]
    res = frictionless_validate(out / "datapackage.json")
    report = json.loads(res.stdout)
    assert res.returncode == 0 and report["valid"], res.stdout[-2000:]
    with (out / "cells.csv").open(encoding="utf-8", newline="") as fh:
        got = {(int(r["report_id"]), r["code"]): (as_number(r["value"]), r["raw"]) for r in csv.DictReader(fh)}
    assert got == db_cells(archive)
    # a code the spec does not know is kept, and listed (unlabelled) so the foreign key holds
    with (out / "cell_labels.csv").open(encoding="utf-8", newline="") as fh:
        unknown = [r for r in csv.DictReader(fh) if r["code"] == "t9.future.cell"]
    assert unknown == [{"format": "2021", "code": "t9.future.cell", "table": "", "row_label": "",
                        "col_label": "", "kind": ""}]


def test_frictionless_catches_a_broken_package(archive, tmp_path):
    """The validation above can fail: a bad number and a dangling report id are reported."""
    out = tmp_path / "pkg"
    export(archive, "datapackage", out)
    cells = (out / "cells.csv").read_text(encoding="utf-8").splitlines()
    cells[1] = "999999,2021,t3.new.total,lots,lots"
    (out / "cells.csv").write_text("\n".join(cells) + "\n", encoding="utf-8")
    res = frictionless_validate(out / "datapackage.json")
    assert res.returncode != 0
    types = {e["type"] for task in json.loads(res.stdout)["tasks"] for e in task["errors"]}
    assert "type-error" in types


def run_scrapy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_export_command_writes_filtered_csv(archive, tmp_path):
    out = tmp_path / "sub" / "out.csv"
    res = run_scrapy("export", "--format", "csv", "-o", str(out), "--db", str(archive),
                     "--year", "2023-2024", "--format-filter", "2021", "--no-progress")
    assert res.returncode == 0, res.stderr
    assert "reports" in res.stdout
    with out.open(encoding="utf-8", newline="") as fh:
        ids = {int(r["report_id"]) for r in csv.DictReader(fh)}
    assert ids == db_report_ids(archive, " WHERE r.report_year BETWEEN 2023 AND 2024 AND r.format = '2021'"
                                         " AND EXISTS (SELECT 1 FROM cells c WHERE c.report_id = r.id)")


def test_export_command_progress_and_errors(archive, tmp_path):
    res = run_scrapy("export", "--format", "jsonl", "-o", str(tmp_path), "--db", str(archive))
    assert res.returncode == 0 and (tmp_path / "reports.jsonl").exists()
    assert "export jsonl:" in res.stderr and "reports/s" in res.stderr
    missing = run_scrapy("export", "--format", "csv", "-o", str(tmp_path / "x.csv"), "--db", str(tmp_path / "no.db"))
    assert missing.returncode == 1 and "no archive" in missing.stderr
    bad_year = run_scrapy("export", "-o", str(tmp_path / "x.csv"), "--db", str(archive), "--year", "twenty")
    assert bad_year.returncode == 1 and "not a year" in bad_year.stderr
    assert not (tmp_path / "x.csv").exists()


def test_export_command_warc_delegates_to_the_archive(tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    from archive.db import open_archive
    db = tmp_path / "a.db"
    bodies = {"http://a.test/1.html": "<html>年报 一</html>".encode(), "http://a.test/2.pdf": b"%PDF-1.4 x"}
    with open_archive(db) as archive:
        for url, body in bodies.items():
            archive.add_capture(url, status=200, body=body, headers={"Content-Type": ["text/html"]})
    out = tmp_path / "sub" / "a.warc.gz"
    res = run_scrapy("export", "--format", "warc", "-o", str(out), "--db", str(db))
    assert res.returncode == 0, res.stderr
    assert "2 response" in res.stdout
    got = {}
    with out.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                got[record.rec_headers.get_header("WARC-Target-URI")] = record.content_stream().read()
    assert got == bodies
    filtered = run_scrapy("export", "--format", "warc", "-o", str(out), "--db", str(db), "--year", "2023")
    assert filtered.returncode == 1 and "no report filters" in filtered.stderr
