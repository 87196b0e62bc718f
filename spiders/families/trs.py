"""TRS WCM (拓尔思): list pages number themselves with ``createPageHTML``.

Real shape (portals.md): a script calls ``createPageHTML(countPage, currentPage, "index", "html")``
(literals, or variables assigned just before); page 0 is ``index.html``, page k ≥ 1 is
``index_k.html`` in the same folder. Articles are ``./202101/t20210122_123456.html`` with the body
in ``.TRS_Editor`` and attachments as relative ``./P0….pdf`` links.
"""
from __future__ import annotations

import re
from typing import Iterable

import scrapy
from scrapy.http import Response

from .base import Family, generic_next_pages, is_html

#: refuse absurd page counts (a broken or hostile template must not open an infinite space)
MAX_PAGES = 500
_CALL = re.compile(r"createPageHTML\s*\(([^()]*)\)")
_QUOTED = re.compile(r"^\s*(['\"])(.*)\1\s*$")
_EXTS = ("html", "htm", "shtml", "jsp", "php", "asp", "aspx")
_VAR = r"(?:var|let|const)?\s*{name}\s*=\s*(\d+)"
_MARKERS = re.compile(r"createPageHTML|TRS_Editor|/P0\d{8,}|content=\"TRS|TRSWCM|trs_editor", re.I)


def _int_arg(arg: str, script: str) -> int | None:
    arg = arg.strip()
    if arg.isdigit():
        return int(arg)
    if re.fullmatch(r"[A-Za-z_$][\w$]*", arg):
        m = re.search(_VAR.format(name=re.escape(arg)), script)
        if m:
            return int(m.group(1))
    return None


def page_calls(text: str) -> list[tuple[int, int, str, str]]:
    """(countPage, currentPage, prefix, ext) for every createPageHTML call that can be resolved.

    Two real signatures: the classic ``createPageHTML(countPage, currentPage, "index", "html")``
    and the newer ``createPageHTML('page_div', countPage, currentPage, 'index', 'shtml', total)``;
    in both the page count and index are the two unquoted arguments right before the quoted
    (prefix, extension) pair. Arguments may be literals or variables assigned in the page.
    """
    calls = []
    for m in _CALL.finditer(text):
        args = [a.strip() for a in m.group(1).split(",")]
        for i in range(2, len(args) - 1):
            prefix, ext = _QUOTED.match(args[i]), _QUOTED.match(args[i + 1])
            if not (prefix and ext and ext.group(2).lower() in _EXTS):
                continue
            if _QUOTED.match(args[i - 2]) or _QUOTED.match(args[i - 1]):
                continue
            count = _int_arg(args[i - 2], text)
            current = _int_arg(args[i - 1], text)
            if count is not None:
                calls.append((count, current or 0, prefix.group(2), ext.group(2)))
            break
    return calls


def page_url(base: str, prefix: str, ext: str, k: int) -> str:
    name = f"{prefix}.{ext}" if k == 0 else f"{prefix}_{k}.{ext}"
    return base.rsplit("/", 1)[0] + "/" + name


class TrsFamily(Family):
    name = "trs"
    priority = 60
    body_selectors = (".TRS_Editor", ".trs_editor_view", "#zoom")

    def detect(self, response: Response) -> bool:
        return is_html(response) and bool(_MARKERS.search(response.text))

    def list_pages(self, response: Response) -> Iterable[scrapy.Request]:
        if not is_html(response):
            return []
        urls: list[str] = []
        for count, _current, prefix, ext in page_calls(response.text):
            for k in range(min(count, MAX_PAGES)):
                urls.append(page_url(response.url.split("?", 1)[0], prefix, ext, k))
        urls.extend(generic_next_pages(response))   # some templates also print plain links
        seen: set[str] = set()
        return [scrapy.Request(u) for u in urls if u != response.url and not (u in seen or seen.add(u))]
