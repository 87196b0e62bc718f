"""WARC export/import: request/response/revisit records, warcio check/index, round trip, foreign WARCs."""
from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.db import Archive
from archive.snapshots import sha256_hex
from archive.warc import export_warc, import_warc, sha1_digest

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
ROOT = Path(__file__).resolve().parent.parent


def _fill(a: Archive) -> dict[str, bytes]:
    crawl = a.start_crawl("annual_reports", {"start_urls": "http://p.test/"})
    gbk = "<html><head><meta charset='gbk'><title>列表</title></head><body>年度报告 第1页</body></html>".encode("gbk")
    pdf = (CORPUS / "hongze-qzf-2023" / "source.pdf").read_bytes()
    a.add_capture("http://p.test/list.html", status=200, body=gbk, crawl_id=crawl, role="list",
                  headers={"Content-Type": ["text/html; charset=gbk"], "Content-Encoding": ["gzip"]},
                  request_headers={"User-Agent": ["nianbao"]})
    first = a.add_capture("http://p.test/r.pdf", status=200, body=pdf, crawl_id=crawl, role="attachment",
                          attachment_of="http://p.test/a.html",
                          headers={"Content-Type": ["application/pdf"], "ETag": ['"abc"']})
    a.add_capture("http://p.test/copy.pdf", status=200, body=pdf, crawl_id=crawl, role="attachment")
    a.add_capture("http://p.test/r.pdf", status=304, sha256=sha256_hex(pdf), revisit_of=first, crawl_id=crawl,
                  role="attachment", headers={"ETag": ['"abc"']})
    a.add_capture("http://p.test/dead.html", status=None, error="TimeoutError", crawl_id=crawl)
    a.finish_crawl(crawl, "finished")
    return {"gbk": gbk, "pdf": pdf}


