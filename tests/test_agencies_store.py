"""Storing identities and cross findings in a real SQLite archive; the command and the view."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agencies import quality, store
from tests.agencies_fixtures import add, gold, min_db, neighbour, predecessor_cells

ROOT = Path(__file__).resolve().parent.parent


def scrapy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def archive(tmp_path):
    db = min_db(tmp_path / "a.db")
    add(db, gold("hongze-qzf-2023"))
    add(db, gold("hongze-qzf-2024"))
    add(db, gold("taicang-zrzy-2020"))
    g20 = gold("taicang-zrzy-2020")
    syn = neighbour("taicang-zrzy-2020", 2019, {**predecessor_cells(g20["cells"]), "t3.carried_next.total": 4},
                    agency="太仓市资源规划局")
    add(db, syn)
    return db, tmp_path / "a.db"


def no_overrides(tmp_path: Path) -> Path:
    p = tmp_path / "overrides.csv"
    p.write_text("action,subject,target,note\n", encoding="utf-8")
    return p


def test_quality_view_scores_by_hand(archive, tmp_path):
    db, _ = archive
    store.compute(db, no_overrides(tmp_path))
    rows = {(r["body"], r["year"]): r for r in quality.rows(db)}
    hz23 = rows[("淮安市洪泽区人民政府", 2023)]
    # 186 of 200 cells printed, two t4.total findings (printed totals 0): 93 - 2 x 10
    assert (hz23["n_cells"], hz23["expected_cells"], hz23["n_arith_findings"], hz23["score"]) == (186, 200, 2, 73)
    tc20 = rows[("太仓市自然资源和规划局", 2020)]
    # 198/198 cells; 2019 left 4 carried into 2020 but 2020 says 0: one cross finding
    assert tc20["findings"] == "x.carried_over" and tc20["score"] == 90
    assert set(r["status"] for r in rows.values()) == {"present"}


def test_rerun_keeps_ids_and_survives_reextraction(archive, tmp_path):
    db, _ = archive
    ovr = tmp_path / "overrides.csv"
    ovr.write_text("action,subject,target,note\npin,太仓市资源规划局,taicang-zrzy,user's id\n", encoding="utf-8")
    store.compute(db, ovr)
    before = {r["stable_key"]: r["body_id"] for r in db["report_body"].rows}
    assert set(before.values()) == {"320813:人民政府", "taicang-zrzy"}
    n_cross = db["cross_findings"].count
    # re-extraction: every report row replaced under a new id
    rows = list(db["reports"].rows)
    cells = {r["id"]: [c for c in db["cells"].rows_where("report_id = ?", [r["id"]])] for r in rows}
    for r in rows:
        db["reports"].delete(r["id"])
        db.execute("DELETE FROM cells WHERE report_id = ?", [r["id"]])
        new_id = db["reports"].insert({**r, "id": r["id"] + 100}).last_pk
        db["cells"].insert_all([{**c, "report_id": new_id} for c in cells[r["id"]]])
    store.compute(db, ovr)
    after = {r["stable_key"]: r["body_id"] for r in db["report_body"].rows}
    assert after == before
    assert db["cross_findings"].count == n_cross
    assert all(r["report_id"] > 100 for r in db["cross_findings"].rows)


def run_in_process(capsys, *argv: str) -> tuple[int, str, str]:
    """The command's run() with parsed options, without a new interpreter (scrapy starts slowly)."""
    import argparse

    from scrapy.settings import Settings

    from commands.agencies import Command

    cmd = Command()
    cmd.settings = Settings({"NIANBAO_DB": "data/nianbao.db"})
    parser = argparse.ArgumentParser()
    cmd.add_options(parser)
    opts = parser.parse_args(list(argv))
    cmd.run([], opts)
    out = capsys.readouterr()
    return cmd.exitcode, out.out, out.err


