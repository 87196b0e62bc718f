"""广东 gkmlpt imitation: a script-rendered 信息公开目录 over JSON APIs.

Real shapes (portals.md): ``/gkmlpt/index`` is a single-page app shell (the category tree is
data in a script); lists come from ``/gkmlpt/api/all/<catid>?page=N`` as JSON; articles are
``/gkmlpt/content/<a>/<b>/post_<id>.html`` whose body is rendered from the ``content`` field of
the JSON the page carries. Departments run their own copy under ``/<dept>/gkmlpt/``.
"""
from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone

from . import Reply, Req
from .common import PlannedSite
from .content import Doc

PAGE_SIZE = 10
NB_CATID = 2911


class GkmlptSite(PlannedSite):
    family = "gkmlpt"
    host = "www.gkmlpt.demo.test"
    site_name = "江门市人民政府（演示）"
    plan_args = ("江门市", "杜阮", "白沙", "gkmlpt", "/gkmlpt/content/0/1/post_", 5000)

    # ---------------------------------------------------------------- URLs
    def prefix(self, body) -> str:
        return "" if body.kind == "self" else f"/{body.key}"

    def post_id(self, d: Doc) -> int:
        return 3_000_000 + d.num

    def article_path(self, d: Doc) -> str:
        pid = self.post_id(d)
        return f"{self.prefix(d.body)}/gkmlpt/content/{pid // 1_000_000}/{pid // 1000}/post_{pid}.html"

    def attachment_path(self, d: Doc) -> str:
        return f"/attachment/0/{d.num % 97}/{d.num}/{self.post_id(d)}.pdf"

    def catid(self, body) -> int:
        return NB_CATID + (0 if body.kind == "self" else body.number)

    def sid(self, body) -> str:
        return f"7{body.number:05d}"

    # ---------------------------------------------------------------- pages
    def chrome(self, title: str, main: str, head: str = "") -> str:
        c = self.c
        nav = (f'<div class="header"><ul class="nav"><li><a href="/">{c["home"]}</a></li>'
               f'<li><a href="/gkmlpt/index">{c["xxgk"]}</a></li><li><a href="/bmdh.html">部门导航</a></li>'
               f'<li><a href="/zjdh.html">{c["town_hub"]}</a></li></ul></div>')
        return self.page(title, nav + f'<div class="main">{main}</div>', head)

    def home(self) -> str:
        return self.chrome(self.site_name, '<div class="banner"></div>')

    def hub(self, kind: str, label: str) -> str:
        items = "".join(f'<li><a href="/{b.key}/gkmlpt/index">{html.escape(b.name)}</a></li>'
                        for b in self.plan.bodies if b.kind == kind)
        return self.chrome(label, f'<h2>{html.escape(label)}</h2><ul class="dept-list">{items}</ul>')

    def index(self, body) -> str:
        tree = [{"id": 1, "name": "机构概况", "parent": 0, "jump": 0},
                {"id": 2, "name": self.c["policy"], "parent": 0, "jump": 0},
                {"id": 3, "name": self.c["plan"], "parent": 0, "jump": 0},
                {"id": self.catid(body), "name": self.c["column"], "parent": 0, "jump": 0}]
        script = (f'<script>window.SID = "{self.sid(body)}"; window.ORGAN = {json.dumps(body.name, ensure_ascii=False)};'
                  f'window.CLASSIFY = {json.dumps(tree, ensure_ascii=False)};</script>'
                  f'<script src="/gkmlpt/static/js/chunk-vendors.js"></script><script src="/gkmlpt/static/js/app.js"></script>')
        main = '<div id="app"><div class="gkml-left"></div><div class="gkml-right"><ul class="gkml-list"></ul></div></div>'
        return self.chrome(f"{body.name}政府信息公开", main + script)

    def api(self, body, req: Req) -> Reply:
        column = self.plan.column_of(body)
        try:
            page = max(1, int(req.query.get("page", 1)))
        except ValueError:
            page = 1
        chunk = column.docs[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]

        def art(d: Doc) -> dict:
            ts = int(datetime.fromisoformat(d.date).replace(hour=9, tzinfo=timezone.utc).timestamp())
            return {"id": self.post_id(d), "title": d.title, "url": d.offsite_url or self.url(self.article_path(d)),
                    "date": ts, "publisher": d.body.name, "identifier": f"{body.number}/{d.date[:4]}-{d.num}",
                    "document_number": ""}
        return Reply.json({"classify": {"id": self.catid(body), "name": self.c["column"]}, "total": len(column.docs),
                           "articles": [art(d) for d in chunk], "page": page})

    def article(self, d: Doc) -> str:
        c = self.c
        ident = f"{d.body.number:011d}/{d.date[:4]}-{d.num % 10000:05d}"
        rows = [(c["index_no"], ident, c["category"], c["category_value"]),
                (c["publisher"], d.body.name, c["made_date"], d.date),
                (c["doc_no"], "", c["published"].rstrip("："), d.date)]
        table = "".join(f'<tr><td class="first">{a}：</td><td class="second">{html.escape(b)}</td>'
                        f'<td class="first">{x}：</td><td class="second">{html.escape(y)}</td></tr>' for a, b, x, y in rows)
        table += f'<tr><td class="first">{c["title_label"]}：</td><td colspan="3">{html.escape(d.title)}</td></tr>'
        data = {"id": self.post_id(d), "title": d.title, "content": d.html, "publisher": d.body.name,
                "attachment": ([{"name": d.pdf_name, "url": self.attachment_path(d)}] if d.pdf else [])}
        payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
        main = (f'<div class="classify"><table>{table}</table></div>'
                f'<div class="content"><h1 class="title" id="js_title"></h1><div class="article-content" id="js_content"></div>'
                f'<div class="attachment" id="js_attachment"></div></div>'
                f'<script>var DATA = {payload};</script><script src="/gkmlpt/static/js/content.js"></script>')
        return self.chrome(d.title, main)

    # ---------------------------------------------------------------- routing
    def handle(self, req: Req) -> Reply | None:
        p = req.path
        if p == "/":
            return Reply(body=self.home())
        if p == "/bmdh.html":
            return Reply(body=self.hub("dept", "部门导航"))
        if p == "/zjdh.html":
            return Reply(body=self.hub("town", self.c["town_hub"]))
        for body in self.plan.bodies:
            pre = self.prefix(body)
            if p == f"{pre}/gkmlpt/index":
                return Reply(body=self.index(body))
            m = re.fullmatch(re.escape(pre) + r"/gkmlpt/api/all/(\d+)", p)
            if m:
                if int(m.group(1)) != self.catid(body):
                    return Reply.json({"classify": {}, "total": 0, "articles": []})
                return self.api(body, req)
        return self.article_reply(p) or self.attachment_reply(p)
