"""Hanweb 信息公开目录 (xxgk) imitation: a search page paged by form POST.

Real shapes (portals.md): the 信息公开 page lists categories (信息分类) and bodies (机构分类) that
open ``/module/xxgk/search.jsp?infotypeId=…&area=…&divid=…``; the result page carries a hidden
form (``infotypeId``, ``area``, ``currpage`` …) that its pager script submits by POST for every
further page (``共N条记录 当前第k/P页``); articles are jcms ``/art/<y>/<m>/<d>/art_<col>_<id>.html``
with the body in ``#zoom`` and attachments through ``/module/download/downfile.jsp``.
This imitation answers further pages only to that POST, as the script sends it.
"""
from __future__ import annotations

import hashlib
import html
import math

from . import Reply, Req
from .common import PlannedSite
from .content import Doc

PER_PAGE = 15
XXGK_COL = 1001
NB_TYPE = "A0301"


class HanwebXxgkSite(PlannedSite):
    family = "hanweb_xxgk"
    host = "www.xxgk.demo.test"
    site_name = "嘉兴市人民政府（演示）"
    plan_args = ("嘉兴市", "新丰", "建设", "xxgk", "/art/2024/1/1/art_1_", 6000)

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.bodies_by_area = {self.area(b): b for b in self.plan.bodies}

    # ---------------------------------------------------------------- URLs
    def area(self, body) -> str:
        return f"1133040{body.number:04d}"

    def article_path(self, d: Doc) -> str:
        y, m, day = (int(x) for x in d.date.split("-"))
        return f"/art/{y}/{m}/{day}/art_{XXGK_COL + d.body.number % 100}_{d.num}.html"

    def attachment_path(self, d: Doc) -> str:
        return f"/module/download/downfile.jsp?classid=0&filename={hashlib.md5(str(d.num).encode()).hexdigest()}.pdf"

    def search_url(self, body, infotype: str = "") -> str:
        return f"/module/xxgk/search.jsp?infotypeId={infotype}&area={self.area(body)}&divid=div{XXGK_COL}&standardXxgk=1"

    # ---------------------------------------------------------------- pages
    def chrome(self, title: str, main: str) -> str:
        c = self.c
        nav = (f'<div class="header"><ul class="nav"><li><a href="/">{c["home"]}</a></li>'
               f'<li><a href="/col/col{XXGK_COL}/index.html">{c["xxgk"]}</a></li></ul></div>')
        return self.page(title, nav + f'<div class="main">{main}</div>',
                         '<script src="/module/jslib/jquery/jquery.js"></script>')

    def tree(self, body) -> str:
        c = self.c
        cats = (f'<div class="xxgk_tree"><h3>{c["categories"]}</h3><ul>'
                f'<li><a href="{html.escape(self.search_url(body, "A0101"))}">{c["policy"]}</a></li>'
                f'<li><a href="{html.escape(self.search_url(body, "A0201"))}">{c["plan"]}</a></li>'
                f'<li><a href="{html.escape(self.search_url(body, NB_TYPE))}">{c["column"]}</a></li></ul></div>')
        units = "".join(f'<li><a href="{html.escape(self.search_url(b))}">{html.escape(b.name)}</a></li>'
                        for b in self.plan.bodies if b.kind != "self")
        return cats + f'<div class="xxgk_units"><h3>{c["units"]}</h3><ul>{units}</ul></div>'

    def home(self) -> str:
        return self.chrome(self.site_name, '<div class="banner"></div>')

    def xxgk(self) -> str:
        return self.chrome(self.c["xxgk"], self.tree(self.plan.bodies[0]) +
                           f'<iframe src="{html.escape(self.search_url(self.plan.bodies[0]))}" id="xxgk_frame"></iframe>')

    def search(self, req: Req) -> Reply:
        params = {**req.query, **req.form}
        body = self.bodies_by_area.get(params.get("area", ""), self.plan.bodies[0])
        infotype = params.get("infotypeId", "")
        column = self.plan.column_of(body)
        docs = column.docs if infotype in ("", NB_TYPE) else []
        if infotype == "":
            docs = [d for d in docs if d.kind in ("news", "plan")]      # the body's whole catalogue, newest items
        pages = max(1, math.ceil(len(docs) / PER_PAGE))
        try:
            page = int(req.form.get("currpage", "1")) if req.method == "POST" else 1
        except ValueError:
            page = 1
        page = min(max(page, 1), pages)
        chunk = docs[(page - 1) * PER_PAGE: page * PER_PAGE]
        rows = "".join(
            f'<tr><td>{(page - 1) * PER_PAGE + i + 1}</td><td>{body.number:06d}/{d.date[:4]}-{d.num % 10000:05d}</td>'
            f'<td class="title"><a href="{d.offsite_url or self.article_path(d)}" target="_blank" title="{html.escape(d.title)}">'
            f'{html.escape(d.title[:28])}</a></td><td>{d.date}</td></tr>' for i, d in enumerate(chunk))
        hidden = {"infotypeId": infotype, "jdid": "1", "area": self.area(body), "divid": f"div{XXGK_COL}",
                  "vc_title": "", "vc_number": "", "sortfield": ",compaltedate:0", "currpage": str(page),
                  "vc_filenumber": "", "vc_all": "", "texttype": "", "fbtime": "", "standardXxgk": "1"}
        form = ('<form id="searchform" name="searchform" method="post" action="/module/xxgk/search.jsp">'
                + "".join(f'<input type="hidden" name="{k}" id="{k}" value="{html.escape(v)}">' for k, v in hidden.items())
                + "</form>")
        c = self.c
        links = []
        if page > 1:
            links += [f'<a href="javascript:void(0)" onclick="searchsubmit(1)">{c["first"]}</a>',
                      f'<a href="javascript:void(0)" onclick="searchsubmit({page - 1})">{c["prev_long"]}</a>']
        if page < pages:
            links += [f'<a href="javascript:void(0)" onclick="searchsubmit({page + 1})">{c["next_long"]}</a>',
                      f'<a href="javascript:void(0)" onclick="searchsubmit({pages})">{c["last"]}</a>']
        pager = (f'<div class="xxgk_page">{c["total_xxgk"].format(n=len(docs), p=page, pages=pages)} {" ".join(links)}</div>'
                 '<script>function searchsubmit(p){document.getElementById("currpage").value=p;'
                 'document.searchform.submit();}</script>')
        title = f'{c["column"] if infotype == NB_TYPE else c["xxgk"]}-{body.name}'
        table = (f'<table class="xxgk_table_list"><tr><th>序号</th><th>{c["index_no"]}</th><th>{c["title_label"]}</th>'
                 f'<th>{c["made_date"]}</th></tr>{rows or "<tr><td colspan=4>" + c["no_records"] + "</td></tr>"}</table>')
        return Reply(body=self.chrome(title, self.tree(body) + form + table + pager))

    def article(self, d: Doc) -> str:
        c = self.c
        meta = (f'<table class="xxgk_info"><tr><td>{c["index_no"]}：</td><td>{d.body.number:06d}/{d.date[:4]}-{d.num % 10000:05d}</td>'
                f'<td>{c["topic"]}：</td><td>{c["topic_value"]}</td></tr>'
                f'<tr><td>{c["publisher"]}：</td><td>{html.escape(d.body.name)}</td><td>{c["made_date"]}：</td><td>{d.date}</td></tr>'
                f'<tr><td>{c["doc_no"]}：</td><td></td><td>{c["open_date"]}：</td><td>{d.date}</td></tr></table>')
        att = ""
        if d.pdf:
            att = f'<p>{c["attachment"]}<a href="{html.escape(self.attachment_path(d))}">{html.escape(d.pdf_name)}</a></p>'
        main = (meta + f'<div class="article"><h2 class="title">{html.escape(d.title)}</h2>'
                f'<div id="zoom">{d.html}{att}</div></div>'
                f'<script src="/module/visitcount/articlehits.jsp?colid={XXGK_COL}&artid={d.num}"></script>')
        return self.chrome(d.title, main)

    # ---------------------------------------------------------------- routing
    def handle(self, req: Req) -> Reply | None:
        p = req.path
        if p == "/":
            return Reply(body=self.home())
        if p == f"/col/col{XXGK_COL}/index.html":
            return Reply(body=self.xxgk())
        if p == "/module/xxgk/search.jsp":
            return self.search(req)
        if p == "/module/download/downfile.jsp":
            for d in self.plan.docs:
                if d.pdf and self.attachment_path(d).endswith(req.query.get("filename", "-")):
                    return Reply(body=d.pdf, ctype="application/octet-stream")
            return None
        return self.article_reply(p)
