"""The generic fallback: any site with plain "下一页 / 下页 / 尾页" links and dated list rows.

Everything it does is the base class's default behaviour; it exists as a module so that the
registry always has a family to fall back on, and so that `family="generic"` can be pinned in
``data/portals.csv`` for a site whose CMS is unknown.
"""
from __future__ import annotations

from scrapy.http import Response

from .base import Family


class GenericFamily(Family):
    name = "generic"
    priority = 0

    def detect(self, response: Response) -> bool:
        return True
