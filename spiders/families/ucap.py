"""UCAP (e.g. 太仓): list pages are script shells over JSON APIs.

Real shape (portals.md): a column page ``/<site>/<unit>03/list.shtml`` carries no entries; its
script POSTs ``/appsearch/tcapi/list?pid=<channel>&pageSize=15&currentPage=N`` and renders the
JSON. The 信息公开 tree (departments, towns and their columns) comes from
``GET /szinf/getChannelList``. Articles ``/<site>/<unit>03/<yyyymm>/<32 hex>.shtml`` put the body
in ``#zoomcon`` / ``<ucapcontent>`` under a metadata table (索引号 / 分类 / 发布机构 / 公开日期).

So the adapter reads the channel id and the API address from the page's script, asks the API
(page 1, then the rest once the total is known), and walks the channel tree for 年报 channels.
"""
from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response

from . import _jsonlist as jl
from .base import generic_list_entries, generic_next_pages, is_html
from .labels import is_column_label

MAX_PAGES = 500
DEFAULT_PAGE_SIZE = 15
DEFAULT_LIST_API = "/appsearch/tcapi/list"
_MARKERS = re.compile(r"<ucapcontent|id=[\"']zoomcon|/szinf/|/appsearch/|tcapi|ucap", re.I)
_API_URL = re.compile(r"""["']([^"'\s]*(?:/appsearch/|tcapi)[^"'\s?]*)""")
_CHANNEL_API = re.compile(r"""["']([^"'\s]*getChannelList[^"'\s]*)["']""")
_PID = re.compile(r"""\b(?:pid|channelId|channelid|chnlid)\s*[:=]\s*["']?([\w\-]+)""")
_PAGE_SIZE = re.compile(r"""\bpageSize\s*[:=]\s*["']?(\d+)""")
_OBJ_PARAMS = re.compile(r"""getChannelList["']?\s*,\s*\{([^{}]*)\}""")
_DOC_ID = re.compile(r"/([0-9a-fA-F]{32})\.s?html?$")
_KV = re.compile(r"""(\w+)\s*:\s*["']([^"']*)["']""")


def _with_params(url: str, **params: object) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items()})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


class UcapFamily(jl.ScriptListFamily):
    name = "ucap"
    priority = 70
    body_selectors = ("#zoomcon", "ucapcontent", ".zoomcon")

    def article_key(self, url: str) -> str | None:
        """``/<site>/<unit>03/<yyyymm>/<32 hex>.shtml``: the hex id names the document in every column."""
        m = _DOC_ID.search(urlsplit(url).path)
        return m.group(1).lower() if m else None

    def detect(self, response: Response) -> bool:
        if jl.is_json(response):
            return bool(re.search(r"/(szinf|appsearch)/", response.url))
        return is_html(response) and bool(_MARKERS.search(response.text))

    # ---------------------------------------------------------------- lists
    def _html_pages(self, response: Response, script: str) -> Iterable[scrapy.Request]:
        requests: list[scrapy.Request] = []
        api = _API_URL.search(script)
        pid = _PID.search(script) or _PID.search(" ".join(
            f'{k}="{v}"' for node in response.xpath("//*[@data-pid or @data-channelid or @data-chnlid]")
            for k, v in node.attrib.items())) or _PID.search(" ".join(
            f'{i.attrib.get("name")}="{i.attrib.get("value", "")}"' for i in response.xpath("//input[@name]")))
        shell = not generic_list_entries(response)
        if pid and (api or (shell and _MARKERS.search(response.text))):
            size = _PAGE_SIZE.search(script)
            url = _with_params(response.urljoin(api.group(1) if api else DEFAULT_LIST_API), pid=pid.group(1),
                               pageSize=size.group(1) if size else DEFAULT_PAGE_SIZE, currentPage=1)
            requests.append(scrapy.Request(url, method="POST"))
        channels = _CHANNEL_API.search(script)
        if channels:
            params = dict(_KV.findall(_OBJ_PARAMS.search(script).group(1))) if _OBJ_PARAMS.search(script) else {}
            requests.append(scrapy.Request(_with_params(response.urljoin(channels.group(1)), **params)))
        requests.extend(scrapy.Request(u) for u in generic_next_pages(response))
        return requests

    def _json_pages(self, response: Response) -> list[scrapy.Request]:
        data = jl.load(response)
        if data is None:
            return []
        if jl.article_records(data, response.url, response):
            return jl.other_pages(response, data, MAX_PAGES)
        return self._channel_requests(response, data)

    def _channel_requests(self, response: Response, data) -> list[scrapy.Request]:
        """年报 channels of a channel tree: their list page, or the list API by channel id."""
        requests = []
        for name, node in jl.named_nodes(data):
            if not is_column_label(name):
                continue
            url = jl.node_url(node)
            if url:
                requests.append(scrapy.Request(response.urljoin(url), meta={"column": True}))
                continue
            cid = jl.node_id(node)
            if cid:
                api = _with_params(response.urljoin(DEFAULT_LIST_API), pid=cid, pageSize=DEFAULT_PAGE_SIZE, currentPage=1)
                requests.append(scrapy.Request(api, method="POST", meta={"column": True}))
        return requests
