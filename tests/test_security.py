"""No way in: XML without entities or network, names that never choose paths, exports without
string SQL, Datasette read-only, and a crawl that stays on its domains and off private addresses.

Two kinds of test. *Audits* scan the project's own code for every XML parse site and every place
that writes a file, and fail when one appears that is not listed here with the reason it is safe
(so a new parse or write site gets reviewed, not just added). *Behaviour* tests feed the hostile
inputs: XXE and billion-laughs payloads to each parser the spiders and readers use, injection
strings to the export filters and paths, write SQL to a live Datasette, and a crawl whose pages
link off-domain, to private and link-local addresses and serve attachments named
``../../../etc/…``.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT_DIRS = ("agencies", "archive", "commands", "demo_portal", "distributed", "exporting", "extensions",
                "extraction", "middlewares", "pipelines", "spiders")
PROJECT_FILES = ("settings.py", "items.py", "eggenv.py")


def project_sources() -> dict[str, str]:
    out = {}
    for d in PROJECT_DIRS:
        for p in sorted((ROOT / d).rglob("*.py")):
            out[str(p.relative_to(ROOT))] = p.read_text(encoding="utf-8")
    for f in PROJECT_FILES:
        if (ROOT / f).exists():
            out[f] = (ROOT / f).read_text(encoding="utf-8")
    return out


def sites(pattern: str) -> dict[str, list[str]]:
    """file -> the matching lines, for the project's own modules."""
    rx = re.compile(pattern)
    found: dict[str, list[str]] = {}
    for name, text in project_sources().items():
        for line in text.splitlines():
            if rx.search(line) and not line.lstrip().startswith("#"):
                found.setdefault(name, []).append(line.strip())
    return found


# ---------------------------------------------------------------------------------------------
# XML: every parse site audited, every parser fed XXE and billion laughs

XML_PARSE = r"etree\.(fromstring|parse|XML|iterparse|XMLParser|XMLPullParser)\(|xml\.(etree|dom|sax)|minidom|expat|" \
            r"lxml\.objectify|type=[\"']xml[\"']|XmlResponse|lxml\.html\.(fromstring|parse)|document_fromstring"
#: file -> why its XML/HTML parsing is safe
XML_AUDITED = {
    "spiders/families/hanweb.py": "datastore XML: lxml XMLParser(resolve_entities=False, no_network=True, "
                                  "load_dtd=False, huge_tree=False) — tested below",
    "extraction/html.py": "lxml HTML parser (no DTD/entity loading, no_network=True)",
    "archive/volatile.py": "lxml HTML parser on stored pages",
    "archive/warc.py": "lxml HTML parser on stored pages",
}


def test_every_xml_parse_site_is_audited():
    found = sites(XML_PARSE)
    unaudited = {f: lines for f, lines in found.items() if f not in XML_AUDITED}
    assert not unaudited, f"new XML/HTML parse sites, review them for XXE and add them here: {unaudited}"


@pytest.fixture()
def secret(tmp_path) -> Path:
    p = tmp_path / "secret.txt"
    p.write_text("TOP-SECRET-MARKER-7f3a")
    return p


def _xxe(secret: Path, root: str = "datastore") -> str:
    return (f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file://{secret}">'
            f'<!ENTITY net SYSTEM "http://127.0.0.1:9/evil.dtd">]>')


def _laughs(root: str) -> str:
    ents = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    return f'<?xml version="1.0"?><!DOCTYPE {root} [{ents}]>'


def test_hanweb_datastore_xxe_and_billion_laughs(secret):
    from spiders.families.hanweb import parse_datastore
    page = (_xxe(secret) + "<datastore><totalrecord>2</totalrecord><recordset>"
            "<record><![CDATA[<li><a href='/art/1.html'>a</a></li>]]></record>"
            "<record>&xxe;&net;</record></recordset></datastore>")
    records, total, _ = parse_datastore(page)
    assert "TOP-SECRET" not in json.dumps(records)
    start = time.monotonic()
    records, _, _ = parse_datastore(_laughs("datastore") + "<datastore><recordset><record>&a9;</record>"
                                    "</recordset></datastore>")
    assert time.monotonic() - start < 2
    assert sum(len(r) for r in records) < 10_000


def test_scrapy_xml_responses_do_not_expand_entities(secret):
    """List APIs answering XML reach the spiders as XmlResponse; parsel's XML parser is the one used."""
    from scrapy.http import XmlResponse
    body = (_xxe(secret, "r") + "<r><item>&xxe;</item></r>").encode()
    resp = XmlResponse("http://x.test/api", body=body)
    assert "TOP-SECRET" not in " ".join(resp.xpath("//item//text()").getall())
    body = (_laughs("r") + "<r><item>&a9;</item></r>").encode()
    start = time.monotonic()
    text = " ".join(XmlResponse("http://x.test/api", body=body).xpath("//item//text()").getall())
    assert time.monotonic() - start < 2 and len(text) < 10_000


