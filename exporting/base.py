"""What every exporter shares: the result record and writing outputs atomically.

Why atomic: a scheduled export that dies half way (disk full, Ctrl-C) must not leave a truncated
file where last week's complete one used to be. Outputs are written beside the target and renamed
into place only when complete.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator


@dataclass
class ExportStats:
    format: str
    path: Path
    reports: int = 0
    rows: int = 0
    files: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.format}: {self.reports:,} reports, {self.rows:,} rows -> {self.path}"


def output_file(path: str | Path, default_name: str) -> Path:
    """``-o`` may name a file or an existing directory (then ``default_name`` inside it)."""
    p = Path(path)
    if p.is_dir() or str(path).endswith(("/", os.sep)):
        p.mkdir(parents=True, exist_ok=True)
        return p / default_name
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it over ``target`` on success."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; an export is for sharing
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a temporary directory next to ``target``; swap it into place on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
