"""A stable body id per report, from the strongest evidence available.

Evidence, strongest first, and why each is trusted as far as it is:

1. user overrides (``data/agency_overrides.csv``) — a person decided;
2. the same document (same sha256, or an attachment of the page that linked it) — one report;
3. the normalised name key (region adcode + canonical organ) — the body's own words;
4. the organisation code at the head of the 索引号 (``014184867/2021-00001``; the 18-character
   统一社会信用代码 carries the same 9 characters at positions 9–17) — assigned per body by the
   state, but some platforms stamp one code on many units, so it only joins bodies that never
   published in the same year;
5. the portal column the report was listed in — a body's own column joins its years, but city
   columns list hundreds of bodies, so a column that carries three or more names is ignored, and
   like codes it never joins two bodies present in the same year;
6. renames of the 2018–2019 机构改革 (``data/agencies/renames.csv``) — a predecessor joins its
   successor in the same region when their years do not overlap.

The id of a body is carried over from the previous run (the ``report_body`` table) so that it is
stable as reports are added or re-extracted; a new body gets its most frequent name key
(``320813:人民政府``) — readable, and equal for every spelling of the name.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from difflib import SequenceMatcher
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import names, region
from .names import ParsedName
from .overrides import Override

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG = re.compile(r"^[0-9A-Z]{8}[0-9X]$")
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
#: a column listing this many distinct names is a shared (city-wide) column, not a body's own
SHARED_COLUMN_NAMES = 3
#: organ stems (generic suffixes off) this alike (difflib ratio) may be one body's spellings:
#: 自然资源/自然资源规划 0.8; 财政/审计 0, 市场监督/城市 0.33 are not
ORGAN_SIMILARITY = 0.6
_GENERIC_SUFFIX = re.compile(r"(管理局|管理委员会|委员会|办公室|事务局|局|厅|委|办|中心)$")


def _stem(organ: str) -> str:
    return _GENERIC_SUFFIX.sub("", organ) or organ


def _abbreviates(short: str, long: str) -> bool:
    """Chinese abbreviations keep characters in order: 发改 ⊂ 发展改革, 住建 ⊂ 住房城乡建设."""
    it = iter(long)
    return len(short) >= 2 and all(ch in it for ch in short)


def organs_alike(a: str, b: str) -> bool:
    sa, sb = _stem(a), _stem(b)
    if sa == sb or _abbreviates(sa, sb) or _abbreviates(sb, sa):
        return True
    return SequenceMatcher(None, sa, sb).ratio() >= ORGAN_SIMILARITY


_PAGING_PARAMS = {"startrecord", "endrecord", "perpage", "page", "currpage", "pageindex", "pageno", "pagesize",
                  "currentpage", "pagenum", "p"}


def column_key(url: str | None) -> str | None:
    """One key for every page of a list: paging parameters dropped, ``index_3.html`` (TRS) →
    ``index.html``, ``/<col>/7.htm`` (VSB) → ``/<col>.htm``, fragments dropped."""
    if not url:
        return None
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url.strip())
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if k.lower() not in _PAGING_PARAMS))
    path = re.sub(r"/index_\d+\.(s?html?)$", r"/index.\1", parts.path)
    path = re.sub(r"/([^/]+)/\d+\.htm$", r"/\1.htm", path)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def org_code_valid(code: str) -> bool:
    """GB 11714 check character: C9 = 11 − Σ(wᵢ·cᵢ) mod 11, 10 → X, 11 → 0."""
    if not _ORG.match(code):
        return False
    total = sum(w * (int(c) if c.isdigit() else ord(c) - 55) for w, c in zip(_ORG_WEIGHTS, code[:8]))
    check = 11 - total % 11
    return code[8] == {10: "X", 11: "0"}.get(check, str(check))


def org_code(index_no: str | None) -> str | None:
    """The organisation code at the head of an index number, if it is a real one.

    ``014184867/2021-00001`` → ``014184867``; ``11320585014184867X/2021-00001`` → ``014184867``.
    Heads that are not a valid code (site-local prefixes such as ``SZ01``) give None.
    """
    if not index_no:
        return None
    head = re.split(r"[/\-—_－]", names.clean(index_no).upper(), maxsplit=1)[0]
    if _USCC.match(head):
        head = head[8:17]
    return head if org_code_valid(head) else None


@dataclass
class ReportRef:
    """What identity needs to know about one report (a row of ``reports``)."""

    id: Any
    year: int | None = None
    agency: str | None = None
    title: str | None = None
    publisher: str | None = None
    index_no: str | None = None
    url: str | None = None
    column: str | None = None
    portal: str | None = None
    sha256: str | None = None
    format: str | None = None
    published: str | None = None
    attachment_of: str | None = None

    @property
    def stable_key(self) -> str:
        """What survives re-extraction: the URL, else the content hash, else the id."""
        return self.url or (f"sha:{self.sha256}" if self.sha256 else f"id:{self.id}")


@dataclass
class Resolved:
    """Per-report facts derived from names and index numbers."""

    ref: ReportRef
    name: ParsedName
    publisher: ParsedName | None
    name_key: str
    org_code: str | None
    host: str


@dataclass
class Body:
    id: str
    name: str
    region: str
    region_code: str
    level: str | None
    region_level: str | None
    report_ids: list[Any] = field(default_factory=list)
    org_codes: list[str] = field(default_factory=list)
    names: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (name, source) → years
    evidence: list[str] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return sorted({y for ys in self.names.values() for y in ys})


@dataclass
class Resolution:
    bodies: dict[str, Body]
    report_body: dict[Any, str]
    resolved: dict[Any, Resolved]


class _Groups:
    """Union-find over reports that refuses joins the evidence or the user forbids."""

    def __init__(self, ids: Iterable[Any], year_of: Mapping[Any, int | None],
                 code_of: Mapping[Any, str | None] | None = None,
                 organ_of: Mapping[Any, str] | None = None,
                 related: set[tuple[str, str]] | None = None) -> None:
        self.parent = {i: i for i in ids}
        self.members: dict[Any, set[Any]] = {i: {i} for i in self.parent}
        self.year_of = year_of
        self.code_of = code_of or {}
        self.organ_of = organ_of or {}  # organ key of reports whose name has a known region
        self.related = related or set()  # organ pairs related by a rename
        self.apart: list[tuple[set[Any], set[Any]]] = []
        self.reasons: dict[Any, list[str]] = defaultdict(list)

    def organs(self, root: Any) -> set[str]:
        return {o for m in self.members[root] if (o := self.organ_of.get(m))}

    def names_compatible(self, ra: Any, rb: Any) -> bool:
        """Could two groups' full names belong to one body? Yes if either has none, or some pair
        of organs is alike (an abbreviation not in our tables: 发展改革局 / 发改局) or related by
        a rename. 沭阳县财政局 and 沭阳县审计局 are not, whatever code or column they share."""
        oa, ob = self.organs(ra), self.organs(rb)
        if not oa or not ob or oa & ob:
            return True
        return any((x, y) in self.related or (y, x) in self.related or organs_alike(x, y)
                   for x in oa for y in ob)

    def find(self, i: Any) -> Any:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def years(self, root: Any) -> set[int]:
        return {y for m in self.members[root] if (y := self.year_of.get(m)) is not None}

    def codes(self, root: Any) -> set[str]:
        return {c for m in self.members[root] if (c := self.code_of.get(m))}

    def allowed(self, a: Any, b: Any, no_shared_year: bool, codes_agree: bool = True) -> bool:
        """Weak evidence (``no_shared_year``) never joins bodies that published in the same year,
        nor (unless ``codes_agree`` is off, as for renames, where the successor got a new code)
        bodies that carry different organisation codes."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        ma, mb = self.members[ra], self.members[rb]
        for x, y in self.apart:
            if (ma & x and mb & y) or (ma & y and mb & x):
                return False
        if not no_shared_year:
            return True
        ca, cb = self.codes(ra), self.codes(rb)
        if self.years(ra) & self.years(rb):
            return False
        if codes_agree and ca and cb and not ca & cb:
            return False
        return self.names_compatible(ra, rb)

    def union(self, a: Any, b: Any, reason: str, no_shared_year: bool = False, codes_agree: bool = True) -> bool:
        if not self.allowed(a, b, no_shared_year, codes_agree):
            return False
        ra, rb = self.find(a), self.find(b)
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra] |= self.members.pop(rb)
        self.reasons[ra] += self.reasons.pop(rb, []) + [reason]
        return True

    def union_all(self, ids: list[Any], reason: str, no_shared_year: bool = False) -> None:
        for other in ids[1:]:
            self.union(ids[0], other, reason, no_shared_year)

    def groups(self) -> list[set[Any]]:
        return [m for r, m in self.members.items() if self.find(r) == r]


