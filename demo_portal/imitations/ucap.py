"""UCAP imitation (the 太仓 portal's CMS): pages built by script from JSON APIs.

Real shapes (portals.md): the 信息公开 tree comes from ``GET /szinf/getChannelList``; a column
page ``/taicang/<unit>03/list.shtml`` is an empty shell whose script POSTs
``/appsearch/tcapi/list?pid=<channel>&pageSize=15&currentPage=N`` and renders the JSON answer;
articles are ``/taicang/<unit>03/<yyyymm>/<32 hex>.shtml`` with a metadata table (索引号 / 分类 /
发布机构 / 公开日期) and the body in ``#zoomcon`` / ``<ucapcontent>``.
"""
from __future__ import annotations

import html
import math

from . import Reply, Req
from .common import PlannedSite
from .content import Doc

PAGE_SIZE = 15


class UcapSite(PlannedSite):
    family = "ucap"
    host = "www.ucap.demo.test"
    site_name = "太仓市人民政府（演示）"
    plan_args = ("太仓市", "浏河", "娄东", "ucap", "/art/", 3000)

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.columns_by_pid = {self.pid(c.body): c for c in self.plan.columns}
        # UCAP files a document referenced by another column under that column's unit path too
        # (same 32-hex id): the city's column shows one department report at its own path
        city = self.plan.columns[0]
        foreign = [d for d in city.docs if d.body is not city.body and d.is_report]
        self.aliases = {id(d): self.article_path(d, city.body) for d in foreign[:1]}
        self.docs_by_path.update({path: d for d in foreign[:1] for path in [self.aliases[id(d)]]})

    # ---------------------------------------------------------------- URLs
    def pid(self, body) -> str:
        return f"{body.number:04d}{body.key}"

    def list_path(self, body) -> str:
        return f"/taicang/{body.key}03/list.shtml"

    def article_path(self, d: Doc, unit=None) -> str:
        return f"/taicang/{(unit or d.body).key}03/{d.date[:4]}{d.date[5:7]}/{d.hexid}.shtml"

    def attachment_path(self, d: Doc) -> str:
        return f"/taicang/{d.body.key}03/{d.date[:4]}{d.date[5:7]}/{d.hexid}/files/{d.hexid[::-1]}.pdf"

    def href(self, d: Doc, column=None) -> str:
        if column is not None and column is self.plan.columns[0] and id(d) in self.aliases:
            return self.aliases[id(d)]
        return d.offsite_url or self.article_path(d)

    # ---------------------------------------------------------------- pages
    def chrome(self, title: str, main: str, crumb: list[tuple[str, str]] | None = None, head: str = "") -> str:
        nav = (f'<div class="header"><ul class="nav"><li><a href="/">{self.c["home"]}</a></li>'
               f'<li><a href="/taicang/xxgk/index.shtml">{self.c["xxgk"]}</a></li>'
               f'<li><a href="/taicang/news/index.shtml">{self.c["news"]}</a></li></ul></div>')
        pos = ""
        if crumb:
            pos = '<div class="position">' + self.c["position"] + " &gt; ".join(
                f'<a href="{u}">{html.escape(t)}</a>' for u, t in crumb) + "</div>"
        return self.page(title, nav + pos + f'<div class="main">{main}</div>',
                         head + '<script src="/static/ucap/js/ucap.js"></script>')

    def home(self) -> str:
        latest = [d for d in self.plan.docs if d.kind == "news"][:3]
        items = "".join(f'<li><a href="{self.href(d)}">{html.escape(d.title)}</a><span>{d.date}</span></li>'
                        for d in latest)
        return self.chrome(self.site_name, f'<div class="news"><h3>{self.c["news"]}</h3><ul>{items}</ul></div>')

    def xxgk(self) -> str:
        # the channel tree is drawn by script from getChannelList; nothing static to follow
        main = ('<div class="xxgk-tree"><ul id="channelTree"></ul></div>'
                '<script>$(function(){$.getJSON("/szinf/getChannelList",{siteId:"taicang",parentId:"xxgk"},'
                'function(res){ucap.renderTree("#channelTree",res.data);});});</script>')
        return self.chrome(self.c["xxgk"], main, [("/", self.c["home"]), ("/taicang/xxgk/index.shtml", self.c["xxgk"])])

    def channel_list(self) -> dict:
        def leaf(body) -> dict:
            return {"channelId": self.pid(body), "channelName": self.c["column"], "url": self.list_path(body),
                    "children": []}
        groups = []
        city = self.plan.bodies[0]
        groups.append({"channelId": "xxgk-fdzdgknr", "channelName": "法定主动公开内容", "children": [leaf(city)]})
        for kind, label in (("dept", self.c["dept_hub"]), ("town", self.c["town_hub"])):
            groups.append({"channelId": f"xxgk-{kind}", "channelName": label, "children": [
                {"channelId": f"{b.number:04d}", "channelName": b.name, "children": [
                    {"channelId": f"{b.number:04d}01", "channelName": self.c["policy"], "url": f"/taicang/{b.key}01/list.shtml",
                     "children": []},
                    leaf(b)]}
                for b in self.plan.bodies if b.kind == kind]})
        return {"code": "200", "msg": "success", "data": groups}

    def column_page(self, body) -> str:
        pid = self.pid(body)
        main = (f'<h2 class="column-title">{self.c["column"]}</h2><ul class="list" id="listContent"></ul>'
                f'<div id="pageBar"></div>'
                f'<script>var pid = "{pid}"; var pageSize = {PAGE_SIZE};'
                f'function loadPage(n){{$.ajax({{type:"POST",url:"/appsearch/tcapi/list?pid="+pid+"&pageSize="+pageSize'
                f'+"&currentPage="+n,dataType:"json",success:function(r){{ucap.renderList("#listContent",r.data);'
                f'ucap.renderPager("#pageBar",r.data.total,pageSize,n,loadPage);}}}});}}loadPage(1);</script>')
        return self.chrome(f'{self.c["column"]}-{body.name}', main, [
            ("/", self.c["home"]), ("/taicang/xxgk/index.shtml", self.c["xxgk"]),
            (self.list_path(body), body.name), (self.list_path(body), self.c["column"])])

    def list_api(self, req: Req) -> Reply:
        if req.method != "POST":
            return Reply(405, '{"code":"405","msg":"Request method GET not supported"}', "application/json")
        column = self.columns_by_pid.get(req.query.get("pid", ""))
        try:
            size = max(1, min(50, int(req.query.get("pageSize", PAGE_SIZE))))
            page = max(1, int(req.query.get("currentPage", 1)))
        except ValueError:
            return Reply(400, '{"code":"400"}', "application/json")
        docs = column.docs if column else []
        chunk = docs[(page - 1) * size: page * size]
        return Reply.json({"code": 200, "msg": "success", "data": {
            "total": len(docs), "pageSize": size, "currentPage": page, "totalPage": math.ceil(len(docs) / size),
            "list": [{"id": d.hexid, "title": d.title, "url": self.href(d, column), "publishDate": f"{d.date} 09:{d.num % 60:02d}:00",
                      "source": d.body.short} for d in chunk]}})

    def article(self, d: Doc) -> str:
        c = self.c
        index_no = f"{d.body.number:09d}/{d.date[:4]}-{d.num % 100000:05d}"
        meta = (f'<table class="xxgk-info" border="0"><tr><th>{c["index_no"]}:</th><td>{index_no}</td>'
                f'<th>{c["category"]}:</th><td>{c["category_value"]}</td></tr>'
                f'<tr><th>{c["publisher"]}:</th><td>{html.escape(d.body.short)}</td>'
                f'<th>{c["open_date"]}:</th><td>{d.date}</td></tr>'
                f'<tr><th>{c["title_label"]}:</th><td colspan="3">{html.escape(d.title)}</td></tr></table>')
        att = ""
        if d.pdf:
            att = (f'<div class="attach"><p>{c["attachment"]}<a href="{self.attachment_path(d)}" target="_blank">'
                   f"{html.escape(d.pdf_name)}</a></p></div>")
        main = (meta + f'<div class="article"><h1 class="title">{html.escape(d.title)}</h1>'
                f'<div class="info">{c["published"]}{d.date} {c["visits"]}<span id="hits"></span> {c["font"]}</div>'
                f'<div id="zoomcon"><ucapcontent>{d.html}</ucapcontent></div>{att}</div>')
        return self.chrome(d.title, main, [
            ("/", c["home"]), ("/taicang/xxgk/index.shtml", c["xxgk"]),
            (self.list_path(d.body), d.body.name), (self.list_path(d.body), c["column"])],
            head=f'<meta name="ArticleTitle" content="{html.escape(d.title)}">')

    # ---------------------------------------------------------------- routing
    def handle(self, req: Req) -> Reply | None:
        p = req.path
        if p in ("/", "/index.shtml"):
            return Reply(body=self.home())
        if p == "/taicang/xxgk/index.shtml":
            return Reply(body=self.xxgk())
        if p == "/szinf/getChannelList":
            return Reply.json(self.channel_list())
        if p == "/appsearch/tcapi/list":
            return self.list_api(req)
        for body in self.plan.bodies:
            if p == self.list_path(body):
                return Reply(body=self.column_page(body))
        return self.article_reply(p) or self.attachment_reply(p)

    def doc_aliases(self, d: Doc) -> list[str]:
        return [self.url(self.aliases[id(d)])] if id(d) in self.aliases else []
