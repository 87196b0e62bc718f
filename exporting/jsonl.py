"""JSON lines: one object per report, shaped like ``scrapy extract``'s output.

Why that shape: a consumer that reads ``scrapy extract`` lines reads an export with the same code
(``format``, ``cells``, ``raw``, ``findings``), plus the archive's report metadata.
"""
from __future__ import annotations

import json
from pathlib import Path

from .base import ExportStats, atomic_file, output_file
from .progress import Progress
from .query import Archive

DEFAULT_NAME = "reports.jsonl"


def export(archive: Archive, out: str | Path, progress: Progress) -> ExportStats:
    target = output_file(out, DEFAULT_NAME)
    stats = ExportStats("jsonl", target)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with atomic_file(target) as tmp, tmp.open("w", encoding="utf-8") as fh:
        for report, cells, findings in archive.iter_reports_with_findings():
            obj = dict(report)
            obj["cells"] = {c.code: c.value for c in cells}
            obj["raw"] = {c.code: c.raw for c in cells}
            obj["findings"] = findings
            fh.write(dumps(obj))
            fh.write("\n")
            stats.reports += 1
            stats.rows += 1
            progress.advance()
    stats.files.append(target)
    return stats
