"""Downloader middlewares and network helpers (politeness, resolution, hostile servers)."""
