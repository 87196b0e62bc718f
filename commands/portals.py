"""``scrapy portals``: list the portal registry and validate every entry (no network).

    scrapy portals                 # table of entries, then problems; exit 1 if any
    scrapy portals --check         # problems only
    scrapy portals --json          # entries and problems as JSON
    scrapy portals -f OTHER.csv    # another registry file

Checks (``spiders/registry_check.py``): columns present, names unique and well-formed, family
known to ``spiders.families``, start URLs well-formed and inside the allowed domains, no start URL
shared by two entries, ``verified`` yes/no, demo entries only on ``*.test`` hosts.
"""
from __future__ import annotations

import json
from pathlib import Path

from scrapy.commands import ScrapyCommand

from spiders.families import families
from spiders.registry_check import check

ROOT = Path(__file__).resolve().parents[1]


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "List the portal registry (data/portals.csv) and validate its entries"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("-f", "--file", help="registry CSV (default: NIANBAO_PORTALS or data/portals.csv)")
        parser.add_argument("--check", action="store_true", help="print problems only")
        parser.add_argument("--json", action="store_true", help="entries and problems as JSON")

    def run(self, args: list[str], opts) -> None:
        path = opts.file or self.settings.get("NIANBAO_PORTALS") or ROOT / "data" / "portals.csv"
        report = check(path, {f.name for f in families()})
        if opts.json:
            print(json.dumps({
                "file": str(path), "ok": report.ok,
                "entries": [{"name": e.name, "family": e.family, "verified": e.verified == "yes",
                             "start_urls": e.start_urls, "allowed_domains": e.allowed_domains, "note": e.note}
                            for e in report.entries],
                "problems": [{"line": ln, "name": n, "problem": m} for ln, n, m in report.problems],
            }, ensure_ascii=False, indent=1))
        else:
            if not opts.check:
                width = max([len(e.name) for e in report.entries] + [4])
                print(f"{'name':{width}}  {'family':12} verified  start URLs")
                for e in report.entries:
                    print(f"{e.name:{width}}  {e.family:12} {e.verified:8}  {' '.join(e.start_urls)}")
                print(f"\n{len(report.entries)} entries in {path}")
            for line, name, message in report.problems:
                print(f"{path}:{line}: {name or '-'}: {message}")
            if report.ok and not opts.check:
                print("all entries valid")
        if not report.ok:
            self.exitcode = 1
