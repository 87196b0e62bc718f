"""User pins and merges of bodies (``data/agency_overrides.csv``).

Why a file keyed by names, codes, URLs and hashes: database ids change when reports are
re-extracted or the archive is rebuilt; a user's decision ("these two are one body", "never
merge these", "call this body X") must not. Columns: ``action,subject,target,note``.

Actions:
- ``merge``  — subject and target are the same body.
- ``apart``  — subject and target are never the same body, whatever the evidence says.
- ``pin``    — the body containing subject gets the id ``target`` (two pins to one id merge).
- ``label``  — the body containing subject is displayed as ``target``.

A subject/target is ``url:<report url>``, ``sha:<sha256>``, ``org:<organisation code>``,
``column:<list page url>``, or a body name (matched by its name key, so 太仓市资源规划局 also
matches 太仓市自然资源和规划局).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "agency_overrides.csv"
ACTIONS = ("merge", "apart", "pin", "label")


class OverrideError(ValueError):
    """A malformed line in the overrides file (reported with its line number)."""


@dataclass(frozen=True)
class Override:
    action: str
    subject: str
    target: str
    note: str = ""
    line: int = 0


def load(path: str | Path | None = None) -> list[Override]:
    """Read the overrides; a missing file means no overrides, a bad line is an error."""
    p = Path(path) if path else DEFAULT_PATH
    if not p.exists():
        return []
    out: list[Override] = []
    with p.open(encoding="utf-8-sig", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            action = (row.get("action") or "").strip().lower()
            if not action or action.startswith("#"):
                continue
            subject = (row.get("subject") or "").strip()
            target = (row.get("target") or "").strip()
            if action not in ACTIONS:
                raise OverrideError(f"{p}:{i}: unknown action {action!r} (one of {', '.join(ACTIONS)})")
            if not subject or not target:
                raise OverrideError(f"{p}:{i}: {action} needs a subject and a target")
            out.append(Override(action, subject, target, (row.get("note") or "").strip(), i))
    return out
