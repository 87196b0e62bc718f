"""A page whose only report-like text is the column name in its chrome is not a report."""
from __future__ import annotations

from extraction import extract

CHROME = ("<html><head><title>政府信息公开年报</title></head><body>"
          "<div class='nav'>首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>{body}</body></html>")


def test_column_name_as_title_is_not_a_report():
    page = CHROME.format(body="<h1>关于召开政务公开工作推进会的通知</h1><p>各单位：定于3月召开会议。</p>")
    assert extract(page.encode(), filename="a.html").format == "not_a_report"


def test_free_form_report_without_year_is_pre2019():
    body = ("<h1>某某县政府信息公开工作年度报告</h1><p>一、概述</p><p>二、主动公开政府信息情况</p>"
            "<p>三、依申请公开政府信息情况</p><p>四、政府信息公开的收费及减免情况</p>"
            "<p>五、因政府信息公开申请行政复议、提起行政诉讼的情况</p>")
    assert extract(CHROME.format(body=body).encode(), filename="b.html").format == "pre2019"
