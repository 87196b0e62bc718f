"""Legacy DOC/WPS through LibreOffice headless (one conversion per session; slow)."""
from __future__ import annotations

import pytest

from conftest import CORPUS, load_gold
from doccheck import compare, extract_wrong
import docgen
from extraction.api import ExtractOptions, extract, read_document
from extraction.office import convert_to_docx

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def doc_bytes() -> bytes:
    if not docgen.have("soffice"):
        pytest.skip("LibreOffice not installed")
    return docgen.doc_fixture("huaian-szf-2024").read_bytes()


@pytest.fixture(scope="module")
def doc_read(doc_bytes):
    return read_document(doc_bytes, ExtractOptions(filename="report.doc"))


def test_doc_is_sniffed_converted_and_read_cell_by_cell(doc_bytes, doc_read):
    assert doc_bytes[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    doc = doc_read
    assert doc.source_kind == "doc"
    assert any(f.rule == "converted" for f in doc.findings)
    checked, wrong = compare(doc, load_gold(CORPUS / "huaian-szf-2024"))
    assert checked == 200 and wrong == []


def test_doc_through_extract_matches_gold(doc_bytes, doc_read, monkeypatch):
    import extraction.api as api
    monkeypatch.setattr(api, "read_document", lambda data, opts: doc_read)  # convert once per session
    gold = load_gold(CORPUS / "huaian-szf-2024")
    result = extract(doc_bytes, filename="report.doc")
    assert result.source_kind == "doc" and result.format == "2021"
    assert extract_wrong(result, gold) == []


def test_wps_name_goes_through_the_same_converter(doc_bytes):
    doc = read_document(doc_bytes, ExtractOptions(filename="报告.wps"))
    assert doc.source_kind == "wps"
    _, wrong = compare(doc, load_gold(CORPUS / "huaian-szf-2024"))
    assert wrong == []


def test_conversion_timeout_is_a_finding(doc_bytes):
    converted, reason = convert_to_docx(doc_bytes, ".doc", timeout=0.05)
    assert converted is None and "longer than" in reason
