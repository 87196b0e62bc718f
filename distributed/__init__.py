"""Distributed crawling on scrapy-redis, with one archive writer.

Why this package exists: one machine is not enough for a national crawl, yet the archive must
stay one consistent SQLite file. So the work splits in two roles:

* **workers** (any number, any machine) run the normal spider with the Redis scheduler of
  scrapy-redis (:mod:`distributed.scheduler`): they share one request queue and one fingerprint
  set, obey global per-host limits (:mod:`distributed.politeness`) and push every item, raw bytes
  included, to a Redis stream (:mod:`distributed.pipelines`) instead of touching SQLite;
* **one archive writer** (``scrapy archive-writer``, :mod:`distributed.writer`) owns the SQLite
  file, reads the stream with a consumer group and feeds each item through the project's own
  archive/store pipelines, acknowledging it only after the SQLite commit.

The switch is a setting (``NIANBAO_DISTRIBUTED=1`` or ``REDIS_URL=...``), applied by the add-on
in :mod:`distributed.addon`. See docs/distributed.md.
"""
