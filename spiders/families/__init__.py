"""CMS families: one small adapter module per family (see ``base.py`` for the interface)."""
from .base import Article, Family, Link, ListEntry
from .registry import detect_family, families, get_family

__all__ = ["Article", "Family", "Link", "ListEntry", "detect_family", "families", "get_family"]
