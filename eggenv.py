"""Run from a directory even when Scrapyd hands us a zipped egg.

Why: Scrapyd puts the uploaded ``.egg`` (a zip file) on ``sys.path`` and imports the project from
it, but nianbao's modules read their data tables (``data/cells.csv`` …) as ordinary files next
to the code, and some call tools that need real paths. ``ensure_unpacked()`` — called by
``settings`` before anything else of the project is imported — unpacks the egg once into a cache
directory keyed by its sha256 and puts that directory first on ``sys.path``, so every module
imported afterwards (spiders, pipelines, extraction) comes from real files. Outside an egg it
does nothing.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import zipfile
import zipimport
from pathlib import Path


def _egg_path() -> str | None:
    loader = globals().get("__loader__")
    if isinstance(loader, zipimport.zipimporter):
        return loader.archive
    return None


def ensure_unpacked() -> Path | None:
    """Unpack the egg this module was imported from (if any); return the directory used."""
    egg = _egg_path()
    if egg is None:
        return None
    digest = hashlib.sha256()
    with open(egg, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    cache = Path(os.environ.get("NIANBAO_EGG_CACHE") or tempfile.gettempdir())
    target = cache / f"nianbao-egg-{digest.hexdigest()[:20]}"
    if not (target / ".complete").exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".nianbao-egg-", dir=cache))
        try:
            with zipfile.ZipFile(egg) as zf:
                zf.extractall(tmp)
            (tmp / ".complete").write_text(egg + "\n", encoding="utf-8")
            try:
                os.replace(tmp, target)
            except OSError:  # another job unpacked the same egg first
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    if str(target) not in sys.path:
        sys.path.insert(0, str(target))
    return target
