"""Bad input: every case ends in a clear finding, in bounded time and memory, without raising."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import CORPUS
import badfiles
from extraction.api import ExtractOptions, extract, read_document
from extraction.limits import run_limited
from extraction.document import Document

GENERATED = Path(__file__).resolve().parent / "fixtures" / "generated"


def rules(doc) -> set[str]:
    return {f.rule for f in doc.findings}


def test_encrypted_pdf():
    t0 = time.monotonic()
    doc = read_document((GENERATED / "encrypted.pdf").read_bytes(), ExtractOptions(filename="x.pdf"))
    assert "encrypted" in rules(doc)
    assert doc.blocks == []
    assert time.monotonic() - t0 < 30


def test_truncated_pdf_is_reported_not_raised():
    data = badfiles.corrupted((CORPUS / "huaian-szf-2024" / "source.pdf").read_bytes(), keep=0.3)
    doc = read_document(data, ExtractOptions(filename="x.pdf"))
    assert doc.source_kind == "pdf"
    assert rules(doc) & {"corrupt_file", "page_error", "read_error", "needs_ocr"}


def test_garbage_with_pdf_extension():
    doc = read_document(bytes(range(256)) * 50, ExtractOptions(filename="report.pdf"))
    assert doc.source_kind == "binary"
    assert "unsupported_kind" in rules(doc)


def test_html_served_as_pdf_goes_to_the_html_reader():
    html = "<html><head><title>年报</title></head><body><p>二、主动公开政府信息情况</p></body></html>".encode()
    doc = read_document(html, ExtractOptions(filename="report.pdf", content_type="application/pdf"))
    assert doc.source_kind == "html"


def test_zip_bomb_docx_refused_before_inflating():
    data = badfiles.zip_bomb_docx()
    assert len(data) < 2 * 1024 * 1024
    t0 = time.monotonic()
    doc = read_document(data, ExtractOptions(filename="bomb.docx"))
    assert "zip_bomb" in rules(doc)
    assert time.monotonic() - t0 < 20


def test_500_page_pdf_is_capped():
    data = badfiles.many_page_pdf(500)
    t0 = time.monotonic()
    doc = read_document(data, ExtractOptions(filename="long.pdf"))  # default max_pages=60
    f = [x for x in doc.findings if x.rule == "too_many_pages"]
    assert f and f[0].data == {"pages": 500, "read": 60}
    assert len(doc.blocks) == 60
    assert time.monotonic() - t0 < 60


def _allocate(data, opts):
    blob = bytearray(3 * 1024 * 1024 * 1024)  # 3 GiB: beyond the ceiling below
    return Document("pdf", blocks=[str(len(blob))])


def _sleep(data, opts):
    time.sleep(60)
    return Document("pdf")


def _abort(data, opts):
    os.abort()


def test_memory_ceiling():
    doc = run_limited(_allocate, b"", ExtractOptions(), kind="pdf", memory=256 * 1024 * 1024)
    assert rules(doc) == {"memory_limit"}
    assert doc.blocks == []


def test_wall_clock_timeout_kills_the_reader():
    t0 = time.monotonic()
    doc = run_limited(_sleep, b"", ExtractOptions(timeout=1.0), kind="pdf")
    assert rules(doc) == {"timeout"}
    assert time.monotonic() - t0 < 10


def test_crashing_reader():
    doc = run_limited(_abort, b"", ExtractOptions(), kind="docx")
    assert rules(doc) == {"reader_crashed"}


def test_result_survives_in_the_parent():
    doc = run_limited(lambda d, o: Document("pdf", blocks=["x" * 5_000_000], title="t"), b"", ExtractOptions(), kind="pdf")
    assert doc.title == "t" and len(doc.blocks[0]) == 5_000_000


def test_extract_carries_on_over_a_batch_of_bad_files():
    batch = [(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a.doc"), (badfiles.zip_bomb_docx(50 * 1024 * 1024), "b.docx"),
             ((GENERATED / "encrypted.pdf").read_bytes(), "c.pdf"), (b"", "d.pdf")]
    for data, name in batch:
        result = extract(data, filename=name, options=ExtractOptions(timeout=30))
        assert result.findings, name


@pytest.mark.slow
def test_fake_doc_conversion_fails_cleanly():
    doc = read_document(badfiles.fake_ole_doc(), ExtractOptions(filename="x.doc", timeout=60))
    assert doc.source_kind == "doc"
    assert rules(doc) & {"conversion_failed", "timeout", "garbled_text"}
    assert doc.blocks == []


def test_unread_documents_have_format_unknown_not_not_a_report():
    for data, name in (((GENERATED / "encrypted.pdf").read_bytes(), "c.pdf"), (badfiles.image_only_pdf(), "scan.pdf"),
                       (badfiles.zip_bomb_docx(), "b.docx")):
        result = extract(data, filename=name)
        assert result.format == "unknown", name
        assert not result.cells