def resolve_names(ref: ReportRef) -> Resolved:
    """Parse the agency (or the title, or the publisher) with the portal and publisher as hints."""
    host = region.host_of(ref.url) or region.host_of(ref.column) or (ref.portal or "").lower()
    hint = region.portal_region(host) or region.portal_region(ref.column)
    pub = names.parse(ref.publisher, hint) if ref.publisher else None
    pub_hint = pub.region if pub and pub.resolved else hint
    agency = names.clean(ref.agency) or names.agency_from_title(ref.title)
    if agency:
        name = names.parse(agency, pub_hint)
    elif pub is not None:
        # a government's report is published by its office: the body is the government
        name = names.parse(pub.match.consumed + "人民政府", hint) if names.office_of_government(pub) else pub
    else:
        name = names.parse("", hint)
    if name.resolved:
        key = name.key
    elif name.organ_key and host:
        key = f"{host}|{name.key}"
    else:
        key = f"report:{ref.id}"
    return Resolved(ref, name, pub, key, org_code(ref.index_no), host)


def _subject_reports(subject: str, resolved: Mapping[Any, Resolved]) -> set[Any]:
    kind, _, value = subject.partition(":")
    rs = resolved.values()
    if kind == "url":
        return {r.ref.id for r in rs if value in (r.ref.url, r.ref.attachment_of)}
    if kind == "sha":
        return {r.ref.id for r in rs if r.ref.sha256 == value}
    if kind == "org":
        return {r.ref.id for r in rs if r.org_code == (org_code(value) or value)}
    if kind == "column":
        return {r.ref.id for r in rs if column_key(r.ref.column) == column_key(value)}
    key = names.parse(subject).key
    clean = names.clean(subject)
    return {r.ref.id for r in rs if r.name_key == key or names.clean(r.ref.agency) == clean}


