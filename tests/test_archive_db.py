"""The archive file: content-addressed snapshots back bit for bit, captures, crawls, bad input."""
from __future__ import annotations

import os
import sqlite3
import zlib

import pytest
from hypothesis import given, settings, strategies as st

from archive.db import Archive, ArchiveError, open_archive
from archive.snapshots import SnapshotCorrupt, pack, sha256_hex, unpack


@pytest.fixture()
def archive(tmp_path):
    a = Archive(tmp_path / "a.db")
    yield a
    a.close()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=5000) | st.text(max_size=3000).map(lambda s: s.encode("gb18030")))
def test_pack_unpack_round_trip(data):
    p = pack(data)
    assert p.sha256 == sha256_hex(data) and p.size == len(data)
    assert unpack(p.content, p.content_encoding, p.sha256) == data


def test_snapshots_are_content_addressed_and_compressed(archive):
    html = ("<html><head><meta charset='gbk'></head><body>" + "政府信息公开工作年度报告" * 200
            + "</body></html>").encode("gbk")
    pdf_like = os.urandom(4096)  # incompressible: must stay raw
    c1 = archive.add_capture("http://a.test/1.html", status=200, body=html, headers={"Content-Type": ["text/html"]})
    c2 = archive.add_capture("http://a.test/1.html", status=200, body=html)
    c3 = archive.add_capture("http://a.test/x.pdf", status=200, body=pdf_like)
    assert archive.db["snapshots"].count == 2 and archive.db["captures"].count == 3
    s1, s3 = archive.capture(c1)["sha256"], archive.capture(c3)["sha256"]
    assert s1 == archive.capture(c2)["sha256"] == sha256_hex(html)
    info = archive.snapshot_info(s1)
    assert info["content_encoding"] == "zstd" and info["stored_size"] < len(html) / 3 and info["size"] == len(html)
    assert archive.snapshot_info(s3)["content_encoding"] is None
    assert archive.snapshot_bytes(s1) == html and archive.snapshot_bytes(s3) == pdf_like


def test_plain_sqlite_reader_can_unpack(tmp_path, archive):
    """What the spec promises other tools: decompress ``content`` per ``content_encoding``."""
    body = b"<p>" + b"x" * 10000 + b"</p>"
    archive.add_capture("http://a.test/", status=200, body=body)
    conn = sqlite3.connect(archive.path)
    content, enc, size = conn.execute("SELECT content, content_encoding, size FROM snapshots").fetchone()
    import zstandard
    assert enc == "zstd" and size == len(body)
    assert zstandard.ZstdDecompressor().decompress(content) == body


def test_foreign_encodings_and_corruption_detected(archive):
    body = b"hello world " * 50
    digest = sha256_hex(body)
    archive.db["snapshots"].insert({"sha256": digest, "content": zlib.compress(body), "content_encoding": "zlib",
                                    "size": len(body)})
    assert archive.snapshot_bytes(digest) == body
    bad = sha256_hex(b"other")
    archive.db["snapshots"].insert({"sha256": bad, "content": b"not it", "content_encoding": None, "size": 6})
    with pytest.raises(SnapshotCorrupt):
        archive.snapshot_bytes(bad)


def test_capture_errors_and_revisits(archive):
    cid = archive.add_capture("http://a.test/t", status=None, error="TimeoutError: took too long", role="article")
    row = archive.capture(cid)
    assert row["sha256"] is None and row["error"].startswith("TimeoutError")
    first = archive.add_capture("http://a.test/p", status=200, body=b"page")
    sha = archive.capture(first)["sha256"]
    rev = archive.add_capture("http://a.test/p", status=304, sha256=sha, revisit_of=first)
    assert archive.capture(rev)["sha256"] == sha
    assert archive.last_full_capture("http://a.test/p")["id"] == first
    assert archive.last_capture("http://a.test/p")["id"] == rev
    with pytest.raises(KeyError):
        archive.add_capture("http://a.test/q", status=304, sha256="0" * 64)
    with pytest.raises(TypeError):
        archive.add_capture("http://a.test/q", status=200, body=b"x", no_such_column=1)


def test_failed_write_rolls_back_whole_item(archive):
    archive.add_capture("http://a.test/keep", status=200, body=b"kept")
    before = archive.counts()
    with pytest.raises(RuntimeError):
        with archive.transaction():
            archive.add_capture("http://a.test/lost", status=200, body=b"never stored")
            raise RuntimeError("crash in the middle of an item")
    assert archive.counts() == before
    assert archive.snapshot_bytes(sha256_hex(b"kept")) == b"kept"


def test_crawls_and_wal(archive):
    cid = archive.start_crawl("annual_reports", {"start_urls": "http://a.test/"}, job="nightly")
    assert archive.last_unfinished_crawl("nightly")["id"] == cid
    resumed = archive.start_crawl("annual_reports", {}, job="nightly", resumed_from=cid)
    assert set(archive.run_crawl_ids(resumed)) == {cid, resumed}
    archive.finish_crawl(resumed, "finished", {"item_scraped_count": 3})
    assert archive.last_unfinished_crawl("nightly") is None
    assert archive.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert archive.integrity_check() == "ok"


def test_reopen_keeps_data_and_upgrades_schema(tmp_path):
    path = tmp_path / "old.db"
    with Archive(path) as a:
        a.add_capture("http://a.test/", status=200, body=b"abc")
        a.db.execute("CREATE TABLE extra_by_someone_else (x)")
    with Archive(path) as a:
        assert a.snapshot_bytes(sha256_hex(b"abc")) == b"abc"
        assert a.db["extra_by_someone_else"].exists()


def test_not_a_database_is_a_clear_error_and_untouched(tmp_path):
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ArchiveError):
        open_archive(path)
    assert path.read_bytes() == b"this is not sqlite" * 100
