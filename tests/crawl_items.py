"""Crawl in a subprocess with the archive pipelines replaced by a dump of the spider's items.

Why: the spider's own decisions (what it fetched, how it classified it, which bytes it handed
on) are tested apart from extraction and storage; the item dump keeps every field except the
body, which is replaced by its sha256 and length (bytes as served, hashed in the crawl process).
Politeness delays are off; the demo portal's names are mapped to 127.0.0.1 via NIANBAO_RESOLVE.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent


class DumpPipeline:
    """Item pipeline used only by these tests (``-s ITEM_PIPELINES={"crawl_items.DumpPipeline": 1}``)."""

    def __init__(self, path: str) -> None:
        self.fh = open(path, "a", encoding="utf-8")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("NIANBAO_TEST_DUMP"))

    def process_item(self, item):
        data = {k: v for k, v in dict(item).items() if k != "body"}
        body = bytes(item.get("body") or b"")
        data["sha256"] = hashlib.sha256(body).hexdigest()
        data["size"] = len(body)
        self.fh.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
        self.fh.flush()
        return item

    def close_spider(self):
        self.fh.close()


@dataclass
class ItemCrawl:
    items: list[dict]
    log: str
    returncode: int
    stats: dict = field(default_factory=dict)

    def by_role(self, role: str) -> list[dict]:
        return [i for i in self.items if i.get("role") == role]

    def urls(self, role: str | None = None, classification: str | None = None) -> set[str]:
        return {i["url"] for i in self.items
                if (role is None or i.get("role") == role)
                and (classification is None or i.get("classification") == classification)}


def crawl_items(tmp: Path, start_urls: list[str] | None = None, *, resolve: dict[str, str] | None = None,
                settings: dict[str, object] | None = None, args: dict[str, str] | None = None,
                timeout: float = 90) -> ItemCrawl:
    dump = tmp / f"items-{len(list(tmp.glob('items-*.jsonl')))}.jsonl"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "annual_reports",
           "-s", 'ITEM_PIPELINES={"crawl_items.DumpPipeline": 1}', "-s", f"NIANBAO_TEST_DUMP={dump}",
           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO",
           "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.05", "-s", f"CLOSESPIDER_TIMEOUT={int(timeout - 10)}",
           "-s", f"NIANBAO_DB={tmp / 'unused.db'}"]
    if start_urls:
        cmd += ["-a", "start_urls=" + ",".join(start_urls)]
    if resolve:
        cmd += ["-s", "NIANBAO_RESOLVE=" + json.dumps(resolve)]
    for key, value in (settings or {}).items():
        cmd += ["-s", f"{key}={json.dumps(value) if isinstance(value, (dict, list)) else value}"]
    for key, value in (args or {}).items():
        cmd += ["-a", f"{key}={value}"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)
    items = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines()] if dump.exists() else []
    return ItemCrawl(items, proc.stdout + proc.stderr, proc.returncode, _stats(proc.stderr))


def _stats(log: str) -> dict:
    import ast
    start = log.rfind("Dumping Scrapy stats:")
    if start < 0:
        return {}
    text = log[start:].split("\n", 1)[1]
    end = text.find("}\n")
    try:
        return ast.literal_eval(text[:end + 1].replace("datetime.datetime", "").replace("tzinfo=datetime.timezone.utc", ""))
    except (ValueError, SyntaxError):
        out = {}
        for line in text[:end].splitlines():
            if ":" in line:
                k, _, v = line.strip(" {},").partition(":")
                try:
                    out[k.strip().strip("'")] = int(v.strip().rstrip(","))
                except ValueError:
                    pass
        return out
