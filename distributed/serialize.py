"""Items to JSON and back, losslessly, for the trip through Redis.

Why JSON and not pickle: the writer must never execute what a worker (or anyone able to write
to Redis) sends, and a human must be able to read a stuck item with ``redis-cli XRANGE``. Raw
bytes travel as base64 (``{"$b64": ...}``) so a GBK page or a PDF comes back bit for bit; an
``ExtractionResult`` travels as its own output-contract JSON (``{"$extraction": ...}``) and is
rebuilt with its findings. Anything else that is not plain JSON is refused loudly rather than
silently turned into a string.
"""
from __future__ import annotations

import base64
import json
from typing import Any

from extraction.findings import Finding
from extraction.result import ExtractionResult

FORMAT_VERSION = 1


def _enc(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, ExtractionResult):
        return {"$extraction": value.to_json()}
    if isinstance(value, dict):
        return {"$dict": [[_enc(k), _enc(v)] for k, v in value.items()]} \
            if any(not isinstance(k, str) or k.startswith("$") for k in value) \
            else {k: _enc(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_enc(v) for v in value]
    if hasattr(value, "items") and hasattr(value, "fields"):  # a scrapy.Item nested in an item
        return {k: _enc(v) for k, v in value.items()}
    raise TypeError(f"cannot send a {type(value).__name__} through Redis: {value!r:.80}")


def _dec(value: Any) -> Any:
    if isinstance(value, list):
        return [_dec(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            (k, v), = value.items()
            if k == "$b64":
                return base64.b64decode(v)
            if k == "$extraction":
                return extraction_from_json(v)
            if k == "$dict":
                return {_dec(a): _dec(b) for a, b in v}
        return {k: _dec(v) for k, v in value.items()}
    return value


def extraction_from_json(d: dict[str, Any]) -> ExtractionResult:
    return ExtractionResult(
        format=d["format"], meta=d.get("meta") or {}, cells=d.get("cells") or {},
        raw=d.get("raw") or {},
        findings=[Finding(f["rule"], f.get("detail", ""), f.get("data") or {})
                  for f in d.get("findings") or []],
        provenance=d.get("provenance") or {}, source_kind=d.get("source_kind", ""),
        extractor_version=d.get("extractor_version", ""))


def dumps_item(item: Any, key: str, item_class: str) -> bytes:
    """One stream entry payload: the item's fields, its idempotency key, its class path."""
    fields = dict(item.items()) if hasattr(item, "items") else item
    payload = {"v": FORMAT_VERSION, "key": key, "class": item_class, "fields": _enc(fields)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads_item(data: bytes) -> tuple[dict[str, Any], str, str]:
    """Returns (fields, idempotency key, item class path)."""
    payload = json.loads(data)
    if payload.get("v") != FORMAT_VERSION:
        raise ValueError(f"item format version {payload.get('v')!r} is not {FORMAT_VERSION}")
    return _dec(payload["fields"]), payload["key"], payload.get("class") or ""
