"""Data safety: ``kill -9`` in the middle of write transactions, and backup/restore of a live archive.

A writer process stores batches of captures (each batch one ``Archive.transaction()``, bodies of
deterministic content) and reports every committed batch on stdout. The test kills it with
SIGKILL at random moments — nearly always inside a transaction, since a batch takes far longer
than the gap between batches — restarts it, kills it again, and after each kill checks:
``PRAGMA integrity_check`` is ``ok``; every batch the writer reported committed is there, bodies
byte-identical (sha256 verified); no batch is half there (transactions are atomic).

(A real power cut differs from a killed process: with ``synchronous=NORMAL`` in WAL mode the last
transactions before the cut may be lost, never the file's integrity. The kill test proves the
atomicity and integrity part; the durability of the last commit on power loss is what
``synchronous=NORMAL`` trades for speed, see archive/db.py.)

Backup: ``scrapy backup -o`` while a writer commits continuously; the copy is sound, holds a
consistent prefix of the writer's batches, and ``scrapy restore`` brings it back.
"""
from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from commands.backup import BackupError, backup_archive, restore_archive

ROOT = Path(__file__).resolve().parent.parent
BATCH = 40

WRITER = r'''
import hashlib, sys, time
sys.path.insert(0, {root!r})
from archive.db import Archive
db, batch, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
archive = Archive(db, timeout=30)
start = archive.db.execute("select count(*) from captures where url like 'http://power.test/%'").fetchone()[0]
b = start // batch
print("ready", flush=True)
while True:
    with archive.transaction():
        for i in range(b * batch, (b + 1) * batch):
            body = (f"<html>capture {{i}} ".encode() + hashlib.sha256(str(i).encode()).digest() * (50 + i % 400))
            archive.add_capture(f"http://power.test/{{i}}", status=200, body=body, role="article",
                                content_type="text/html")
    print(b, flush=True)
    b += 1
    if pause:
        time.sleep(pause)
'''


def body_of(i: int) -> bytes:
    return f"<html>capture {i} ".encode() + hashlib.sha256(str(i).encode()).digest() * (50 + i % 400)


def start_writer(db: Path, tmp: Path, pause: float = 0.0) -> subprocess.Popen:
    script = tmp / "writer.py"
    script.write_text(WRITER.format(root=str(ROOT)))
    proc = subprocess.Popen([sys.executable, str(script), str(db), str(BATCH), str(pause)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    return proc


def committed_batches(proc: subprocess.Popen) -> list[int]:
    out = proc.stdout.read() if proc.stdout else ""
    return [int(x) for x in out.split()]


def verify(db: Path, upto_batches: int) -> int:
    """Integrity ok, every reported batch present and byte-identical, no partial batch; → captures."""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = con.execute("select c.url, c.sha256, c.size, s.size from captures c "
                           "join snapshots s on s.sha256 = c.sha256 where c.url like 'http://power.test/%'").fetchall()
    finally:
        con.close()
    n = len(rows)
    assert n % BATCH == 0, f"{n} captures: a transaction was half applied"
    assert n >= upto_batches * BATCH, f"{n} captures, but {upto_batches} batches were reported committed"
    seen = set()
    for url, sha, size, ssize in rows:
        i = int(url.rsplit("/", 1)[1])
        body = body_of(i)
        assert sha == hashlib.sha256(body).hexdigest() and size == len(body) == ssize, url
        seen.add(i)
    assert seen == set(range(n))
    return n


@pytest.mark.slow
def test_kill_9_during_write_transactions(tmp_path):
    from archive.db import Archive
    db = tmp_path / "power.db"
    rnd = random.Random(11)
    total_reported = 0
    kills = 0
    for _round in range(6):
        proc = start_writer(db, tmp_path)
        time.sleep(rnd.uniform(0.8, 2.0))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        kills += 1
        reported = committed_batches(proc)
        if reported:
            total_reported = max(total_reported, reported[-1] + 1)
        n = verify(db, total_reported)
        assert n // BATCH >= total_reported
    assert kills == 6 and total_reported >= 6, total_reported
    # the archive opens normally for writing afterwards (WAL recovered)
    with Archive(db) as archive:
        assert archive.integrity_check() == "ok"
        archive.add_capture("http://power.test/after", status=200, body=b"after the crash")


def _scrapy(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.slow
def test_backup_of_a_live_archive_and_restore(tmp_path):
    db = tmp_path / "live.db"
    proc = start_writer(db, tmp_path, pause=0.02)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:     # let it build a few MB first
            if db.exists() and db.stat().st_size > 2_000_000:
                break
            time.sleep(0.2)
        backups = [tmp_path / "backup0.db", tmp_path / "backup1.db"]
        # two backups while the writer keeps committing: the command, then the function it runs
        res = _scrapy("backup", "-o", str(backups[0]), "--db", str(db))
        assert res.returncode == 0, res.stderr
        assert "integrity ok" in res.stdout
        time.sleep(0.5)
        backup_archive(db, backups[1])
        assert proc.poll() is None, "the writer must still be running (never blocked out)"
    finally:
        proc.kill()
        proc.wait(timeout=10)
    reported = committed_batches(proc)
    n0, n1 = verify(backups[0], 0), verify(backups[1], 0)
    assert 0 < n0 <= n1, (n0, n1)
    assert n1 > n0, "the writer committed between the backups"
    assert not list(tmp_path.glob("*.partial"))
    live = verify(db, reported[-1] + 1 if reported else 0)
    assert live >= n1

    # restore into a new place; refusing to overwrite without --force
    target = tmp_path / "restored" / "nianbao.db"
    res = _scrapy("restore", str(backups[1]), "--db", str(target))
    assert res.returncode == 0, res.stderr
    assert verify(target, 0) == n1
    with pytest.raises(BackupError, match="--force"):
        restore_archive(backups[0], target)
    restore_archive(backups[0], target, force=True)
    assert verify(target, 0) == n0
    # a damaged backup is refused before anything is touched
    broken = tmp_path / "broken.db"
    data = bytearray(backups[0].read_bytes())
    data[len(data) // 2: len(data) // 2 + 8192] = os.urandom(8192)
    broken.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="not a sound backup"):
        restore_archive(broken, target, force=True)
    assert verify(target, 0) == n0
    # the backup never overwrites the archive itself
    with pytest.raises(BackupError):
        backup_archive(target, target)
