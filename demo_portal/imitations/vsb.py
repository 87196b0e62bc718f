"""VSB / 博达 imitation: static ``.htm`` lists numbered backwards.

Real shapes (portals.md): a column is ``/<section>/<col>.htm`` (newest first); older pages are
``/<section>/<col>/<N>.htm`` with N counting *down* (with P pages, page 2 is ``<col>/<P-1>.htm``
and the last page ``<col>/1.htm``); the bar prints ``共X条 首页 上页 下页 尾页`` plus page numbers
inside ``<span class="p_…">``; articles are ``/info/<colid>/<artid>.htm`` with the body in
``#vsb_content`` / ``.v_news_content`` and attachments through
``/system/_content/download.jsp?…&wbfileid=…``.
"""
from __future__ import annotations

import html
import math

from . import Reply, Req
from .common import PlannedSite
from .content import Doc

PER_PAGE = 10


class VsbSite(PlannedSite):
    family = "vsb"
    host = "www.vsb.demo.test"
    site_name = "宜兴市人民政府（演示）"
    plan_args = ("宜兴市", "丁蜀", "宜城", "vsb", "/info/", 4000)
    home_path = "/index.htm"

    # ---------------------------------------------------------------- URLs
    def section(self, body) -> str:
        return "xxgk" if body.kind == "self" else body.key

    def column_path(self, body) -> str:
        return f"/{self.section(body)}/zfxxgknb.htm"

    def page_path(self, body, k: int, pages: int) -> str:
        """Page k (1-based) of a column with ``pages`` pages: page 1 is the column itself."""
        if k == 1:
            return self.column_path(body)
        return f"/{self.section(body)}/zfxxgknb/{pages - k + 1}.htm"

    def article_path(self, d: Doc) -> str:
        return f"/info/{d.body.number + 3}/{d.num}.htm"

    def attachment_path(self, d: Doc) -> str:
        return f"/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner={d.num * 13}&wbfileid={d.num * 7}"

    # ---------------------------------------------------------------- pages
    def chrome(self, title: str, main: str, crumb: list[tuple[str, str]], left: str = "") -> str:
        c = self.c
        nav = (f'<div class="header"><ul class="menu"><li><a href="/index.htm">{c["home"]}</a></li>'
               f'<li><a href="/xxgk.htm">{c["xxgk"]}</a></li><li><a href="/xwzx.htm">{c["news"]}</a></li></ul></div>')
        pos = '<div class="dqwz">' + c["position"] + " &gt; ".join(
            f'<a href="{u}">{html.escape(t)}</a>' for u, t in crumb) + "</div>"
        head = ('<script type="text/javascript" src="/system/resource/js/counter.js"></script>'
                '<script type="text/javascript">_jsq_(1001,"/content.jsp",-1,1234567)</script>'
                '<link rel="stylesheet" href="/system/resource/js/vsb_style.css">')
        return self.page(title, nav + pos + f'<div class="left">{left}</div><div class="main">{main}</div>', head)

    def left_menu(self, body) -> str:
        return (f'<ul class="leftnav"><li><a href="/{self.section(body)}/jgzn.htm">机构职能</a></li>'
                f'<li><a href="{self.column_path(body)}">{self.c["column"]}</a></li></ul>')

    def home(self) -> str:
        news = [d for d in self.plan.docs if d.kind == "news"][:4]
        items = "".join(f'<li><a href="{self.href(d)}" title="{html.escape(d.title)}">{html.escape(d.title)}</a>'
                        f'<span>{d.date}</span></li>' for d in news)
        return self.chrome(self.site_name, f'<div class="news"><ul>{items}</ul></div>', [("/index.htm", self.c["home"])])

    def href(self, d: Doc, depth: int = 0) -> str:
        if d.offsite_url:
            return d.offsite_url
        return "../" * depth + self.article_path(d).lstrip("/") if depth else self.article_path(d)

    def xxgk(self) -> str:
        c = self.c
        city = self.plan.bodies[0]
        main = (f'<ul class="gklist"><li><a href="{self.column_path(city)}">{c["column"]}</a></li>'
                f'<li><a href="/xxgk/bmxxgk.htm">{c["dept_hub"]}</a></li>'
                f'<li><a href="/xxgk/zjxxgk.htm">{c["town_hub"]}</a></li></ul>')
        return self.chrome(c["xxgk"], main, [("/index.htm", c["home"]), ("/xxgk.htm", c["xxgk"])])

    def hub(self, kind: str, label: str, path: str) -> str:
        items = "".join(f'<li><a href="../{b.key}.htm">{html.escape(b.name)}</a></li>'
                        for b in self.plan.bodies if b.kind == kind)
        return self.chrome(label, f'<ul class="bmlist">{items}</ul>',
                           [("/index.htm", self.c["home"]), ("/xxgk.htm", self.c["xxgk"]), (path, label)])

    def body_home(self, body) -> str:
        return self.chrome(body.name, f'<h2>{html.escape(body.name)}</h2><p>机构职能……</p>',
                           [("/index.htm", self.c["home"]), ("/xxgk.htm", self.c["xxgk"]), (f"/{body.key}.htm", body.name)],
                           self.left_menu(body))

    def column_page(self, body, k: int) -> str:
        c = self.c
        column = self.plan.column_of(body)
        pages = max(1, math.ceil(len(column.docs) / PER_PAGE))
        depth = 1 if k == 1 else 2                       # /sec/col.htm vs /sec/col/N.htm
        chunk = column.docs[(k - 1) * PER_PAGE: k * PER_PAGE]
        rows = "".join(f'<li id="line_u8_{i}"><a href="{self.href(d, depth)}" target="_blank" title="{html.escape(d.title)}">'
                       f'{html.escape(d.title[:30])}</a><span class="time">{d.date}</span></li>'
                       for i, d in enumerate(chunk))

        def rel(n: int) -> str:
            target = self.page_path(body, n, pages)
            if k == 1:
                return target.split("/", 2)[2]           # zfxxgknb/N.htm
            return target.rsplit("/", 1)[1] if n > 1 else "../zfxxgknb.htm"

        bar = [f'<span class="p_t">{c["total_vsb"].format(n=len(column.docs))}</span> <span class="p_t">{k}/{pages}</span>',
               '<span class="p_pages">']
        bar.append(f'<span class="p_first p_fun"><a href="{rel(1)}">{c["first"]}</a></span>' if k > 1
                   else f'<span class="p_first_d p_fun_d">{c["first"]}</span>')
        bar.append(f'<span class="p_prev p_fun"><a href="{rel(k - 1)}">{c["prev"]}</a></span>' if k > 1
                   else f'<span class="p_prev_d p_fun_d">{c["prev"]}</span>')
        for n in range(1, pages + 1):
            bar.append(f'<span class="p_no_d">{n}</span>' if n == k else f'<span class="p_no"><a href="{rel(n)}">{n}</a></span>')
        bar.append(f'<span class="p_next p_fun"><a href="{rel(k + 1)}">{c["next"]}</a></span>' if k < pages
                   else f'<span class="p_next_d p_fun_d">{c["next"]}</span>')
        bar.append(f'<span class="p_last p_fun"><a href="{rel(pages)}">{c["last"]}</a></span>' if k < pages
                   else f'<span class="p_last_d p_fun_d">{c["last"]}</span>')
        bar.append(f'</span><span class="p_t">{c["jump"]}</span><input type="text" class="p_goto_input" id="u8_goto">'
                   f'<script>function a8_gopage_fun(){{var pn=document.getElementById("u8_goto").value;'
                   f'_simple_list_gotopage_fun({pages},"u8_goto",2)}}</script>')
        main = (f'<div class="list"><h2>{c["column"]}</h2><ul>{rows}</ul></div>'
                f'<div class="pb_sys_common pb_sys_normal pb_sys_style1">{"".join(bar)}</div>')
        return self.chrome(f'{c["column"]}-{body.name}', main, [
            ("/index.htm", c["home"]), ("/xxgk.htm", c["xxgk"]), (f"/{body.key}.htm", body.name),
            (self.column_path(body), c["column"])], self.left_menu(body))

    def article(self, d: Doc) -> str:
        c = self.c
        index_no = f"{d.body.number:06d}-{d.date[:4]}-{d.num % 10000:04d}"
        meta = (f'<table class="xxgk_info"><tr><td class="lab">{c["index_no"]}：</td><td>{index_no}</td>'
                f'<td class="lab">{c["topic"]}：</td><td>{c["topic_value"]}</td></tr>'
                f'<tr><td class="lab">{c["publisher"]}：</td><td>{html.escape(d.body.name)}</td>'
                f'<td class="lab">{c["made_date"]}：</td><td>{d.date}</td></tr></table>')
        att = ""
        if d.pdf:
            att = (f'<ul style="list-style-type:none;"><li>{c["attachment"]}<a href="{html.escape(self.attachment_path(d))}" '
                   f'target="_blank">{html.escape(d.pdf_name)}</a> <span id="nattach{d.num}">'
                   f'<script language="javascript">getClickTimes({d.num},{d.num * 13},"wbnewsfile","attach")</script></span></li></ul>')
        main = (meta + f'<form name="_newscontent_fromname"><div class="content-title"><h3>{html.escape(d.title)}</h3></div>'
                f'<div class="content-info">{c["published"]}{d.date} {c["visits"]}<script>_showDynClicks("wbnews", 1234567, {d.num})</script></div>'
                f'<div id="vsb_content"><div class="v_news_content">{d.html}</div></div>{att}</form>')
        return self.chrome(d.title, main, [
            ("/index.htm", c["home"]), ("/xxgk.htm", c["xxgk"]), (f"/{d.body.key}.htm", d.body.name),
            (self.column_path(d.body), c["column"])], self.left_menu(d.body))

    # ---------------------------------------------------------------- routing
    def handle(self, req: Req) -> Reply | None:
        p, c = req.path, self.c
        if p in ("/", "/index.htm"):
            return Reply(body=self.home())
        if p == "/xxgk.htm":
            return Reply(body=self.xxgk())
        if p == "/xxgk/bmxxgk.htm":
            return Reply(body=self.hub("dept", c["dept_hub"], p))
        if p == "/xxgk/zjxxgk.htm":
            return Reply(body=self.hub("town", c["town_hub"], p))
        if p == "/system/_content/download.jsp":
            for d in self.plan.docs:
                if d.pdf and req.query.get("wbfileid") == str(d.num * 7):
                    return Reply(body=d.pdf, ctype="application/octet-stream",
                                 headers={"Content-Disposition": "attachment; filename=report.pdf"})
            return None
        for body in self.plan.bodies:
            column = self.plan.column_of(body)
            pages = max(1, math.ceil(len(column.docs) / PER_PAGE))
            if p == f"/{body.key}.htm" and body.kind != "self":
                return Reply(body=self.body_home(body))
            for k in range(1, pages + 1):
                if p == self.page_path(body, k, pages):
                    return Reply(body=self.column_page(body, k))
        return self.article_reply(p)