def test_docx_reader_does_not_resolve_entities(secret):
    from extraction.docx import read_docx_direct
    from tests import docgen
    data = docgen.docx_fixture("huaian-szf-2024").read_bytes()
    src = zipfile.ZipFile(io.BytesIO(data))
    for payload, entity in ((_xxe(secret, "w:document"), "&xxe;"), (_laughs("w:document"), "&a9;")):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                body = src.read(info)
                if info.filename == "word/document.xml":
                    xml = body.decode("utf-8")
                    xml = re.sub(r"^<\?xml[^>]*\?>", payload, xml, count=1)
                    body = xml.replace("<w:t>", "<w:t>" + entity, 1).encode("utf-8")
                out.writestr(info.filename, body)
        start = time.monotonic()
        doc = read_docx_direct(buf.getvalue())
        assert time.monotonic() - start < 10
        text = json.dumps([str(b) for b in doc.blocks], ensure_ascii=False)
        assert "TOP-SECRET" not in text and "ha" * 1000 not in text


# ---------------------------------------------------------------------------------------------
# names from the web never choose a path

FILE_WRITES = (r"open\([^)]*['\"][wax]b?['\"]|\.write_bytes\(|\.write_text\(|\.mkdir\(|shutil\.(copy|move|copyfile)|"
               r"os\.(replace|rename)\(|extractall|\.extract\(|tarfile|mkstemp|mkdtemp|atomic_(file|dir)\(")
#: file -> why the paths it writes are not chosen by anything fetched from the web
WRITES_AUDITED = {
    "agencies/quality.py": "CSV files named by fixed table names under the operator's -o directory",
    "eggenv.py": "Scrapyd egg unpacked to a cache dir named by the egg's hash",
    "extraction/ocr.py": "temp dir (mkdtemp) with fixed names in.pdf / p<N>.png",
    "extraction/office.py": "temp dir (mkdtemp), input.<doc|wps> (suffix from a two-value choice)",
    "exporting/base.py": "the operator's -o path; temp files next to it (mkstemp), renamed atomically",
    "exporting/jsonl.py": "atomic_file(operator's -o path)",
    "exporting/csv_wide.py": "atomic_file(operator's -o path)",
    "exporting/csv_long.py": "atomic_file(operator's -o path)",
    "exporting/datapackage.py": "fixed file names inside atomic_dir(operator's -o path)",
    "exporting/report_html.py": "operator's -o path",
    "exporting/xlsx.py": "operator's -o path",
    "exporting/parquet.py": "operator's -o path",
    "exporting/text.py": "operator's -o path",
    "demo_portal/server.py": "the demo's manifest next to the demo database (operator's path)",
    "archive/frontier.py": "job directory under NIANBAO_JOBS_DIR / JOBDIR named by the operator's job name",
    "archive/db.py": "the archive's parent directory (NIANBAO_DB)",
    "archive/warc.py": "WARC export to the operator's -o path (temp file + rename)",
    "commands/export.py": "the operator's -o path",
    "commands/demo.py": "the demo database's directory",
    "commands/serve.py": "Datasette metadata in a mkstemp file or the operator's --metadata-out",
    "commands/backup.py": "the operator's -o path (FILE.partial then rename) and --db",
    "distributed/writer.py": "the archive's parent directory (NIANBAO_DB)",
}


def test_every_file_write_site_is_audited():
    found = sites(FILE_WRITES)
    unaudited = {f: lines for f, lines in found.items() if f not in WRITES_AUDITED}
    assert not unaudited, f"new file-writing sites, check that no fetched name chooses the path: {unaudited}"
    # never unpack archives from the web to disk (eggenv unpacks the operator's own deployed egg)
    unpacking = sites(r"extractall|\.extract\(\s*[a-z_]+\s*,")
    assert set(unpacking) <= {"eggenv.py"}, unpacking


def test_office_reader_temp_name_ignores_the_document_name():
    from extraction.api import ExtractOptions
    from extraction.office import _kind
    for name in ("../../../../etc/cron.d/x.doc", "a.wps/../../b", "..\\..\\x.wps", "/abs/path.doc;rm -rf"):
        assert _kind(ExtractOptions(filename=name)) in ("doc", "wps")


