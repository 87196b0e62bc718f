"""Session ids in URLs: every link carries a fresh ``;jsessionid=`` and ``sid=``.

Each page must be fetched once (canonical URLs without the session parts) and every report found.
"""
from __future__ import annotations

import re
import secrets
from collections import Counter

import pytest

from tests.crawl_run import crawl
from tests.hostile_server import REPORT_BODY, HostileServer, html_page

PAGES = 3
REPORTS = {f"/nb/art_{n}.jsp": f"示例区第{n}局2023年政府信息公开工作年度报告" for n in range(1, 7)}


def sess(path: str, query: str = "") -> str:
    q = f"{query}&" if query else ""
    return f"{path};jsessionid={secrets.token_hex(8).upper()}?{q}sid={secrets.token_hex(4)}"


def site(path, query, headers):
    ctype = {"Content-Type": "text/html; charset=utf-8"}
    path = re.sub(r";jsessionid=[^/?]*", "", path)
    nav = f'<div class="nav"><a href="{sess("/nb/list.jsp")}">政府信息公开年报</a></div>'
    if path == "/nb/list.jsp":
        page = int(query.get("page", "1"))
        items = list(REPORTS.items())[(page - 1) * 2: page * 2]
        rows = "".join(f'<li><a href="{sess(p)}">{t}</a><span>2024-01-1{page}</span></li>' for p, t in items)
        pager = f'<a href="{sess("/nb/list.jsp", f"page={page + 1}")}">下一页</a>' if page < PAGES else ""
        return 200, ctype, html_page("政府信息公开年报", nav + f"<ul>{rows}</ul><div>{pager}</div>").encode()
    if path in REPORTS:
        return 200, ctype, html_page(REPORTS[path], nav + f"<h1>{REPORTS[path]}</h1>{REPORT_BODY}").encode()
    return 404, ctype, b"not found"


@pytest.mark.slow
def test_session_ids_do_not_multiply_pages(tmp_path):
    host = "www.session.demo.test"
    with HostileServer({host: site}, robots_ok={host}) as srv:
        result = crawl([srv.url(host, sess("/nb/list.jsp"))], tmp_path / "c.db", resolve=srv.resolve_map())
        hits = srv.hits(host)
    assert result.returncode == 0, result.log[-2000:]
    canonical = Counter(re.sub(r"[?&]sid=[^&]*|;jsessionid=[^/?]*", "", h).rstrip("?") for h in hits)
    assert all(n == 1 for n in canonical.values()), canonical
    assert not [h for h in hits if "jsessionid" in h or "sid=" in h]       # never asked with a session id
    assert len(canonical) == PAGES + len(REPORTS)
    found = {c["url"].split(str(srv.port), 1)[1] for c in result.captures()
             if c["role"] == "article" and c["classification"] == "report"}
    assert found == set(REPORTS)
