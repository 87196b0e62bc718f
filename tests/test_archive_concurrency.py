"""Two processes on one archive cooperate (WAL, busy timeout, one transaction per item); two
processes on one named job do not: the second is refused with a clear message."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from archive.db import Archive
from archive.frontier import Frontier, JobLock, JobLocked
from archive.snapshots import sha256_hex

ROOT = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from archive.db import Archive
    from archive.store import SourceDoc, store_document
    name, path = sys.argv[1], sys.argv[2]
    a = Archive(path, timeout=30)
    crawl = a.start_crawl("writer-" + name)
    for i in range(150):
        shared = ("shared page %d " % (i % 20)).encode() * 40
        own = ("%s own page %d " % (name, i)).encode() * 40
        a.add_capture("http://s.test/%d" % (i % 20), status=200, body=shared, crawl_id=crawl)
        cid = a.add_capture("http://%s.test/%d" % (name, i), status=200, body=own, crawl_id=crawl)
        if i % 10 == 0:
            store_document(a, SourceDoc(url="http://r.test/%d" % (i // 10), sha256=a.capture(cid)["sha256"],
                                        role="article", capture_id=cid, crawl_id=crawl, classification="report",
                                        content_key="k%d" % (i // 10)),
                           {{"format": "2021", "meta": {{"agency": "A", "report_year": 2024}},
                             "cells": {{"t3.new.total": i // 10}}, "raw": {{}}, "findings": []}}, None)
    a.finish_crawl(crawl, "finished")
    print("ok", name)
""")


def test_two_writer_processes_cooperate(tmp_path):
    db = tmp_path / "shared.db"
    Archive(db).close()
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(root=str(ROOT)))
    procs = [subprocess.Popen([sys.executable, str(script), name, str(db)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for name in ("one", "two")]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-1500:] for o in outs]
    with Archive(db) as a:
        assert a.integrity_check() == "ok"
        assert a.db["captures"].count == 600
        assert a.db["snapshots"].count == 20 + 300                      # shared bodies stored once
        assert a.db["reports"].count == 15                              # same report URLs: no duplicates
        assert a.db.execute("SELECT count(*) FROM (SELECT report_id, code FROM cells GROUP BY 1, 2 "
                            "HAVING count(*) > 1)").fetchone()[0] == 0
        for sha, in a.db.execute("SELECT sha256 FROM snapshots").fetchall():
            assert sha256_hex(a.snapshot_bytes(sha, verify=False)) == sha


def test_second_process_on_a_job_is_refused(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from archive.frontier import JobLock
        held = JobLock({str(tmp_path / 'job')!r}); held.acquire()
        print("locked", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(JobLocked, match=r"in use by pid \d+"):
            JobLock(tmp_path / "job").acquire("job 'nightly'")
    finally:
        holder.kill()
        holder.wait()
    lock = JobLock(tmp_path / "job")   # a dead holder leaves no stale lock
    lock.acquire()
    lock.release()


def test_frontier_survives_reopen_and_recovers_inflight(tmp_path):
    f = Frontier(tmp_path / "f.sqlite")
    assert f.push({"url": "http://a/1"}, "fp1", 0) is not None
    assert f.push({"url": "http://a/1"}, "fp1", 0) is None          # seen
    assert f.push({"url": "http://a/2"}, "fp2", 5) is not None
    row, data = f.pop()
    assert data["url"] == "http://a/2"                               # priority first
    f.close()                                                        # as if killed here
    g = Frontier(tmp_path / "f.sqlite")
    assert g.has_state() and g.recover() == 1 and g.pending() == 2
    row2, _ = g.pop()
    retry = g.push({"url": "http://a/2", "retry": 1}, None, 5, supersedes=row2)
    assert retry is not None and g.counts() == {"done": 1, "pending": 2}
    g.reset()
    assert not g.has_state()