def _renames() -> list[tuple[str, str, int]]:
    import csv

    with (names.DATA / "renames.csv").open(encoding="utf-8", newline="") as fh:
        rows = [(names.organ_key(r["old"]), names.organ_key(r["new"]), int(r["year"])) for r in csv.DictReader(fh)]
    # provincial departments are 厅 where lower levels are 局
    rows += [(o[:-1] + "厅", n[:-1] + "厅", y) for o, n, y in rows if o.endswith("局") and n.endswith("局")]
    return rows


def resolve(refs: Iterable[ReportRef], overrides: Iterable[Override] = (),
            previous: Mapping[str, str] | None = None) -> Resolution:
    """Group reports into bodies. ``previous`` maps a report's stable key to its old body id."""
    resolved = {r.id: resolve_names(r) for r in refs}
    overrides = list(overrides)
    renames = _renames()
    g = _Groups(resolved, {i: r.ref.year for i, r in resolved.items()},
                {i: r.org_code for i, r in resolved.items()},
                {i: r.name.organ_key for i, r in resolved.items() if r.name.resolved},
                {(o, n) for o, n, _ in renames})

    # 1. the user's word
    pins: dict[str, set[Any]] = defaultdict(set)
    labels: dict[str, set[Any]] = {}
    for o in overrides:
        subj = _subject_reports(o.subject, resolved)
        if o.action == "apart":
            g.apart.append((subj, _subject_reports(o.target, resolved)))
        elif o.action == "pin":
            pins[o.target] |= subj
        elif o.action == "label":
            labels[o.target] = subj
    for o in overrides:
        if o.action == "merge":
            ids = sorted(_subject_reports(o.subject, resolved) | _subject_reports(o.target, resolved), key=str)
            g.union_all(ids, f"override:{o.line}")
    for target, ids in pins.items():
        g.union_all(sorted(ids, key=str), f"pin:{target}")

    # 2. one document; 3. one name
    by: dict[tuple[str, str], list[Any]] = defaultdict(list)
    url_to_id = {r.ref.url: i for i, r in resolved.items() if r.ref.url}
    for i, r in resolved.items():
        if r.ref.sha256:
            by[("sha", r.ref.sha256)].append(i)
        by[("name", r.name_key)].append(i)
        parent = r.ref.attachment_of
        if parent is not None:
            p = url_to_id.get(parent) if parent in url_to_id else (parent if parent in resolved else None)
            if p is not None and p != i:
                g.union(p, i, "attachment")
    for (kind, key), ids in sorted(by.items(), key=lambda kv: kv[0]):
        # a name scoped only by its portal (no region in it) is weaker than a full name
        g.union_all(ids, kind, no_shared_year=kind == "name" and "|" in key)

    # 4. organisation codes; 5. columns — only between bodies never present in the same year
    codes: dict[str, list[Any]] = defaultdict(list)
    columns: dict[str, list[Any]] = defaultdict(list)
    for i, r in resolved.items():
        if r.org_code:
            codes[r.org_code].append(i)
        col = column_key(r.ref.column)
        if col:
            columns[col].append(i)
    for code, ids in sorted(codes.items()):
        g.union_all(sorted(ids, key=str), f"org:{code}", no_shared_year=True)
    for col, ids in sorted(columns.items()):
        if len({resolved[i].name_key for i in ids}) < SHARED_COLUMN_NAMES:
            g.union_all(sorted(ids, key=str), f"column:{col}", no_shared_year=True)

    # 6. renames within one region
    by_region_organ: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for i, r in resolved.items():
        if r.name.resolved:
            by_region_organ[(r.name.match.scope, r.name.organ_key)].append(i)
    for old, new, _year in renames:
        for (scope, organ), ids in sorted(by_region_organ.items()):
            if organ != old:
                continue
            successors = by_region_organ.get((scope, new))
            if not successors:
                continue
            before, after = g.years(g.find(ids[0])), g.years(g.find(successors[0]))
            # the predecessor must have stopped before the successor started
            if before and after and max(before) >= min(after):
                continue
            g.union(successors[0], ids[0], f"rename:{old}→{new}", no_shared_year=True, codes_agree=False)

    return _build(g, resolved, pins, labels, previous or {})