# ---------------------------------------------------------------------------------------------
# exports: parameters, not string SQL; paths taken literally


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory) -> Path:
    from export_helpers import build_archive
    return build_archive(tmp_path_factory.mktemp("sec") / "archive.db")


INJECTIONS = ["' OR '1'='1", "x'); DROP TABLE reports; --", "%' OR 1=1 --", "\" OR \"\"=\"", "1 OR 1=1",
              "'; ATTACH DATABASE '/tmp/pwn.db' AS p; --", "\x00", "局' UNION SELECT sql FROM sqlite_master --"]


def test_export_filters_are_parameters(archive_db):
    from exporting.query import Archive, ExportFilter
    before = hashlib.sha256(archive_db.read_bytes()).hexdigest()
    with Archive.open(archive_db) as a:
        total = a.count_reports()
    for bad in INJECTIONS:
        for filt in (ExportFilter(agencies=(bad,)), ExportFilter(regions=(bad,)), ExportFilter(formats=(bad,))):
            with Archive.open(archive_db, filt) as a:
                assert a.count_reports() == 0, (bad, filt)
                assert list(a.iter_reports()) == []
    with Archive.open(archive_db, ExportFilter(agencies=("局",))) as a:
        assert 0 < a.count_reports() <= total     # the filter still works
    assert hashlib.sha256(archive_db.read_bytes()).hexdigest() == before
    assert not Path("/tmp/pwn.db").exists()
    # every SQL the export layer builds interpolates only schema-derived names and the filter's
    # WHERE clause (whose values are parameters); a new interpolation must be reviewed and listed
    audited = {"where", "self._where", "cols", "name", "IDENTITY_VIEW", "region", "level",
               "', '.join(cols)", "', '.join('?' * len(cols))"}
    for name, text in project_sources().items():
        if name.startswith("exporting/"):
            for m in re.finditer(r'f"([^"]*(?:SELECT|WHERE|INSERT|UPDATE|DELETE|FROM|JOIN)[^"]*)"', text):
                extra = set(re.findall(r"\{([^}]*)\}", m.group(1))) - audited
                assert not extra, f"{name}: SQL f-string interpolates {extra}: {m.group(0)[:120]}"


