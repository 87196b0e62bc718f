"""Content-addressed bodies: sha256 of the raw bytes as served, stored compressed when it pays.

Why content addressing: a portal serves the same list page, stylesheet or PDF again and again;
keyed by the sha256 of the raw bytes, every distinct body is stored once however often it is
fetched, and a capture only names the hash. Why compress *transparently*: readers of the database
(datasette, exports, other tools) must get the exact bytes back, so the ``content_encoding``
column says how ``content`` was packed (NULL = raw bytes) and :func:`unpack` reverses it; the
sha256 of the unpacked bytes is checked, so a damaged row is an error, never silently wrong data.
"""
from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass

import zstandard

#: Bodies smaller than this are kept raw: compression framing would eat the gain.
MIN_COMPRESS = 256
#: Keep the compressed form only when it saves at least this fraction (PDF/JPEG barely shrink).
MIN_SAVING = 0.05


class SnapshotCorrupt(ValueError):
    """Stored content does not unpack to the bytes its sha256 names."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Packed:
    sha256: str
    content: bytes
    content_encoding: str | None
    size: int


def pack(data: bytes, level: int = 9) -> Packed:
    """Raw bytes → what goes in the ``snapshots`` row (zstd when it saves space, else raw)."""
    digest = sha256_hex(data)
    if len(data) >= MIN_COMPRESS:
        packed = zstandard.ZstdCompressor(level=level, write_content_size=True).compress(data)
        if len(packed) <= len(data) * (1 - MIN_SAVING):
            return Packed(digest, packed, "zstd", len(data))
    return Packed(digest, bytes(data), None, len(data))


def unpack(content: bytes, content_encoding: str | None, expected_sha256: str | None = None) -> bytes:
    """Stored row → raw bytes; verifies the digest when given (bit-for-bit or an error)."""
    if content is None:
        raise SnapshotCorrupt("snapshot has no content")
    enc = (content_encoding or "").lower() or None
    if enc is None:
        data = bytes(content)
    elif enc == "zstd":
        data = zstandard.ZstdDecompressor().decompress(content)
    elif enc == "gzip":
        data = gzip.decompress(content)
    elif enc == "zlib":
        data = zlib.decompress(content)
    else:
        raise SnapshotCorrupt(f"unknown content_encoding {content_encoding!r}")
    if expected_sha256 is not None and sha256_hex(data) != expected_sha256:
        raise SnapshotCorrupt(f"snapshot {expected_sha256} does not match its content")
    return data
