"""The 年报 column's list pages, in each family's real paging style.

* TRS: ``index.html``, ``index_1.html`` … with ``var countPage = N`` and
  ``createPageHTML(countPage, currentPage, "index", "html")`` writing the pager in the browser;
* Hanweb jcms: the first records in ``<script type="text/xml"><datastore>``, the rest served by the
  POST proxy (``dataproxy``, answered in ``server.py`` from ``site.extra["records"]``);
* generic: ``list.htm``, ``list_2.htm`` … with a plain 首页 / 上一页 / 下一页 / 尾页 bar.
"""
from __future__ import annotations

import html
import math
from typing import Any

from .sites import Entry, Resource, Site, _crumb, _footer, _nav, _page

TRS_PAGER_JS = """<script language="JavaScript">
var currentPage = %(current)d;//current page, from 0
var prevPage = currentPage-1;
var nextPage = currentPage+1;
var countPage = %(count)d;//page count
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount<=1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex == 0) document.write("<span>%(first)s</span> ");
  else document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">%(first)s</a> ");
  for(var i=1; i<_nPageCount; i++){
    if(nCurrIndex == i) document.write("<span>"+(i+1)+"</span> ");
    else document.write("<a href=\\"" + _sPageName + "_" + i + "." + _sPageExt + "\\">"+(i+1)+"</a> ");
  }
}
createPageHTML(countPage, currentPage, "index", "html");
</script>"""


def _short(title: str, n: int = 26) -> str:
    return title if len(title) <= n else title[:n] + "…"


def _href(site: Site, e: Entry, list_dir: str) -> str:
    if e.url.startswith("http"):
        return e.url
    if site.family == "trs" and e.url.startswith(list_dir):
        return "./" + e.url[len(list_dir):]
    return e.url


def add_lists(site: Site, catalog: dict[str, Any], spec: dict[str, Any]) -> None:
    c = catalog["chrome"]
    per = spec.get("per_page", 10)
    entries = site.entries
    pages = max(1, math.ceil(len(entries) / per))
    chunks = [entries[i * per:(i + 1) * per] for i in range(pages)]

    def frame(main: str) -> str:
        body = _nav(c, site.column_url) + _crumb(c, site.column_url) + \
            f'<div class="main"><h2 class="column-title">{c["column"]}</h2>{main}</div>' + _footer(c, spec)
        return _page(f'{c["column"]}-{site.name}', site.encoding, "", body)

    if site.family == "trs":
        col = spec.get("column_path", "/xxgk/nb/")
        for k, chunk in enumerate(chunks):
            items = "".join(f'<li><a href="{_href(site, e, col)}" target="_blank" title="{html.escape(e.title)}">'
                            f'{html.escape(_short(e.title))}</a><span class="date">{e.date}</span></li>'
                            for e in chunk)
            pager = TRS_PAGER_JS % {"current": k, "count": pages, "first": c["first"]}
            page = frame(f'<ul class="list">{items}</ul><div class="page">{pager}</div>')
            name = "index.html" if k == 0 else f"index_{k}.html"
            site.resources[col + name] = Resource(page, static=False)
            if k == 0:
                site.resources[col] = Resource(page, static=False)
    elif site.family == "hanweb":
        cid, unit, web = spec["column_id"], spec["unit_id"], spec["web_id"]
        records = [f'<li><a href="{e.url}" title="{html.escape(e.title)}" target="_blank">'
                   f'{html.escape(_short(e.title))}</a><span class="bt-data-time">[{e.date}]</span></li>'
                   for e in entries]
        site.extra.update(records=records, column_id=cid, per_page=per)
        first = "".join(f"<record><![CDATA[{r}]]></record>" for r in records[:per])
        proxy = (f"/module/web/jpage/dataproxy.jsp?page=1&amp;appid=1&amp;webid={web}&amp;path=/&amp;"
                 f"columnid={cid}&amp;unitid={unit}&amp;permissiontype=0")
        main = (f'<div id="{unit}"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="{proxy}"></a>]]>'
                f'</nextgroup><recordset>{first}</recordset></datastore></script></div>'
                f'<script language="javascript" src="/module/web/jpage/jpage.js"></script>'
                f'<script type="text/javascript">$(document).ready(function(){{$("#{unit}").jpage({{'
                f'dataStore: dataStore, proxyUrl: "/module/web/jpage/dataproxy.jsp", perPage: {per}, '
                f'totalRecord: {len(records)}, groupSize: 3, barPosition: "bottom", ajaxParam: {{col: 1, '
                f'appid: 1, webid: {web}, path: "/", columnid: {cid}, sourceContentType: 1, unitid: {unit}, '
                f'webname: "{html.escape(site.name)}", permissiontype: 0}}}});}});</script>')
        site.resources[site.column_url] = Resource(frame(main), static=False)
    else:
        col = spec.get("column_path", "/nb/")
        for k, chunk in enumerate(chunks, start=1):
            rows = "".join(f'<tr><td class="title"><a href="{_href(site, e, col)}" target="_blank">'
                           f'{html.escape(e.title)}</a></td><td class="date">{e.date}</td></tr>' for e in chunk)
            name = lambda n: "list.htm" if n == 1 else f"list_{n}.htm"  # noqa: E731
            bar = [c["total"].format(n=len(entries), p=k, pages=pages), f'<a href="{name(1)}">{c["first"]}</a>']
            if k > 1:
                bar.append(f'<a href="{name(k - 1)}">{c["prev"]}</a>')
            if k < pages:
                bar.append(f'<a href="{name(k + 1)}">{c["next"]}</a>')
            bar.append(f'<a href="{name(pages)}">{c["last"]}</a>')
            page = frame(f'<table class="list">{rows}</table><div class="page">{" ".join(bar)}</div>')
            site.resources[col + name(k)] = Resource(page, static=False)
