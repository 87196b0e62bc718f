"""Bodies across years (issue 10): who published each report, and do their years agree?

Scrapy-free. Modules, in the order data flows:

- :mod:`agencies.region`    — region chain and level from a name, a portal, the region table;
- :mod:`agencies.names`     — a name → region + canonical organ → a name key (``320813:人民政府``);
- :mod:`agencies.overrides` — user pins/merges in ``data/agency_overrides.csv``;
- :mod:`agencies.identity`  — reports → bodies from the strongest evidence, ids kept stable;
- :mod:`agencies.crosscheck` — ``x.*`` findings between a body's consecutive reports;
- :mod:`agencies.store`     — read the archive, write ``bodies``/``body_names``/``report_body``/
  ``body_years``/``cross_findings`` in one transaction;
- :mod:`agencies.quality`   — the ``body_quality`` view, Datasette canned queries, export rows.

Run ``scrapy agencies`` after a crawl (or a re-extraction) to recompute everything;
``scrapy agencies --quality`` prints the quality view.
"""