def test_command_summary_quality_and_bad_overrides(archive, tmp_path, capsys):
    _, path = archive
    ovr = no_overrides(tmp_path)
    # the real entry point once: `scrapy agencies` is registered and prints its JSON summary
    out = scrapy("agencies", "--db", str(path), "--overrides", str(ovr), "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["reports"] == 4 and summary["bodies"] == 2
    assert summary["cross_findings"] == {"x.carried_over": 1}
    assert summary["jump_factors"]["requests"] == {"factor": 10.0, "source": "default", "pairs": 4}
    code, text, _ = run_in_process(capsys, "--db", str(path), "--quality", "--json", "--body", "洪泽")
    assert code == 0 and [json.loads(line)["year"] for line in text.splitlines()] == [2023, 2024]
    code, text, _ = run_in_process(capsys, "--db", str(path), "--quality")
    assert code == 0 and "x.carried_over" in text
    # a broken overrides file: a clear error, and the stored results stay as they were
    bad = tmp_path / "bad.csv"
    bad.write_text("action,subject,target,note\nfuse,a,b,\n", encoding="utf-8")
    code, _, err = run_in_process(capsys, "--db", str(path), "--overrides", str(bad))
    assert code == 2 and "unknown action 'fuse'" in err
    code, text, _ = run_in_process(capsys, "--db", str(path), "--quality", "--json")
    assert len(text.splitlines()) == 4
    from scrapy.exceptions import UsageError

    with pytest.raises(UsageError):
        run_in_process(capsys, "--db", str(tmp_path / "nope.db"))


def test_canned_queries_run(archive, tmp_path):
    db, _ = archive
    store.compute(db, no_overrides(tmp_path))
    params = {"body": "太仓", "max_score": "", "rule": ""}
    for name, q in quality.CANNED_QUERIES.items():
        rows = list(db.query(q["sql"], {k: params[k] for k in q.get("params", [])}))
        assert rows, name
    assert {r["body"] for r in db.query(quality.CANNED_QUERIES["body_quality"]["sql"],
                                        {"body": "太仓", "max_score": "95"})} == {"太仓市自然资源和规划局"}
    ident = list(db.query("SELECT * FROM report_identity ORDER BY report_id"))
    assert [r["level"] for r in ident] == ["county", "county", "department", "department"]


def test_real_archive_schema(tmp_path):
    """The archive module's own schema (page_url, listed_on, meta JSON) works as input."""
    from archive.db import Archive

    a = Archive(tmp_path / "nianbao.db")
    g = gold("shuyang-fgj-2023")
    for i, (year, url) in enumerate([(2022, "http://127.0.0.1/gknb/2022.shtml"),
                                      (2023, "http://127.0.0.1/gknb/2023.shtml")], start=1):
        a.db["reports"].insert({"id": i, "page_url": url, "url": url, "agency": None, "report_year": year,
                                "format": "2021", "status": "current",
                                "listed_on": "http://127.0.0.1/gknb/list.shtml",
                                "meta": json.dumps({"agency": g["meta"]["agency"] if year == 2023 else "沭阳县发改局",
                                                    "index_no": g["meta"]["index_no"]}, ensure_ascii=False)})
        a.db["cells"].insert_all([{"report_id": i, "code": k, "value": v} for k, v in g["cells"].items()])
    a.close()
    result = store.compute(tmp_path / "nianbao.db", no_overrides(tmp_path))
    assert len(result.resolution.bodies) == 1
    (body,) = result.resolution.bodies.values()
    assert body.org_codes == ["014314799"] and body.region == "江苏省宿迁市沭阳县"
    rows = quality.rows(tmp_path / "nianbao.db")
    assert [r["url"] for r in rows] == ["http://127.0.0.1/gknb/2022.shtml", "http://127.0.0.1/gknb/2023.shtml"]


def test_export_csv(archive, tmp_path):
    import csv

    db, _ = archive
    store.compute(db, no_overrides(tmp_path))
    paths = quality.export_csv(db, tmp_path / "out")
    assert [p.stem for p in paths] == list(quality.EXPORT_TABLES)
    with (tmp_path / "out" / "body_quality.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 and {r["score"] for r in rows} >= {"73", "90"}


def test_report_without_year_is_in_the_quality_view(archive, tmp_path):
    db, _ = archive
    g = gold("shanghai-stcsm-2024")
    g["meta"] = {"agency": None, "report_year": None, "publisher": "上海市科学技术委员会", "format": "2021"}
    rid = add(db, g, url="http://127.0.0.1/xxgk/nb/1.html")
    store.compute(db, no_overrides(tmp_path))
    (row,) = [r for r in quality.rows(db) if r["report_id"] == rid]
    assert row["status"] == "year_unknown" and row["year"] is None and row["body"] == "上海市科学技术委员会"
    assert row["score"] == 100  # 199 of 200 cells, no findings
