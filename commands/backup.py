"""``scrapy backup -o FILE``: a consistent copy of a live archive (SQLite online backup API).

    scrapy backup -o backups/nianbao-2026-11-30.db [--db PATH] [--step-pages 1024]
    scrapy restore backups/nianbao-2026-11-30.db [--db PATH] [--force]

Why the backup API and not ``cp``: a crawl writes the archive in WAL mode; copying the main file
while transactions sit in the WAL (or while a checkpoint runs) gives a torn or stale copy. The
backup API copies the pages of one committed state. By default it copies everything in one step,
inside one read transaction: in WAL mode a reader never blocks the writer, so a crawl keeps
committing while the copy runs, and the copy cannot be restarted forever by a busy writer (a
stepped copy, ``--step-pages N``, restarts whenever another connection writes). The
copy is written to ``FILE.partial``, checked (``PRAGMA integrity_check``) and only then renamed to
``FILE``: a backup that exists is complete.

Restore (``commands/restore.py``) checks the backup, then copies it page by page into the target
through the same API (so the target's WAL and any reader stay consistent). Stop crawls on the
target first; restore refuses to overwrite an existing archive without ``--force``.

By hand, without Scrapy: ``sqlite3 data/nianbao.db ".backup backups/copy.db"`` is the same API.
"""
from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError


class BackupError(Exception):
    pass


def _summary(path: str | os.PathLike) -> dict[str, int]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = {}
        for table in ("captures", "snapshots", "reports", "cells"):
            try:
                out[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            except sqlite3.OperationalError:
                pass
        return out
    finally:
        con.close()


def check(path: str | os.PathLike) -> str:
    """``PRAGMA integrity_check`` of a database file, opened read-only."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "; ".join(r[0] for r in con.execute("PRAGMA integrity_check"))
    except sqlite3.DatabaseError as exc:
        return f"not a database: {exc}"
    finally:
        con.close()


def backup_archive(source: str | os.PathLike, target: str | os.PathLike, *, step_pages: int = 0,
                   pause: float = 0.0, timeout: float = 60.0) -> dict[str, int]:
    """Copy the live archive ``source`` to ``target`` (atomically); returns the row counts copied."""
    src_path, dst_path = Path(source), Path(target)
    if not src_path.exists():
        raise BackupError(f"no archive at {src_path}")
    if dst_path.resolve() == src_path.resolve():
        raise BackupError("the backup must not overwrite the archive itself")
    dst_path.parent.mkdir(parents=True, exist_ok=True)
    partial = dst_path.with_name(dst_path.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True, timeout=timeout)
    dst = sqlite3.connect(partial)
    try:
        src.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        src.backup(dst, pages=step_pages if step_pages > 0 else -1, sleep=pause)
        dst.execute("PRAGMA journal_mode = DELETE")   # a single self-contained file
    except sqlite3.DatabaseError as exc:
        dst.close()
        partial.unlink(missing_ok=True)
        raise BackupError(f"{src_path}: {exc}") from exc
    finally:
        src.close()
    dst.close()
    verdict = check(partial)
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {verdict}")
    os.replace(partial, dst_path)
    return _summary(dst_path)


def restore_archive(backup: str | os.PathLike, target: str | os.PathLike, *, force: bool = False,
                    timeout: float = 60.0) -> dict[str, int]:
    """Copy a checked backup into ``target`` (created, or replaced with ``force``)."""
    b, t = Path(backup), Path(target)
    if not b.exists():
        raise BackupError(f"no backup at {b}")
    verdict = check(b)
    if verdict != "ok":
        raise BackupError(f"{b} is not a sound backup: {verdict}")
    if t.exists() and t.stat().st_size > 0 and not force:
        raise BackupError(f"{t} exists; pass --force to replace it with the backup")
    t.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{b}?mode=ro", uri=True)
    dst = sqlite3.connect(t, timeout=timeout)
    try:
        dst.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = WAL")      # the archive's mode (archive/db.py)
    finally:
        src.close()
        dst.close()
    verdict = check(t)
    if verdict != "ok":
        raise BackupError(f"restored archive failed its integrity check: {verdict}")
    return _summary(t)


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "-o FILE [--db PATH]"

    def short_desc(self) -> str:
        return "Back up the archive while it is in use (SQLite backup API, checked, atomic)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", dest="output", help="backup file to write")
        parser.add_argument("--db", dest="db", help="archive (default: the NIANBAO_DB setting)")
        parser.add_argument("--step-pages", type=int, default=0,
                            help="pages per step (default 0: all in one read transaction, best in WAL mode)")

    def run(self, args: list[str], opts) -> None:
        if args or not opts.output:
            raise UsageError("usage: scrapy backup -o FILE [--db PATH]")
        db = opts.db or self.settings.get("NIANBAO_DB")
        started = time.monotonic()
        try:
            counts = backup_archive(db, opts.output, step_pages=opts.step_pages,
                                    timeout=self.settings.getfloat("NIANBAO_DB_TIMEOUT", 60))
        except BackupError as exc:
            print(f"backup: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        size = Path(opts.output).stat().st_size
        print(f"backed up {db} to {opts.output} ({size} bytes, integrity ok, "
              f"{time.monotonic() - started:.1f} s): " + ", ".join(f"{n} {t}" for t, n in counts.items()))
