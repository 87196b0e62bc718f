"""A crawl frontier that survives ``kill -9``: pending requests and seen fingerprints in SQLite.

Why not Scrapy's own ``JOBDIR`` queues: they keep their bookkeeping in memory and write it on a
clean shutdown only (the LIFO disk queue's size header, ``requests.seen`` buffered in a file
object), so a process killed hard resumes with a queue that lies and fingerprints of requests
that were never fetched — pages are silently missed. Here every change is one SQLite
transaction (WAL), and a request moves ``pending → inflight → done`` only when its response and
every item it produced have been handled; a resume puts ``inflight`` rows back to ``pending``.
The cost is at-least-once: after a crash a few pages are fetched again, which the archive absorbs
(content-addressed snapshots, idempotent report upserts).
"""
from __future__ import annotations

import fcntl
import os
import pickle
import sqlite3
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    fp TEXT UNIQUE,              -- NULL for dont_filter requests (never deduplicated)
    state TEXT NOT NULL,         -- pending | inflight | done
    priority INTEGER NOT NULL,
    url TEXT,
    data BLOB NOT NULL           -- pickled Request.to_dict(spider=...)
);
CREATE INDEX IF NOT EXISTS requests_next ON requests(state, priority DESC, id);
CREATE TABLE IF NOT EXISTS frontier_meta (key TEXT PRIMARY KEY, value TEXT);
"""


class JobLocked(RuntimeError):
    """Another live process is running the same named crawl."""


class JobLock:
    """An advisory lock on a job directory: released by the kernel when the holder dies, so a
    crashed crawl never leaves a stale lock behind, and a second live process is refused.

    A POSIX record lock (``lockf``), not ``flock``: record locks are not inherited across
    ``fork``, so a reader child process (PDF, OCR) that outlives a killed crawl does not keep the
    job locked."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.path = Path(directory) / "lock"
        self.fh = None

    def acquire(self, what: str = "crawl") -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")
        try:
            fcntl.lockf(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise JobLocked(f"{what} {self.path.parent} is in use by {holder}; wait for it to finish "
                            f"(or stop it) — two processes must not share one job's state") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {os.uname().nodename}")
        fh.flush()
        self.fh = fh

    def release(self) -> None:
        if self.fh is not None:
            fcntl.lockf(self.fh.fileno(), fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None


class Frontier:
    """The persistent queue + seen set of one named crawl (one file in its job directory)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    # -- state of the job
    def has_state(self) -> bool:
        """Is there an unfinished crawl to resume (anything not done)?"""
        return self.conn.execute("SELECT 1 FROM requests WHERE state != 'done' LIMIT 1").fetchone() is not None

    def recover(self) -> int:
        """After a crash: requests that were in flight are pending again. Returns how many."""
        return self.conn.execute("UPDATE requests SET state = 'pending' WHERE state = 'inflight'").rowcount

    def reset(self) -> None:
        """The crawl finished: forget it, so the next run of the job starts afresh."""
        self.conn.execute("DELETE FROM requests")
        self.conn.execute("DELETE FROM frontier_meta")

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM frontier_meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO frontier_meta (key, value) VALUES (?, ?)", [key, value])

    # -- queue
    def push(self, data: dict[str, Any], fp: str | None, priority: int, url: str | None = None,
             supersedes: int | None = None) -> int | None:
        """Add a request unless its fingerprint was seen; returns its row id (None when a duplicate).

        ``supersedes`` names the in-flight row this request replaces (a retry, a redirect): both
        change in one transaction, so a crash never loses the pair.
        """
        blob = pickle.dumps(data, protocol=4)
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if fp is not None and conn.execute("SELECT 1 FROM requests WHERE fp = ?", [fp]).fetchone():
                row_id = None
            else:
                row_id = conn.execute(
                    "INSERT INTO requests (fp, state, priority, url, data) VALUES (?, 'pending', ?, ?, ?)",
                    [fp, priority, url, blob]).lastrowid
            if supersedes is not None:
                conn.execute("UPDATE requests SET state = 'done' WHERE id = ? AND state = 'inflight'", [supersedes])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return row_id

    def pop(self) -> tuple[int, dict[str, Any]] | None:
        row = self.conn.execute(
            "SELECT id, data FROM requests WHERE state = 'pending' ORDER BY priority DESC, id LIMIT 1").fetchone()
        if row is None:
            return None
        self.conn.execute("UPDATE requests SET state = 'inflight' WHERE id = ?", [row[0]])
        return row[0], pickle.loads(row[1])

    def done(self, row_id: int) -> None:
        self.conn.execute("UPDATE requests SET state = 'done' WHERE id = ?", [row_id])

    def pending(self) -> int:
        return self.conn.execute("SELECT count(*) FROM requests WHERE state = 'pending'").fetchone()[0]

    def counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT state, count(*) FROM requests GROUP BY state").fetchall())
