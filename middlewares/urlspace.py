"""Calendar traps: URLs that differ only by a date in the query, generated without end.

Why: 按日期/按月归档 lists, 活动日历 and date-filtered searches answer for *any* date and link to
the next one ("下一页" meaning the next month, "后一天" …), so a crawler walking them never
runs out of pages. Session ids and tracking parameters are already removed by
``spiders.urls.canonicalize`` before a request is made; what remains is this date dimension:

* a date in the query that lies in the future (beyond ``NIANBAO_CALENDAR_FUTURE_DAYS``) or before
  ``NIANBAO_CALENDAR_MIN_YEAR`` cannot hold a published report: dropped;
* the distinct dates asked of one calendar (host + path + the names of its query parameters)
  are budgeted (``NIANBAO_CALENDAR_BUDGET``): past it, further dates are dropped.

Only query values are looked at: dated *paths* (``/art/2021/1/22/art_…``, ``t20210122_…``) are
how articles are named, not traps. Drops raise ``IgnoreRequest`` (nothing is archived for a URL
never fetched) and are counted in ``urlspace/*`` stats.
"""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

_DATE_VALUE = re.compile(r"^((?:19|20|21|22|23|24|25|26|27|28|29)\d{2})(?:[-./年]?(\d{1,2}))?(?:[-./月]?(\d{1,2}))?日?$")
_DATE_KEYS = re.compile(r"date|day|month|year|time|rq|ny|ym|yyyy|^d$|^m$|^y$", re.I)


def query_dates(url: str) -> list[tuple[str, date]]:
    """(parameter, date) for every query value that reads as a calendar date or month."""
    found = []
    params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    year_param = next((k for k in params if re.fullmatch(r"(?i)y|year|yyyy|nian", k)), None)
    for key, value in params.items():
        m = _DATE_VALUE.match(value.strip())
        # "2021-01-22" is a date under any name; bare digits only under a date-like name
        if m and (re.search(r"[-./年]", value) or _DATE_KEYS.search(key)):
            y, mo, d = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
            if 1 <= mo <= 12 and 1 <= d <= 31:
                try:
                    found.append((key, date(y, mo, d)))
                except ValueError:
                    continue
    if year_param and params[year_param].isdigit() and not found:
        y = int(params[year_param])
        month_param = next((k for k in params if re.fullmatch(r"(?i)m|month|yue", k)), None)
        mo = int(params[month_param]) if month_param and params[month_param].isdigit() else 1
        if 1000 <= y <= 9999 and 1 <= mo <= 12:
            found.append((year_param, date(y, mo, 1)))
    return found


class CalendarTrapMiddleware:
    """Downloader middleware: drop out-of-range and over-budget dates in query strings."""

    def __init__(self, crawler: Crawler):
        s = crawler.settings
        self.stats = crawler.stats
        self.budget = s.getint("NIANBAO_CALENDAR_BUDGET", 60)
        self.min_year = s.getint("NIANBAO_CALENDAR_MIN_YEAR", 1990)
        self.future = timedelta(days=s.getint("NIANBAO_CALENDAR_FUTURE_DAYS", 366))
        self.seen: dict[tuple[str, str, tuple[str, ...]], set[str]] = defaultdict(set)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CalendarTrapMiddleware":
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None):
        dates = query_dates(request.url)
        if not dates:
            return None
        latest = date.today() + self.future
        for _key, when in dates:
            if when.year < self.min_year or when > latest:
                self.stats.inc_value("urlspace/calendar_out_of_range")
                raise IgnoreRequest(f"calendar date {when} out of range: {request.url}")
        parts = urlsplit(request.url)
        shape = (parts.netloc, parts.path, tuple(sorted(k for k, _ in parse_qsl(parts.query, keep_blank_values=True))))
        seen = self.seen[shape]
        key = parts.query          # the distinct dates (and date combinations) asked of it
        if key not in seen:
            if self.budget and len(seen) >= self.budget:
                self.stats.inc_value("urlspace/calendar_over_budget")
                raise IgnoreRequest(f"calendar budget ({self.budget} dates) spent for {parts.netloc}{parts.path}")
            seen.add(key)
            self.stats.max_value("urlspace/calendar_dates_max", len(seen))
        return None
