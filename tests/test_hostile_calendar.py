"""An endless calendar: month archive pages whose 下一页 always leads to the next month.

Without a guard the chain runs until the list-page cap (hundreds of pages). Dates past the near
future are dropped; the distinct dates asked of one calendar are budgeted.
"""
from __future__ import annotations

import re

import pytest

from tests.crawl_run import crawl
from tests.hostile_server import REPORT_BODY, HostileServer, html_page

REPORT_MONTHS = {"2024-02": "/nb/a.html", "2024-05": "/nb/b.html"}
TITLES = {"/nb/a.html": "示例市2023年政府信息公开工作年度报告", "/nb/b.html": "示例市教育局2023年政府信息公开工作年度报告"}


def calendar(path, query, headers):
    ctype = {"Content-Type": "text/html; charset=utf-8"}
    if path == "/nb/":
        return 200, ctype, html_page("政府信息公开年报", '<a href="/nb/list.jsp?month=2024-01">下一页</a>').encode()
    if path == "/nb/list.jsp":
        m = re.fullmatch(r"(\d{4})-(\d{2})", query.get("month", ""))
        if not m:
            return 404, ctype, b"bad month"
        y, mo = int(m.group(1)), int(m.group(2))
        nxt = f"{y + mo // 12}-{mo % 12 + 1:02d}"
        row = ""
        if query["month"] in REPORT_MONTHS:
            p = REPORT_MONTHS[query["month"]]
            row = f'<li><a href="{p}">{TITLES[p]}</a><span>{query["month"]}-15</span></li>'
        body = f'<h2>{query["month"]}</h2><ul>{row}</ul><div class="pg"><a href="list.jsp?month={nxt}">下一页</a></div>'
        return 200, ctype, html_page("政府信息公开年报", body).encode()
    if path in TITLES:
        return 200, ctype, html_page(TITLES[path], f"<h1>{TITLES[path]}</h1>{REPORT_BODY}").encode()
    return 404, ctype, b"not found"


@pytest.mark.slow
@pytest.mark.parametrize("budget,stat", [(12, "urlspace/calendar_over_budget"), (1000, "urlspace/calendar_out_of_range")])
def test_calendar_is_bounded(tmp_path, budget, stat):
    host = "www.calendar.demo.test"
    with HostileServer({host: calendar}, robots_ok={host}) as srv:
        result = crawl([srv.url(host, "/nb/")], tmp_path / "c.db", resolve=srv.resolve_map(),
                       settings={"NIANBAO_CALENDAR_BUDGET": budget})
        months = [p for p in srv.hits(host) if p.startswith("/nb/list.jsp")]
    assert result.returncode == 0, result.log[-2000:]
    assert result.stats().get(stat, 0) >= 1
    if budget < 100:
        assert len(months) == budget
    else:                      # stopped by date: nothing later than a year from now was asked
        latest = max(m[-7:] for m in months)
        assert latest <= f"{__import__('datetime').date.today().year + 1}-12"
        assert 20 < len(months) < 120
    found = {c["url"].rsplit("/", 2)[-2] + "/" + c["url"].rsplit("/", 1)[1] for c in result.captures()
             if c["role"] == "article" and c["classification"] == "report"}
    assert found == {"nb/a.html", "nb/b.html"}