def _most_common(values: Iterable[Any]) -> Any:
    c = Counter(v for v in values if v)
    if not c:
        return None
    return sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))[0][0]


def _build(g: _Groups, resolved: Mapping[Any, Resolved], pins: Mapping[str, set[Any]],
           labels: Mapping[str, set[Any]], previous: Mapping[str, str]) -> Resolution:
    groups = sorted(g.groups(), key=lambda m: (-len(m), sorted(map(str, m))[0]))
    taken: set[str] = set()
    bodies: dict[str, Body] = {}
    report_body: dict[Any, str] = {}
    # pinned ids first, then ids carried over from the previous run, then new ids
    chosen: dict[int, str] = {}
    for n, members in enumerate(groups):
        for target, ids in pins.items():
            if members & ids and target not in taken:
                chosen[n] = target
                taken.add(target)
                break
    for n, members in enumerate(groups):
        if n in chosen:
            continue
        old = _most_common(previous.get(resolved[i].ref.stable_key) for i in members)
        if old and old not in taken:
            chosen[n] = old
            taken.add(old)
    for n, members in enumerate(groups):
        if n in chosen:
            continue
        keys = Counter(resolved[i].name_key for i in members)
        last = {k: max((resolved[i].ref.year or 0) for i in members if resolved[i].name_key == k) for k in keys}
        base = sorted(keys, key=lambda k: (-keys[k], -last[k], k))[0]
        bid, k = base, 2
        while bid in taken:
            bid, k = f"{base}#{k}", k + 1
        chosen[n] = bid
        taken.add(bid)

    for n, members in enumerate(groups):
        rs = [resolved[i] for i in sorted(members, key=lambda i: (resolved[i].ref.year or 0, str(i)))]
        bid = chosen[n]
        best = [r for r in rs if r.name.resolved] or rs
        newest = max(best, key=lambda r: (r.ref.year or 0, len(r.name.clean)))
        reg = _most_common(r.name.match.text for r in best) or ""
        code = _most_common(r.name.match.scope for r in best) or ""
        label = next((t for t, ids in labels.items() if members & ids), None)
        body = Body(
            id=bid, name=label or newest.name.clean or newest.name.display, region=reg, region_code=code,
            level=newest.name.level, region_level=newest.name.match.level,
            report_ids=[r.ref.id for r in rs],
            org_codes=sorted({r.org_code for r in rs if r.org_code}),
            evidence=sorted(set(g.reasons.get(g.find(next(iter(members))), []))),
        )
        for r in rs:
            seen = [(r.name.clean, "agency")]
            if r.publisher and r.publisher.clean and (
                r.publisher.key == r.name.key or names.office_of_government(r.publisher)
            ):
                seen.append((r.publisher.clean, "publisher"))
            for key in seen:
                if key[0]:
                    ys = body.names.setdefault(key, [])
                    if r.ref.year is not None and r.ref.year not in ys:
                        ys.append(r.ref.year)
            report_body[r.ref.id] = bid
        bodies[bid] = body
    return Resolution(bodies, report_body, dict(resolved))
