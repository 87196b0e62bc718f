"""BodiesRefresh: after a crawl, regroup the archive's reports into bodies and cross-check years.

Why an extension and not a command the user must remember: identities and cross-report findings
(``agencies``) depend on every report in the archive, so they are stale after each crawl that
adds or changes one. At ``spider_closed`` (the pipelines have flushed by then) this runs the same
``agencies.store.compute`` that ``scrapy agencies`` runs.

Why in a child process: the computation reads the whole archive (every report's cells), so its
memory grows with the archive; a crawl process must keep a flat RSS however big the archive is
(issue 11), and a child returns all of it to the system when it exits. A failure is logged,
never fatal: the crawl's data is already stored, and ``scrapy agencies`` can be run by hand.

Off with ``-s NIANBAO_BODIES_ON_CLOSE=0``; off on distributed workers, which do not own the
archive (the writer's operator runs ``scrapy agencies``).
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)

#: the child's program: compute, store, print a one-line JSON summary
_CHILD = (
    "import json, sys\n"
    "from agencies import store\n"
    "r = store.compute(sys.argv[1])\n"
    "print(json.dumps({'reports': r.n_reports, 'bodies': len(r.resolution.bodies),"
    " 'cross_findings': len(r.findings)}))\n"
)


def refresh_bodies(db_path: str | Path, timeout: float = 600.0) -> dict[str, int]:
    """Run ``agencies.store.compute`` on ``db_path`` in a child process; return its summary.

    Raises ``RuntimeError`` with the child's last words when it fails or takes too long."""
    import agencies

    root = str(Path(agencies.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(Path(db_path).resolve())],
                              capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"took longer than {timeout:g}s") from exc
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr or proc.stdout).strip()[-1500:] or f"exit status {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


class BodiesRefresh:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.timeout = crawler.settings.getfloat("NIANBAO_BODIES_TIMEOUT", 600.0)

    @classmethod
    def from_crawler(cls, crawler) -> "BodiesRefresh":
        s = crawler.settings
        if not s.getbool("NIANBAO_BODIES_ON_CLOSE", True):
            raise NotConfigured
        if s.getbool("NIANBAO_DISTRIBUTED") or s.get("REDIS_URL"):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider, reason: str) -> None:
        if getattr(self.crawler, "nianbao_refused", None):
            return
        from archive.runtime import session_for

        archive = session_for(self.crawler).archive
        if not archive.db["reports"].exists() or not archive.db["reports"].count:
            return
        try:
            summary = refresh_bodies(self.crawler.settings.get("NIANBAO_DB", "data/nianbao.db"), self.timeout)
        except (RuntimeError, OSError, ValueError) as exc:
            logger.error("bodies not refreshed (run `scrapy agencies` to retry): %s", exc)
            return
        self.crawler.stats.set_value("nianbao/bodies", summary.get("bodies"))
        self.crawler.stats.set_value("nianbao/cross_findings", summary.get("cross_findings"))
        logger.info("bodies: %s reports in %s bodies, %s cross-report findings",
                    summary.get("reports"), summary.get("bodies"), summary.get("cross_findings"))
