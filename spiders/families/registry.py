"""Discover the family adapters and pick the one that serves a page.

Why discovery instead of a hand-kept list: family modules are written in parallel by different
people; a new module ``spiders/families/<name>.py`` defining a ``Family`` subclass with a
``name`` is picked up without touching any shared file.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from scrapy.http import Response

from .base import Family

_SKIP = {"base", "registry", "labels"}


@lru_cache(maxsize=None)
def families() -> tuple[Family, ...]:
    """One instance per family, in detection order (priority high → low, then name)."""
    from . import __path__ as pkg_path, __name__ as pkg_name

    found: dict[str, Family] = {}
    for mod in pkgutil.iter_modules(pkg_path):
        if mod.name in _SKIP or mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{pkg_name}.{mod.name}")
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, Family) and obj is not Family
                    and obj.__module__ == module.__name__ and obj.name):
                found.setdefault(obj.name, obj())
    return tuple(sorted(found.values(), key=lambda f: (-f.priority, f.name)))


def get_family(name: str) -> Family:
    for fam in families():
        if fam.name == name:
            return fam
    raise KeyError(f"unknown CMS family {name!r}; known: {', '.join(f.name for f in families())}")


def detect_family(response: Response) -> Family:
    """The first family whose ``detect`` accepts the page; the generic fallback otherwise."""
    for fam in families():
        try:
            if fam.detect(response):
                return fam
        except Exception:  # a detector choking on odd bytes must not stop the crawl
            continue
    return get_family("generic")
