"""Exports read back equal to the archive: CSV long and wide, JSON lines, Parquet, XLSX."""
from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from exporting import ExportFilter, export
from exporting.query import Archive
from extraction import spec
from export_helpers import REGION, as_number, build_archive, db_cells, db_findings, db_report_ids


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return build_archive(tmp_path_factory.mktemp("archive") / "nianbao.db")


def test_csv_long_round_trip_with_official_labels(archive, tmp_path):
    stats = export(archive, "csv", tmp_path / "cells.csv")
    with (tmp_path / "cells.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    expected = db_cells(archive)
    assert stats.rows == len(rows) == len(expected)
    got = {(int(r["report_id"]), r["code"]): (as_number(r["value"]), r["raw"]) for r in rows}
    assert got == expected
    for r in rows:
        label = spec.cell(r["format"], r["code"]) if r["code"].startswith(("t2", "t3", "t4")) else None
        if label is not None:
            assert (r["row_label"], r["col_label"], r["kind"], int(r["table"])) == \
                (label.row_label, label.col_label, label.kind, label.table)
    # a count stored as REAL comes out as the integer it is; an amount keeps its decimals
    odd = {r["code"]: r for r in rows if r["report_id"] == "1001"}
    assert odd["t3.new.total"]["value"] == "12" and odd["t2.fees.amount"]["value"] == "2596.4955"
    assert odd["t3.new.natural"]["value"] == "" and odd["t3.new.natural"]["raw"] == "—"
    assert odd["t9.future.cell"]["row_label"] == ""  # unknown to the spec, kept unlabelled
    # cells come in printed order (the spec's order), not alphabetical
    first = [r["code"] for r in rows if r["report_id"] == "1"]
    assert first[0].startswith("t2.") and first.index("t3.new.natural") < first.index("t3.new.total")


def test_csv_wide_one_row_per_report(archive, tmp_path):
    export(archive, "csv-wide", tmp_path / "wide.csv")
    with (tmp_path / "wide.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {int(r["id"]) for r in rows} == db_report_ids(archive)
    expected = db_cells(archive)
    known = {k: v for k, v in expected.items() if k[1].startswith(("t2.", "t3.", "t4."))}
    got = {}
    for r in rows:
        for code, text in r.items():
            if code.startswith(("t2.", "t3.", "t4.")) and (int(r["id"]), code) in known:
                got[(int(r["id"]), code)] = as_number(text)
    assert got == {k: v[0] for k, v in known.items()}
    old = next(r for r in rows if r["id"] == "1000")
    assert old["format"] == "pre2019" and all(old[c] == "" for c in r if c.startswith("t3."))


def test_parquet_round_trip_in_several_row_groups(archive, tmp_path):
    from exporting import parquet
    with Archive.open(archive) as a:
        from exporting.progress import Progress
        parquet.export(a, tmp_path / "cells.parquet", Progress(None, enabled=False), batch_rows=1000)
    f = pq.ParquetFile(tmp_path / "cells.parquet")
    assert f.metadata.num_row_groups > 1
    table = f.read()
    got = {(r["report_id"], r["code"]): (r["value"], r["raw"]) for r in table.to_pylist()}
    assert got == db_cells(archive)
    assert table.schema.field("report_year").type == "int32"


def test_jsonl_carries_cells_raw_and_findings(archive, tmp_path):
    export(archive, "jsonl", tmp_path / "r.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {o["id"] for o in lines} == db_report_ids(archive)
    got = {(o["id"], code): (value, o["raw"][code]) for o in lines for code, value in o["cells"].items()}
    assert got == db_cells(archive)
    found = sorted((o["id"], f["rule"], f["detail"]) for o in lines for f in o["findings"])
    assert found == db_findings(archive)


def test_xlsx_sheets_per_format_with_chinese_headers(archive, tmp_path):
    from exporting import xlsx
    from exporting.progress import Progress
    with Archive.open(archive) as a:
        xlsx.export(a, tmp_path / "n.xlsx", Progress(None, enabled=False), max_rows=40)
    wb = load_workbook(tmp_path / "n.xlsx", read_only=True)
    names = wb.sheetnames
    assert names[0] == "说明" and "报告" in names and "2021格式" in names and "2019格式" in names
    assert "2021格式 (2)" in names  # more reports than max_rows: the sheet continues
    expected = db_cells(archive)
    codes_2021 = set(spec.codes("2021", include_optional=True))
    got = {}
    for name in [n for n in names if n.startswith("2021格式")]:
        rows = list(wb[name].values)
        row_labels, col_labels, codes = rows[0], rows[1], rows[2]
        i = codes.index("t3.granted.natural")
        assert "予以公开" in row_labels[i] and col_labels[i] == "自然人"
        assert row_labels[0] == "报告编号"
        for row in rows[3:]:
            for code, value in zip(codes, row):
                if code in codes_2021 and (value is not None or (row[0], code) in expected):
                    got[(row[0], code)] = value
    ids_2021 = db_report_ids(archive, " WHERE r.format = '2021'")
    codes_2021 = set(spec.codes("2021", include_optional=True))
    want = {k: v[0] for k, v in expected.items() if k[0] in ids_2021 and k[1] in codes_2021}
    assert got == want and len({r for r, _ in got}) == len(ids_2021)


@pytest.mark.parametrize("filt,where,params", [
    (ExportFilter(years=(2023, 2024)), " WHERE r.report_year IN (2023, 2024)", ()),
    (ExportFilter(formats=("2019",)), " WHERE r.format = '2019'", ()),
    (ExportFilter(agencies=("洪泽",)), " WHERE r.agency LIKE '%洪泽%'", ()),
    (ExportFilter(regions=("江苏省宿迁市",)), f" WHERE {REGION} LIKE '江苏省宿迁市%'", ()),
    (ExportFilter(years=(2023,), regions=("上海市", "江苏省淮安市")),
     f" WHERE r.report_year = 2023 AND ({REGION} LIKE '上海市%' OR {REGION} LIKE '江苏省淮安市%')", ()),
    (ExportFilter(agencies=("' OR 1=1 --",)), " WHERE 0", ()),
    (ExportFilter(regions=("%",)), " WHERE 0", ()),
])
def test_filters_select_exactly(archive, tmp_path, filt, where, params):
    export(archive, "csv", tmp_path / "f.csv", filt)
    with (tmp_path / "f.csv").open(encoding="utf-8", newline="") as fh:
        got = {(int(r["report_id"]), r["code"]) for r in csv.DictReader(fh)}
    assert got == set(db_cells(archive, where, params))
    with Archive.open(archive, filt) as a:
        assert a.count_reports() == len(db_report_ids(archive, where, params))


def test_region_column_is_used_where_the_archive_has_one(tmp_path):
    import sqlite3
    from exporting.synthetic import MINIMUM_SCHEMA
    db = tmp_path / "min.db"
    conn = sqlite3.connect(db)
    conn.executescript(MINIMUM_SCHEMA)
    conn.execute("ALTER TABLE reports ADD COLUMN region TEXT")
    conn.executemany("INSERT INTO reports (id, agency, report_year, format, region) VALUES (?, ?, 2023, '2021', ?)",
                     [(1, "甲", "江苏省淮安市"), (2, "乙", "上海市")])
    conn.commit()
    conn.close()
    export(db, "jsonl", tmp_path / "x.jsonl", ExportFilter(regions=("江苏",)))
    lines = [json.loads(x) for x in (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(o["id"], o["region"]) for o in lines] == [(1, "江苏省淮安市")]


def test_region_filter_on_archive_without_regions_is_a_clear_error(tmp_path):
    import sqlite3
    from exporting import ExportError
    from exporting.synthetic import MINIMUM_SCHEMA
    db = tmp_path / "min.db"
    conn = sqlite3.connect(db)
    conn.executescript(MINIMUM_SCHEMA)
    conn.close()
    with pytest.raises(ExportError, match="region"):
        export(db, "csv", tmp_path / "x.csv", ExportFilter(regions=("江苏省",)))
    assert not (tmp_path / "x.csv").exists()


def test_failed_export_keeps_the_previous_file(archive, tmp_path, monkeypatch):
    target = tmp_path / "cells.csv"
    target.write_text("last week's complete export\n", encoding="utf-8")

    def broken(self):
        yield from []
        raise OSError("disk full")

    monkeypatch.setattr(Archive, "iter_report_cells", broken)
    with pytest.raises(OSError):
        export(archive, "csv", target)
    assert target.read_text(encoding="utf-8") == "last week's complete export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["cells.csv"]
