"""Scrapy extensions: crawl history (one `crawls` row per run) ..."""
