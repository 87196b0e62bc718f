"""Archives for the agency and cross-check tests, built from the corpus's gold values.

A database with the spec's minimum schema (reports, cells, findings) is written with sqlite-utils;
gold cells stand in for extracted cells, and the arithmetic findings come from the project's rule
module, as extraction would store them. Synthetic neighbours are derived from real gold values by
:func:`neighbour`, which changes only what a test names.
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import sqlite_utils

from extraction import rules

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"


def gold(slug: str) -> dict[str, Any]:
    return json.loads((CORPUS / slug / "gold.json").read_text(encoding="utf-8"))


def min_db(path: Path) -> sqlite_utils.Database:
    """The spec's minimum schema (plus the report metadata columns it names)."""
    db = sqlite_utils.Database(path)
    db["snapshots"].create({"sha256": str, "content": bytes, "content_encoding": str, "content_type": str,
                            "size": int}, pk="sha256")
    db["captures"].create({"url": str, "fetched_at": str, "status": int, "sha256": str, "headers": str})
    db["reports"].create({"id": int, "url": str, "title": str, "agency": str, "report_year": int, "format": str,
                          "sha256": str, "index_no": str, "published": str, "publisher": str,
                          "attachment_of": str, "listed_on": str}, pk="id")
    db["cells"].create({"report_id": int, "code": str, "value": float, "raw": str}, pk=("report_id", "code"))
    db["findings"].create({"report_id": int, "rule": str, "detail": str})
    return db


def neighbour(slug: str, year: int, changes: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    """A synthetic report of the same body for another year: the real gold cells with ``changes``
    applied; meta (agency, publisher, title …) as given, else the real report's."""
    g = copy.deepcopy(gold(slug))
    g["meta"]["report_year"] = year
    g["meta"]["title"] = meta.pop("title", g["meta"]["title"].replace(str(gold(slug)["meta"]["report_year"]), str(year)))
    g["meta"].update(meta)
    g["cells"].update(changes or {})
    g["synthetic_from"] = slug
    return g


def add(db: sqlite_utils.Database, g: dict[str, Any], *, url: str | None = None, sha256: str | None = None,
        **row: Any) -> int:
    """Insert one report (gold dict) with its cells and arithmetic findings; returns its id."""
    m = g["meta"]
    cells = g.get("cells", {})
    body = json.dumps([m.get("agency"), m["report_year"], cells], ensure_ascii=False, sort_keys=True)
    rec = {
        "url": url or f"http://127.0.0.1/{m.get('agency')}/{m['report_year']}.html",
        "title": m.get("title"), "agency": m.get("agency"), "report_year": m["report_year"],
        "format": m.get("format"), "sha256": sha256 or hashlib.sha256(body.encode()).hexdigest(),
        "index_no": m.get("index_no"), "published": m.get("published"), "publisher": m.get("publisher"),
    }
    rec.update(row)
    rid = db["reports"].insert(rec).last_pk
    db["cells"].insert_all([{"report_id": rid, "code": k, "value": v} for k, v in cells.items()])
    db["findings"].insert_all([{"report_id": rid, "rule": f.rule, "detail": f.detail} for f in rules.check(cells)])
    return int(rid)


def cross(db: sqlite_utils.Database) -> set[tuple[int, str, str]]:
    """The stored cross findings as (report_id, rule, what) — what = column/item/code/year."""
    out = set()
    for r in db.query("SELECT report_id, rule, data FROM cross_findings"):
        d = json.loads(r["data"])
        what = d.get("column") or d.get("item") or d.get("code") or d.get("kind") or str(d.get("missing_year") or "")
        out.add((r["report_id"], r["rule"], what))
    return out


def predecessor_cells(cells: dict[str, Any]) -> dict[str, Any]:
    """Cell changes that make a copy of ``cells`` a consistent previous year: what it carried
    into next year is what this year carried over; its year-end item counts are this year's
    上一年项目数量; its stock in force is this year's minus issued plus repealed."""
    out: dict[str, Any] = {}
    for k, v in cells.items():
        if k.startswith("t3.carried_over."):
            out["t3.carried_next." + k.rsplit(".", 1)[1]] = v
    for item in ("licensing", "other_services", "penalty", "coercion", "fees"):
        prev, change = cells.get(f"t2.{item}.prev_count"), cells.get(f"t2.{item}.change")
        if prev is None or change is None:
            continue
        if prev - change >= 0:
            out[f"t2.{item}.prev_count"], out[f"t2.{item}.change"] = prev - change, change
        else:
            out[f"t2.{item}.prev_count"], out[f"t2.{item}.change"] = prev, 0
    for kind in ("regulations", "normative_docs"):
        now, iss, rep = (cells.get(f"t2.{kind}.{c}") for c in ("in_force", "issued", "repealed"))
        if None not in (now, iss, rep):
            out[f"t2.{kind}.in_force"] = now - iss + rep
    return out
