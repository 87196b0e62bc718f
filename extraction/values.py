"""Turn a printed cell into a number, by the cell's ``kind`` (see the spec's value conventions).

Why here and not in each reader: every document kind prints numbers the same messy ways
(full-width digits, ``+9``, ``－3``, ``减少3``, ``1,234``, ``251000元``), and the rules about
units must be the same whichever reader found the cell.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_BLANKS = {"", "/", "／", "—", "——", "-", "－", "–", "无", "空", "null", "none", "n/a", "\\", "、",
           # 本年增/减 printed as words for "no change": a value cell, but not a number (spec: null + raw)
           "持平", "无变化", "不变", "无增减"}
#: words 本年增/减 cells print before the number (增加3, 减少3, 增3, 减3, 新增3)
_CHANGE_WORDS = (("增加", 1), ("新增", 1), ("增", 1), ("减少", -1), ("减", -1))
_MINUS = "-－−–—"
_NUM = re.compile(r"^[+\-]?\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class Parsed:
    value: int | float | None
    #: names of findings the value implies, e.g. ``unit_assumed``
    notes: tuple[str, ...] = ()


def clean_text(text: str | None) -> str:
    """NFKC (full-width → ASCII digits and signs), no whitespace of any kind, no thousands commas."""
    if text is None:
        return ""
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"\s+", "", t)
    t = t.replace("\u200b", "").replace("\ufeff", "")
    return t


def _strip_thousands(t: str) -> str:
    # 1,234 / 1，234 (NFKC already maps the full-width comma) – only between digit groups of three.
    return re.sub(r"(?<=\d),(?=\d{3}(?:\D|$))", "", t)


def parse_count(text: str | None) -> Parsed:
    t = _strip_thousands(clean_text(text)).rstrip("件个项条次人家")
    if t.lower() in _BLANKS or not t:
        return Parsed(None)
    t = t.lstrip("+")
    if re.fullmatch(r"\d+", t):
        return Parsed(int(t))
    if re.fullmatch(r"\d+\.0+", t):
        return Parsed(int(float(t)))
    return Parsed(None)


def parse_signed(text: str | None) -> Parsed:
    t = _strip_thousands(clean_text(text)).rstrip("件个项条次")
    if t.lower() in _BLANKS or not t:
        return Parsed(None)
    sign = 1
    for word, s in _CHANGE_WORDS:
        if t.startswith(word):
            t, sign = t[len(word):], s
            break
    if t and t[0] in _MINUS:
        t, sign = t[1:], -sign
    elif t.startswith("+"):
        t = t[1:]
    if re.fullmatch(r"\d+", t):
        return Parsed(sign * int(t))
    return Parsed(None)


def _as_number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def parse_amount_wan_yuan(text: str | None, header_unit: str | None = None) -> Parsed:
    """Money in 万元. ``header_unit`` is the unit the column header names ("万元", "元" or None)."""
    t = _strip_thousands(clean_text(text))
    if t.lower() in _BLANKS or not t:
        return Parsed(None)
    m = re.fullmatch(r"([+\-]?\d+(?:\.\d+)?)(万元|万|元)?", t)
    if not m:
        return Parsed(None)
    try:
        d = Decimal(m.group(1))
    except InvalidOperation:  # pragma: no cover - the regex admits only decimals
        return Parsed(None)
    unit = m.group(2)
    if unit in ("万元", "万"):
        return Parsed(_as_number(d))
    if unit == "元":
        return Parsed(_as_number(d / Decimal(10000)))
    if header_unit == "元":
        return Parsed(_as_number(d / Decimal(10000)))
    if header_unit in ("万元", "万"):
        return Parsed(_as_number(d))
    return Parsed(_as_number(d), ("unit_assumed",))


def parse_value(kind: str, text: str | None, header_unit: str | None = None) -> Parsed:
    if kind == "count":
        return parse_count(text)
    if kind == "signed":
        return parse_signed(text)
    if kind == "amount_wan_yuan":
        return parse_amount_wan_yuan(text, header_unit)
    raise ValueError(f"unknown cell kind {kind!r}")


def looks_numeric(text: str | None) -> bool:
    """True for a token that is a printed number (with sign/unit), as opposed to a label."""
    t = _strip_thousands(clean_text(text))
    if not t:
        return False
    t = re.sub(r"(万元|元|件|个|项|条)$", "", t)
    for word, _ in _CHANGE_WORDS:
        if t.startswith(word) and len(t) > len(word) and t[len(word)].isdigit():
            t = t[len(word):]
            break
    t = t.lstrip("+").lstrip(_MINUS)
    return bool(_NUM.match(t))
