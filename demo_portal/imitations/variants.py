"""Second deployments of the same four families, with other markup details.

Why: real portals of one family differ in field names, wrappers, where an id sits and which
classes a template prints. An adapter tuned to one imitation would pass its own test and fail the
next portal; these variants keep the family's URL shapes and paging mechanism but change the
details (JSON keys and wrappers, ids in attributes instead of scripts, pagers without classes or
forms, bodies nested in other script objects). ``tests/test_family_variants.py`` crawls them.
"""
from __future__ import annotations

import html
import json
import math
import re
from datetime import datetime, timezone

from . import Reply, Req
from .content import Doc
from .gkmlpt import GkmlptSite
from .hanweb_xxgk import HanwebXxgkSite
from .ucap import PAGE_SIZE as UCAP_PAGE, UcapSite
from .vsb import PER_PAGE as VSB_PAGE, VsbSite


class UcapVariant(UcapSite):
    """Channel id in a data attribute, list script external; other JSON keys and wrappers."""
    host = "www.ucap2.demo.test"

    def column_page(self, body) -> str:
        page = super().column_page(body)
        shell = (f'<div class="list-box" id="docList" data-pid="{self.pid(body)}" data-size="{UCAP_PAGE}"></div>'
                 '<script src="/static/ucap/js/list.js"></script><script>$(function(){initList("#docList");});</script>')
        return re.sub(r'<ul class="list" id="listContent"></ul>.*?</script>', shell, page, flags=re.S)

    def xxgk(self) -> str:
        return super().xxgk().replace('{siteId:"taicang",parentId:"xxgk"}', "{}").replace(
            '"/szinf/getChannelList"', '"/szinf/getChannelList?siteId=tc2"')

    def channel_list(self) -> dict:
        def convert(node: dict) -> dict:
            out = {"name": node["channelName"], "code": node["channelId"]}
            if node.get("url"):
                out["link"] = node["url"]
            out["childList"] = [convert(c) for c in node.get("children", [])]
            return out
        return {"status": 0, "channels": [convert(n) for n in super().channel_list()["data"]]}

    def list_api(self, req: Req) -> Reply:
        reply = super().list_api(req)
        if reply.status != 200:
            return reply
        data = json.loads(reply.body)["data"]
        records = [{"docTitle": r["title"], "docUrl": r["url"],
                    "pubDate": int(datetime.fromisoformat(r["publishDate"]).replace(tzinfo=timezone.utc).timestamp() * 1000)}
                   for r in data["list"]]
        return Reply.json({"success": True, "result": {"totalCount": data["total"], "records": records}})


class VsbVariant(VsbSite):
    """An older template: the pager is a class-less table cell, no jump script; body only in
    ``.v_news_content``."""
    host = "www.vsb2.demo.test"

    def column_page(self, body, k: int) -> str:
        page = super().column_page(body, k)
        column = self.plan.column_of(body)
        pages = max(1, math.ceil(len(column.docs) / VSB_PAGE))
        links = re.findall(r'<span class="p_(next|last) p_fun"><a href="([^"]+)">', page)
        cells = "".join(f'<a href="{href}" class="Next">{self.c["next" if kind == "next" else "last"]}</a>&nbsp;'
                        for kind, href in links)
        bar = (f'<table><tr><td nowrap align="left" id="fanye{body.number}">共{len(column.docs)}条&nbsp;&nbsp;'
               f'{k}/{pages}&nbsp;</td><td nowrap>{cells}</td></tr></table>')
        return re.sub(r'<div class="pb_sys_common.*?</script></div>', bar, page, flags=re.S)

    def article(self, d: Doc) -> str:
        return super().article(d).replace('<div id="vsb_content">', '<div class="content">')


class GkmlptVariant(GkmlptSite):
    """Category tree and article body nested in ``__INITIAL_STATE__``-style objects with other keys."""
    host = "www.gkmlpt2.demo.test"

    def index(self, body) -> str:
        page = super().index(body)
        state = {"site": {"sid": self.sid(body), "organ": body.name},
                 "catalog": {"items": [{"catId": 1, "catName": "机构概况"}, {"catId": self.catid(body), "catName": self.c["column"]}]}}
        script = f"<script>window.__INITIAL_STATE__ = {json.dumps(state, ensure_ascii=False)};</script>"
        return re.sub(r"<script>window\.SID.*?</script>", script, page, flags=re.S)

    def api(self, body, req: Req) -> Reply:
        data = json.loads(super().api(body, req).body)
        items = [{"name": a["title"], "link": a["url"],
                  "pubDate": datetime.fromtimestamp(a["date"], tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")}
                 for a in data["articles"]]
        return Reply.json({"code": 0, "count": data["total"], "data": items})

    def article(self, d: Doc) -> str:
        page = super().article(d)
        m = re.search(r"<script>var DATA = (.*?);</script>", page, re.S)
        data = json.loads(m.group(1).replace("<\\/", "</"))
        state = {"code": 0, "data": {"detail": {"title": data["title"], "content": data["content"]},
                                     "files": [{"fileName": a["name"], "fileUrl": a["url"]} for a in data["attachment"]]}}
        payload = json.dumps(state, ensure_ascii=False).replace("</", "<\\/")
        return page.replace(m.group(0), f"<script>window.__DETAIL__ = {payload};</script>")


class XxgkVariant(HanwebXxgkSite):
    """No hidden form: the pager script navigates to ``search.jsp?…&currpage=k`` (GET)."""
    host = "www.xxgk2.demo.test"

    def search(self, req: Req) -> Reply:
        if req.method == "GET" and "currpage" in req.query:
            req = Req("POST", req.path, req.query, dict(req.query), req.headers, req.base)
        reply = super().search(req)
        page = reply.body if isinstance(reply.body, str) else reply.body.decode("utf-8")
        page = re.sub(r'<form id="searchform".*?</form>', "", page, flags=re.S)
        params = {**req.query, **req.form}
        m = re.search(r"当前第(\d+)/(\d+)页", page)
        current, pages = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        base = "/module/xxgk/search.jsp?" + "&".join(f"{k}={html.escape(v)}" for k, v in params.items() if k != "currpage")
        nav = " ".join(f'<a href="javascript:void(0)" onclick="location.href=\'{base}&amp;currpage={n}\'">{n}</a>'
                       for n in range(1, pages + 1) if n != current)
        page = re.sub(r'<div class="xxgk_page">.*?</script>', f'<div class="pages">共{pages}页 {nav}</div>', page, flags=re.S)
        return Reply(reply.status, page, reply.ctype, reply.headers)


def variant_sites():
    return [UcapVariant, VsbVariant, GkmlptVariant, XxgkVariant]
