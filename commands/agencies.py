"""``scrapy agencies``: (re)compute body identities and cross-report findings on an archive.

Reads the reports of ``NIANBAO_DB`` (or ``--db``), groups them into bodies (see
``agencies.identity``), checks consecutive years (``agencies.crosscheck``), stores everything in
the body tables and prints a summary. ``--quality`` prints the per body-year quality view
instead (``--json`` for JSON lines). Safe to re-run: results replace the previous run's, and
body ids are carried over.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from agencies import overrides, quality, store


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--db PATH] [--overrides CSV] [--quality [--body NAME]] [--json]"

    def short_desc(self) -> str:
        return "Group reports into bodies across years, cross-check them, show data quality"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--db", help="archive database (default: the NIANBAO_DB setting)")
        parser.add_argument("--overrides", help="pins/merges CSV (default: data/agency_overrides.csv)")
        parser.add_argument("--quality", action="store_true", help="print the quality view, do not recompute")
        parser.add_argument("--body", help="with --quality: only bodies whose id or name contains this")
        parser.add_argument("--json", action="store_true", help="JSON lines instead of a table")
        parser.add_argument("--new-ids", action="store_true", help="do not carry body ids over from the last run")

    def run(self, args: list[str], opts) -> None:
        path = Path(opts.db or self.settings.get("NIANBAO_DB", "data/nianbao.db"))
        if not path.exists():
            raise UsageError(f"no archive at {path}")
        if opts.quality:
            self._print_quality(path, opts)
            return
        try:
            result = store.compute(path, opts.overrides, keep_ids=not opts.new_ids)
        except overrides.OverrideError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        res = result.resolution
        rules = Counter(f.rule for f in result.findings)
        multi = [b for b in res.bodies.values() if len({n for n, s in b.names if s == "agency"}) > 1]
        out = {
            "reports": result.n_reports,
            "bodies": len(res.bodies),
            "bodies_with_several_names": len(multi),
            "cross_findings": dict(sorted(rules.items())),
            "jump_factors": {k: {"factor": v.factor, "source": v.source, "pairs": v.pairs}
                             for k, v in result.factors.items()},
            "quality": quality.summary(path),
        }
        if opts.json:
            print(json.dumps(out, ensure_ascii=False))
            return
        print(f"{out['reports']} reports → {out['bodies']} bodies "
              f"({out['bodies_with_several_names']} seen under several names)")
        for rule, n in out["cross_findings"].items():
            print(f"  {rule:18} {n}")
        for fam, f in out["jump_factors"].items():
            print(f"  jump factor {fam:10} {f['factor']:g} ({f['source']}, {f['pairs']} pairs)")
        q = out["quality"]
        if q:
            print(f"  body-years: {q['present']} present, {q['missing']} missing; mean score {q['mean_score']}")

    def _print_quality(self, path: Path, opts) -> None:
        rows = quality.rows(path, opts.body)
        if not rows:
            print("no quality view yet: run `scrapy agencies` first", file=sys.stderr)
            self.exitcode = 1
            return
        if opts.json:
            for r in rows:
                print(json.dumps(r, ensure_ascii=False))
            return
        print(f"{'score':>5}  {'year':4}  {'status':7}  {'format':7}  body / findings")
        for r in rows:
            print(f"{r['score']:>5}  {r['year'] or '?':>4}  {r['status']:7}  {r['format'] or '':7}  "
                  f"{r['body']}  {r['findings'] or ''}")