def test_export_check_index_and_round_trip(tmp_path):
    src = tmp_path / "src.db"
    with Archive(src) as a:
        bodies = _fill(a)
    out = tmp_path / "out.warc.gz"
    counts = export_warc(src, out)
    assert counts == {"request": 4, "response": 2, "revisit": 2, "skipped": 1}
    check = subprocess.run(["warcio", "check", "-v", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    index = [json.loads(line) for line in
             subprocess.run(["warcio", "index", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()]
    assert [r["warc-type"] for r in index].count("revisit") == 2
    with open(out, "rb") as fh:
        recs = [(r.rec_type, r.rec_headers.get_header("WARC-Profile") or "", r.http_headers, r.content_stream().read())
                for r in ArchiveIterator(fh)]
    responses = [r for r in recs if r[0] == "response"]
    assert {sha256_hex(r[3]) for r in responses} == {sha256_hex(b) for b in bodies.values()}
    list_headers = next(r[2] for r in responses if r[3] == bodies["gbk"])
    assert list_headers.get_header("Content-Encoding") is None           # the body is stored decoded
    assert list_headers.get_header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert list_headers.get_header("Content-Length") == str(len(bodies["gbk"]))
    assert any("server-not-modified" in r[1] for r in recs if r[0] == "revisit")
    assert any("identical-payload-digest" in r[1] for r in recs if r[0] == "revisit")

    dst = tmp_path / "dst.db"
    with Archive(dst) as b, Archive(src, readonly=True) as a:
        stats = import_warc(b, out, extract=False)
        assert stats.captures == 2 and stats.revisits == 2 and stats.unresolved_revisits == 0
        snaps = lambda x: {r[0] for r in x.db.execute("SELECT sha256 FROM snapshots")}
        assert snaps(a) == snaps(b)
        for sha in snaps(a):
            assert b.snapshot_bytes(sha) == a.snapshot_bytes(sha)
        key = lambda x: sorted((c["url"], c["status"], c["sha256"], c["role"]) for c in x.iter_captures() if c["sha256"])
        assert key(a) == key(b)
        assert b.crawl(stats.crawl_id)["spider"] == "import-warc"


def _foreign_warc(path: Path, article: bytes, pdf: bytes) -> None:
    """A WARC like other crawlers write: gzip content-encoding, chunked transfer, no nianbao headers."""
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        def response(url, body, ctype, encode=False, chunked=False):
            payload = gzip.compress(body) if encode else body
            if chunked:
                payload = b"%x\r\n" % len(payload) + payload + b"\r\n0\r\n\r\n"
            headers = [("Content-Type", ctype)]
            if encode:
                headers.append(("Content-Encoding", "gzip"))
            headers.append(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(len(payload))))
            rec = w.create_warc_record(url, "response", payload=io.BytesIO(payload), length=len(payload),
                                       http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"))
            w.write_record(rec)
            req = w.create_warc_record(url, "request", http_headers=StatusAndHeaders(
                "GET / HTTP/1.1", [("Host", "x.test")], is_http_request=True),
                warc_headers_dict={"WARC-Concurrent-To": rec.rec_headers.get_header("WARC-Record-ID")})
            w.write_record(req)
            return rec
        response("https://x.test/art/1.html", article, "text/html; charset=utf-8", encode=True, chunked=True)
        first = response("https://x.test/files/report.pdf", pdf, "application/pdf")
        w.write_record(w.create_revisit_record(
            "https://x.test/files/report.pdf?again", sha1_digest(pdf), "https://x.test/files/report.pdf",
            first.rec_headers.get_header("WARC-Date"),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "application/pdf")], protocol="HTTP/1.1")))
        w.write_record(w.create_warc_record("urn:browsertrix:screenshot", "resource",
                                            payload=io.BytesIO(b"\x89PNG"), length=4))


def test_import_foreign_warc_extracts_reports(tmp_path):
    pdf = (CORPUS / "hongze-qzf-2023" / "source.pdf").read_bytes()
    article = ("<html><head><meta charset='utf-8'><title>洪泽区2023年政府信息公开工作年度报告</title></head>"
               "<body><h1>洪泽区2023年政府信息公开工作年度报告</h1><p>现将本机关2023年度政府信息公开工作年度报告公布如下，详见附件。</p>"
               "<p><a href='/files/report.pdf'>洪泽区2023年政府信息公开工作年度报告.pdf</a></p></body></html>").encode("utf-8")
    warc = tmp_path / "foreign.warc.gz"
    _foreign_warc(warc, article, pdf)
    db = tmp_path / "imp.db"
    proc = subprocess.run([sys.executable, "-m", "scrapy", "import-warc", str(warc), "-s", f"NIANBAO_DB={db}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["captures"] == 2 and summary["revisits"] == 1 and summary["skipped"] == 1
    with Archive(db, readonly=True) as a:
        assert a.snapshot_bytes(sha256_hex(article)) == article          # decoded from gzip + chunked
        (report,) = list(a.iter_reports())
        assert report["page_url"] == "https://x.test/art/1.html"
        assert report["url"] == "https://x.test/files/report.pdf" and report["attachment_of"] == report["page_url"]
        assert report["format"] == "2021" and report["sha256"] == sha256_hex(pdf)
        assert sum(1 for c in a.report_cells(report["id"]).values() if c["value"] is not None) > 100


def test_broken_warc_is_an_error_and_keeps_stored_data(tmp_path):
    db = tmp_path / "keep.db"
    with Archive(db) as a:
        _fill(a)
        before = a.counts()
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99999\r\n\r\ntruncated"))
    proc = subprocess.run([sys.executable, "-m", "scrapy", "import-warc", str(bad), "-s", f"NIANBAO_DB={db}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "error" in proc.stdout
    with Archive(db) as a:
        after = a.counts()
        assert {k: after[k] for k in ("snapshots", "captures", "reports")} == \
               {k: before[k] for k in ("snapshots", "captures", "reports")}
        assert a.integrity_check() == "ok"