def test_export_command_takes_hostile_paths_and_filters_literally(archive_db, tmp_path):
    before = hashlib.sha256(archive_db.read_bytes()).hexdigest()
    odd = tmp_path / "out dir" / "a;touch PWNED;$(id).csv"
    proc = subprocess.run([sys.executable, "-m", "scrapy", "export", "--format", "csv", "--db", str(archive_db),
                           "-o", str(odd), "--agency", "x'); DROP TABLE reports; --", "--no-progress"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert odd.exists() and not (tmp_path / "PWNED").exists() and not (ROOT / "PWNED").exists()
    assert hashlib.sha256(archive_db.read_bytes()).hexdigest() == before
    # a database path that looks like URI parameters is a file name, not an option
    from exporting.query import ExportError, connect_readonly
    with pytest.raises(ExportError):
        connect_readonly(str(tmp_path / "x.db?mode=rwc"))
    assert not (tmp_path / "x.db").exists()


# ---------------------------------------------------------------------------------------------
# Datasette: read-only even when serving a live archive


@pytest.mark.slow
def test_datasette_live_mode_refuses_writes(archive_db, tmp_path):
    import shutil
    import socket
    import urllib.error
    import urllib.parse
    import urllib.request

    from processes import stop_process
    db = tmp_path / "live.db"
    shutil.copy(archive_db, db)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path / "datasette.log", "wb")     # a file, not a pipe nobody reads (it would fill and block)
    proc = subprocess.Popen([sys.executable, "-m", "scrapy", "serve", "--db", str(db), "--port", str(port), "--live"],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("datasette did not start: " + (tmp_path / "datasette.log").read_text(errors="replace"))
                time.sleep(0.3)
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        name = db.stem
        attacks = ["DELETE FROM reports", "DROP TABLE cells", "UPDATE reports SET title = 'x'",
                   "INSERT INTO findings (report_id, rule) VALUES (1, 'x')",
                   f"ATTACH DATABASE '{tmp_path / 'pwn.db'}' AS p", "PRAGMA writable_schema = 1",
                   "SELECT load_extension('/tmp/x')", "VACUUM INTO '/tmp/nianbao-pwn.db'",
                   "SELECT 1; DELETE FROM reports"]
        for sql in attacks:
            url = f"{base}/{name}.json?" + urllib.parse.urlencode({"sql": sql})
            try:
                with urllib.request.urlopen(url, timeout=90) as resp:
                    body = json.loads(resp.read())
                    assert body.get("ok") is False or not body.get("rows"), (sql, body)
            except urllib.error.HTTPError:
                pass
        for path in (f"/{name}/reports/-/insert", f"/{name}/-/create", f"/{name}/reports/1/-/delete"):
            req = urllib.request.Request(base + path, data=b'{"row": {"title": "x"}}', method="POST",
                                         headers={"Content-Type": "application/json"})
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(req, timeout=90)
        dbs = json.loads(urllib.request.urlopen(base + "/-/databases.json", timeout=30).read())
        assert all(not d.get("is_memory") or d["name"] == "_internal" for d in dbs)
    finally:
        stop_process(proc)
        log.close()
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from reports").fetchone()[0] > 0
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not (tmp_path / "pwn.db").exists() and not Path("/tmp/nianbao-pwn.db").exists()


# ---------------------------------------------------------------------------------------------
# the address guard (middlewares/address_guard.py)


@pytest.mark.parametrize("addr,public", [
    ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False), ("127.0.0.1", False), ("127.8.8.8", False),
    ("169.254.169.254", False), ("0.0.0.0", False), ("100.64.0.1", False), ("224.0.0.1", False), ("::1", False),
    ("fe80::1", False), ("fc00::1", False), ("::ffff:10.0.0.1", False), ("::ffff:127.0.0.1", False),
    ("8.8.8.8", True), ("202.96.209.133", True), ("2400:3200::1", True), ("::ffff:8.8.8.8", True),
])
def test_public_addresses(addr, public):
    from middlewares.address_guard import is_public
    assert is_public(addr) is public


def test_guard_refuses_literals_in_every_spelling():
    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from middlewares.address_guard import AddressGuardMiddleware, PrivateAddressRefused

    def mw(**settings):
        return AddressGuardMiddleware.from_crawler(get_crawler(settings_dict=settings))
    default = mw(NIANBAO_ALLOWED_ADDRESSES=["127.0.0.1"])
    for url in ("http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/",
                "http://2130706434/", "http://0x7f.0.0.2/", "http://017700000002/", "http://127.2/x",
                "http://[::ffff:192.168.0.1]/", "https://192.168.1.1:8443/a.pdf", "http://0.0.0.0:6379/"):
        with pytest.raises(PrivateAddressRefused):
            default.process_request(Request(url))
    for url in ("http://127.0.0.1:8080/", "http://2130706433/", "http://127.1/", "http://8.8.8.8/",
                "http://www.gov.cn/", "http://www.x.demo.test:81/"):     # 127.0.0.1 however spelled: allowed
        assert default.process_request(Request(url)) is None
    with pytest.raises(PrivateAddressRefused):
        mw(NIANBAO_ALLOWED_ADDRESSES=[]).process_request(Request("http://127.0.0.1:8080/"))
    assert mw(NIANBAO_ALLOW_PRIVATE=True).process_request(Request("http://10.0.0.1/")) is None
    assert mw(NIANBAO_ALLOWED_ADDRESSES=["10.8.0.0/16"]).process_request(Request("http://10.8.1.1/")) is None


def test_guard_is_on_by_default():
    from scrapy.utils.project import get_project_settings
    s = get_project_settings()
    assert s.getbool("NIANBAO_ALLOW_PRIVATE") is False
    assert "middlewares.address_guard.AddressGuardMiddleware" in s.getdict("DOWNLOADER_MIDDLEWARES")
    assert s.get("TWISTED_DNS_RESOLVER") == "middlewares.address_guard.GuardedResolver"
    from middlewares.address_guard import parse_allowed
    allowed = parse_allowed(s.getlist("NIANBAO_ALLOWED_ADDRESSES"))
    assert all(net.subnet_of(parse_allowed(["127.0.0.0/8"])[0]) for net in allowed if net.version == 4)
    assert not any(net.version == 6 for net in allowed)


# ---------------------------------------------------------------------------------------------
# a crawl: off-domain links, private addresses, names resolving to loopback, hostile file names


@pytest.mark.slow
def test_crawl_stays_on_its_domains_and_off_private_addresses(tmp_path):
    from tests.crawl_run import crawl
    from tests.hostile_server import REPORT_BODY, HostileServer, html_page

    host, other = "www.portal.demo.test", "www.elsewhere.demo.test"
    title = "示例县{}2023年政府信息公开工作年度报告"
    evil_name = f"nianbao-evil-{os.getpid()}"

    port: dict[str, int] = {}

    def portal(path, query, headers):
        if path == "/nb/":
            links = [("/nb/a.html", title.format("财政局")),
                     (f"http://{other}:{port['p']}/nb/x.html", title.format("教育局")),
                     ("http://192.168.0.1/nb/r.html", title.format("民政局")),
                     (f"http://localhost:{port['p']}/nb/a.html", title.format("司法局")),
                     (f"/download/..%2f..%2f..%2f..%2ftmp%2f{evil_name}-url.pdf", title.format("交通局") + ".pdf"),
                     ("/download/file.jsp?id=7&filename=../../../../tmp/" + evil_name + "-q.pdf", title.format("水利局"))]
            rows = "".join(f'<li><a href="{u}">{t}</a><span>2024-01-2{i}</span></li>' for i, (u, t) in enumerate(links))
            return 200, {"Content-Type": "text/html; charset=utf-8"}, html_page("政府信息公开年报", f"<ul>{rows}</ul>").encode()
        if path == "/nb/a.html":
            body = (f"<h1>{title.format('财政局')}</h1>{REPORT_BODY}"
                    f'<p><a href="/download/att.pdf">附件：{title.format("财政局")}.pdf</a></p>')
            return 200, {"Content-Type": "text/html; charset=utf-8"}, html_page(title.format("财政局"), body).encode()
        if path.startswith("/download/"):
            return 200, {"Content-Type": "application/pdf",
                         "Content-Disposition": f'attachment; filename="../../../../../tmp/{evil_name}-cd.pdf"; '
                                                f"filename*=UTF-8''..%2F..%2F..%2Ftmp%2F{evil_name}-cd2.pdf"}, \
                b"%PDF-1.4\n%junk\n"
        return 404, {"Content-Type": "text/plain"}, b"no"

    hits_other: list[str] = []

    def elsewhere(path, query, headers):
        hits_other.append(path)
        return 200, {"Content-Type": "text/html"}, html_page("x", "x").encode()

    # no address is allowed beyond the configured NIANBAO_RESOLVE names: localhost (system DNS →
    # 127.0.0.1, the very server of this test) must be refused
    srv = HostileServer({host: portal, other: elsewhere, "localhost": elsewhere}, robots_ok={host, other})
    port["p"] = srv.port
    with srv:
        before = set(os.listdir(tmp_path))
        result = crawl([srv.url(host, "/nb/")], tmp_path / "arch" / "s.db", resolve={host: "127.0.0.1", other: "127.0.0.1"},
                       settings={"NIANBAO_ALLOWED_ADDRESSES": "", "RETRY_TIMES": 0},
                       args={"allowed_domains": f"{host},localhost,192.168.0.1"})
    assert result.returncode == 0, result.log[-3000:]
    caps = result.captures()
    urls = [c["url"] for c in caps]
    # another domain is never fetched (offsite), whatever its links say
    assert hits_other == [] and not [u for u in urls if other in u]
    assert not [h for h, _m, _p, _s in srv.requests if h in (other, "localhost")]
    # a private address in an allowed domain: refused and recorded
    assert any("192.168.0.1" in c["url"] and "PrivateAddressRefused" in (c["error"] or "") for c in caps)
    # a name that resolves to loopback (localhost) is refused when loopback is not allowed
    assert any("localhost" in c["url"] and c["status"] is None and c["error"] for c in caps), urls
    # attachments with hostile names are stored as snapshots in the database, nowhere else
    atts = [c for c in caps if c["role"] == "attachment" and c["status"] == 200]
    assert len(atts) >= 2 and all(c["sha256"] for c in atts)
    assert not list(Path("/tmp").glob(f"{evil_name}*"))
    assert set(os.listdir(tmp_path)) - before == {"arch"}
    assert {p.name for p in (tmp_path / "arch").iterdir()} <= {"s.db", "s.db-wal", "s.db-shm"}


def test_start_url_hosts_are_explicit_configuration():
    """A portal the user points nianbao at on an intranet address is fetched; links found on its
    pages to other private addresses are still refused."""
    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from middlewares.address_guard import AddressGuardMiddleware, PrivateAddressRefused, start_hosts

    class Spider:
        start_urls = ["http://10.20.30.40:8080/xxgk/nb/index.html"]

    crawler = get_crawler(settings_dict={"NIANBAO_ALLOWED_ADDRESSES": []})
    crawler.spider = Spider()
    assert start_hosts(crawler) == {"10.20.30.40"}
    guard = AddressGuardMiddleware.from_crawler(crawler)
    assert guard.process_request(Request("http://10.20.30.40:8080/xxgk/nb/index_1.html")) is None
    for url in ("http://10.20.30.41/", "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:6379/"):
        with pytest.raises(PrivateAddressRefused):
            guard.process_request(Request(url))
