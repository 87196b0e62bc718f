"""Distributed crawling (issue 9): real redis-server, real scrapy worker and writer processes.

The quick tests drive the Redis primitives directly (queue, reaper, politeness, item codec, the
settings switch); the slow ones run two workers and the archive writer as separate processes
against a real HTTP site that counts what it serves, and compare the archive with the one a
single process makes.
"""
from __future__ import annotations

import collections
import hashlib
import json
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from scrapy import Request, Spider
from scrapy.settings import Settings

from distributed.addon import DistributedAddon
from distributed.keys import Keys
from distributed.politeness import GlobalPolitenessMiddleware
from distributed.reliable_queue import TOKEN_LEN, TOKEN_META, ReliablePriorityQueue
from distributed.serialize import dumps_item, loads_item
from distributed.workers import WorkerRegistry
from distributed.writer import build_item
from extraction.result import ExtractionResult
from items import FetchedItem
from tests.distributed_site import RedisServer, TreeSite, scrapy_env

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def client(redis_server):
    return redis.Redis(port=redis_server.port)


# --------------------------------------------------------------------------- quick: primitives

def test_item_round_trip_keeps_bytes_and_extraction() -> None:
    result = ExtractionResult("2021", meta={"agency": "某某局", "year": 2023}, cells={"t2.a": 3, "t3.x": 1.5})
    result.add("t3.row_total", "行合计不符", cells=["t3.x"])
    body = "第1页 年报".encode("gbk") + bytes(range(256))
    item = FetchedItem(url="http://a.test/1.html", status=200, body=body, headers={"Content-Type": ["text/html"]},
                       role="article", extraction=result)
    fields, key, cls = loads_item(dumps_item(item, "tok:0", "items.FetchedItem"))
    back = build_item(cls, fields)
    assert key == "tok:0" and isinstance(back, FetchedItem)
    assert back["body"] == body
    assert back["headers"] == {"Content-Type": ["text/html"]}
    assert back["extraction"].to_json() == result.to_json()


def test_item_codec_refuses_what_json_cannot_carry() -> None:
    with pytest.raises(TypeError):
        dumps_item({"when": object()}, "k", "")


def test_settings_switch_turns_a_crawl_into_a_worker_or_writer() -> None:
    plain = Settings()
    plain.setmodule("settings", priority="project")
    DistributedAddon().update_settings(plain)
    assert plain.get("SCHEDULER") != "distributed.scheduler.DistributedScheduler"

    worker = Settings()
    worker.setmodule("settings", priority="project")
    worker.set("REDIS_URL", "redis://127.0.0.1:1/0", priority="cmdline")
    DistributedAddon().update_settings(worker)
    assert worker.get("SCHEDULER") == "distributed.scheduler.DistributedScheduler"
    pipes = {k for k, v in worker.getdict("ITEM_PIPELINES").items() if v is not None}
    assert pipes == {"distributed.extract.WorkerExtractPipeline", "distributed.pipelines.RedisItemPipeline"}
    assert worker.getfloat("DOWNLOAD_DELAY") == 0 and not worker.getbool("AUTOTHROTTLE_ENABLED")
    assert worker.getint("NIANBAO_HOST_CONCURRENCY") == plain.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
    assert worker.getfloat("NIANBAO_HOST_DELAY") == plain.getfloat("DOWNLOAD_DELAY")

    writer = Settings()
    writer.setmodule("settings", priority="project")
    writer.set("NIANBAO_DISTRIBUTED", True, priority="cmdline")
    writer.set("NIANBAO_ROLE", "writer", priority="cmdline")
    DistributedAddon().update_settings(writer)
    pipes = {k for k, v in writer.getdict("ITEM_PIPELINES").items() if v is not None}
    assert "pipelines.archive.ArchivePipeline" in pipes and "pipelines.store.StorePipeline" in pipes
    assert "distributed.extract.PrecomputedExtractPipeline" in pipes
    assert "pipelines.extract.ExtractPipeline" not in pipes


class _S(Spider):
    name = "s"

    def parse(self, response: Any) -> None:
        pass


def _queue(client: Any, keys: Keys, worker: str) -> ReliablePriorityQueue:
    return ReliablePriorityQueue(client, _S(), key=keys.queue("job"), dupefilter_key=keys.dupefilter("job"),
                                 inflight_key=keys.inflight(worker))


def test_queue_dedupes_atomically_and_pops_into_inflight(client: Any) -> None:
    keys = Keys()
    q = _queue(client, keys, "w1")
    assert q.push(Request("http://a.test/1"), "fp1", filter_dupes=True)
    assert not q.push(Request("http://a.test/1"), "fp1", filter_dupes=True)
    assert q.push(Request("http://a.test/1", dont_filter=True), "fp1", filter_dupes=False)
    assert len(q) == 2
    r = q.pop()
    assert r.url == "http://a.test/1" and len(r.meta[TOKEN_META]) == TOKEN_LEN
    assert client.hexists(keys.inflight("w1"), r.meta[TOKEN_META]) and len(q) == 1


def test_reaper_requeues_a_dead_workers_requests_with_token_and_priority(client: Any) -> None:
    keys = Keys()
    dead = WorkerRegistry(client, keys, "job", "dead", ttl=1)
    live = WorkerRegistry(client, keys, "job", "live", ttl=30)
    dead.register()
    live.register()
    q = _queue(client, keys, "dead")
    q.push(Request("http://a.test/hi", priority=5), "a", True)
    q.push(Request("http://a.test/lo", priority=-5), "b", True)
    popped = q.pop()
    assert popped.url == "http://a.test/hi"
    assert live.outstanding() == 2
    assert live.reap_dead() == 0          # heartbeat still valid: nothing moves
    client.delete(keys.alive("dead"))    # the worker is SIGKILLed: its heartbeat expires
    assert live.reap_dead() == 1
    assert live.reap_dead() == 0          # a second reaper finds nothing left
    assert client.hlen(keys.inflight("dead")) == 0 and "dead" not in live.job_workers()
    q2 = _queue(client, keys, "live")
    again = q2.pop()                      # back at its own priority, ahead of the low one
    assert again.url == "http://a.test/hi" and again.meta[TOKEN_META] == popped.meta[TOKEN_META]
    assert live.outstanding() == 2


def test_a_pop_whose_reply_was_lost_is_requeued(client: Any) -> None:
    keys = Keys()
    q = _queue(client, keys, "w1")
    q.push(Request("http://a.test/1"), "a", True)
    q.push(Request("http://a.test/2"), "b", True)
    got = q.pop()
    q._pop(keys=[q.key, q.inflight_key])      # popped by the server, reply never read
    assert len(q) == 0 and client.hlen(keys.inflight("w1")) == 2
    assert q.requeue_orphans({got.meta[TOKEN_META]}) == 1
    assert len(q) == 1 and client.hlen(keys.inflight("w1")) == 1
    assert q.pop().url != got.url


def test_host_leases_bound_concurrency_and_spacing_across_clients(redis_server: Any) -> None:
    keys = Keys()
    a = GlobalPolitenessMiddleware(redis.Redis(port=redis_server.port), keys, 2, 0.0, 30, 0.01)
    b = GlobalPolitenessMiddleware(redis.Redis(port=redis_server.port), keys, 2, 0.0, 30, 0.01)
    assert a.try_acquire("h", "t1") == 0
    assert b.try_acquire("h", "t2") == 0
    assert a.try_acquire("h", "t3") == -1 and b.try_acquire("h", "t3") == -1
    assert a.try_acquire("other", "t4") == 0          # limits are per host
    req = Request("http://h/")
    req.meta["_nianbao_host_lease"] = ("h", "t1")
    b.release(req)                                      # any worker's release frees the slot
    assert a.try_acquire("h", "t3") == 0
    spaced = GlobalPolitenessMiddleware(redis.Redis(port=redis_server.port), keys, 5, 0.5, 30, 0.01)
    assert spaced.try_acquire("s", "x1") == 0
    wait = spaced.try_acquire("s", "x2")
    assert 0 < wait <= 500


# --------------------------------------------------------------------------- slow: processes

def _scrapy(args: list[str], log: Path, env_extra: dict[str, str] | None = None) -> subprocess.Popen:
    env = scrapy_env()
    env.update(env_extra or {})
    return subprocess.Popen([sys.executable, "-m", "scrapy.cmdline", *args], cwd=ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)


def _common(redis_url: str | None, db: Path, extra: dict[str, Any] | None = None) -> list[str]:
    opts = {"NIANBAO_DB": str(db), "LOG_LEVEL": "INFO", "TELNETCONSOLE_ENABLED": "0",
            "NIANBAO_WORKER_TTL": "2", "NIANBAO_HOST_DELAY": "0.05", "DOWNLOAD_DELAY": "0.05",
            "AUTOTHROTTLE_ENABLED": "0", "NIANBAO_ALLOWED_ADDRESSES": "127.0.0.0/8",
            "DOWNLOAD_TIMEOUT": "10", "NIANBAO_RETRY_BACKOFF_BASE": "0.1"}
    if redis_url:
        opts["REDIS_URL"] = redis_url
    opts.update(extra or {})
    out: list[str] = []
    for k, v in opts.items():
        out += ["-s", f"{k}={v}"]
    return out


def _tree_workers(site: TreeSite, redis_url: str, db: Path, tmp: Path, n: int) -> list[subprocess.Popen]:
    return [_scrapy(["runspider", "tests/distributed_site.py", "-a", f"start_url={site.bases[0]}/p/0.html",
                     *_common(redis_url, db)], tmp / f"worker{i}.log") for i in range(n)]


def _writer(redis_url: str, db: Path, tmp: Path) -> subprocess.Popen:
    return _scrapy(["archive-writer", "--exit-when-idle", "2", *_common(redis_url, db)], tmp / "writer.log")


def _wait(procs: list[subprocess.Popen], tmp: Path, timeout: float = 90) -> None:
    for p in procs:
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            raise AssertionError("process did not finish:\n" + "\n".join(
                f.read_text()[-3000:] for f in tmp.glob("*.log")))


def _captures(db: Path) -> collections.Counter[str]:
    with sqlite3.connect(db) as c:
        return collections.Counter(u for (u,) in c.execute("SELECT url FROM captures WHERE status = 200"))


def _snapshots(db: Path) -> set[str]:
    with sqlite3.connect(db) as c:
        return {s for (s,) in c.execute("SELECT sha256 FROM snapshots")}


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as c:
        return c.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.mark.slow
def test_two_workers_share_the_work_politely_and_store_each_page_once(tmp_path: Path, redis_server: Any) -> None:
    site = TreeSite(pages=40, hosts=2, delay=0.02)
    try:
        db = tmp_path / "dist.db"
        procs = _tree_workers(site, redis_server.url, db, tmp_path, 2) + [_writer(redis_server.url, db, tmp_path)]
        _wait(procs, tmp_path)
        assert all(p.returncode == 0 for p in procs), [p.returncode for p in procs]
        hits = site.page_hits()
        assert set(hits) == site.expected_urls()
        assert max(hits.values()) == 1, "a page was fetched twice without a retry"
        robots = {u: n for u, n in site.hits.items() if u.endswith("/robots.txt")}
        assert sorted(robots.values()) == [1, 1], "robots.txt fetched once per host, not per worker"
        logs = [(tmp_path / f"worker{i}.log").read_text() for i in range(2)]
        assert all("scheduler/dequeued/redis" in log for log in logs), "both workers crawled"
        # politeness held across both workers: ≤ 2 concurrent per host, and starts spaced by the
        # host delay on average (single gaps are measured server-side and jitter under load)
        assert max(site.max_active.values()) <= 2
        for starts in site.starts.values():
            assert max(starts) - min(starts) >= (len(starts) - 1) * 0.05 * 0.9
        assert _captures(db) == collections.Counter(site.expected_urls())
        served = {hashlib.sha256(site.page(b, n)).hexdigest() for b in site.bases for n in range(site.pages)}
        assert _snapshots(db) == served, "snapshots are the bytes served (GBK), bit for bit"
        assert _integrity(db) == "ok"
    finally:
        site.close()


def _inflight_urls(client: Any, keys: Keys, worker: str) -> set[str]:
    urls = set()
    for v in client.hvals(keys.inflight(worker)):
        member = v.split(b"|", 1)[1]
        urls.add(pickle.loads(member[TOKEN_LEN:])["url"])
    return urls


@pytest.mark.slow
def test_a_worker_killed_mid_crawl_loses_nothing(tmp_path: Path, redis_server: Any, client: Any) -> None:
    site = TreeSite(pages=60, hosts=2, delay=0.15)
    keys = Keys()
    try:
        db = tmp_path / "dist.db"
        workers = _tree_workers(site, redis_server.url, db, tmp_path, 2)
        writer = _writer(redis_server.url, db, tmp_path)
        by_pid = {p.pid: p for p in workers}
        deadline = time.monotonic() + 60
        victim, lost = None, set()
        while time.monotonic() < deadline and victim is None:
            time.sleep(0.05)
            if len(site.page_hits()) < 15:
                continue
            for wid in client.hkeys(keys.workers):
                wid = wid.decode()
                if client.hlen(keys.inflight(wid)) and int(wid.split(":")[1]) in by_pid:
                    victim = by_pid[int(wid.split(":")[1])]
                    os.kill(victim.pid, signal.SIGKILL)
                    victim.wait()
                    lost = _inflight_urls(client, keys, wid)
                    break
        assert victim is not None and lost, "no worker had a request in flight to lose"
        survivors = [p for p in workers if p is not victim]
        _wait(survivors + [writer], tmp_path)
        hits = site.page_hits()
        assert set(hits) == site.expected_urls(), "pages never fetched"
        twice = {u for u, n in hits.items() if n > 1}
        assert twice <= lost, "only the killed worker's in-flight pages may be fetched again"
        caps = _captures(db)
        assert caps == collections.Counter(site.expected_urls()), "every page stored exactly once"
        assert _integrity(db) == "ok"
        assert "requeued" in "".join((tmp_path / f).read_text() for f in ("worker0.log", "worker1.log"))
    finally:
        site.close()



@pytest.mark.slow
def test_redis_restart_mid_crawl_loses_nothing_and_corrupts_nothing(tmp_path: Path, redis_server: Any) -> None:
    site = TreeSite(pages=60, hosts=2, delay=0.1)
    try:
        db = tmp_path / "dist.db"
        procs = _tree_workers(site, redis_server.url, db, tmp_path, 2) + [_writer(redis_server.url, db, tmp_path)]
        deadline = time.monotonic() + 60
        while len(site.page_hits()) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        redis_server.kill()        # SIGKILL: no shutdown save; the append-only file is what survives
        time.sleep(1.5)
        redis_server.start()
        try:
            _wait(procs, tmp_path)
        except AssertionError as exc:
            raise AssertionError((redis_server.dir / "redis.log").read_text()[-3000:]) from exc
        logs = "\n".join(f.read_text()[-4000:] for f in sorted(tmp_path.glob("*.log")))
        assert all(p.returncode == 0 for p in procs), [p.returncode for p in procs]
        assert set(site.page_hits()) == site.expected_urls(), logs
        caps = _captures(db)
        assert caps == collections.Counter(site.expected_urls()), (
            f"missing {site.expected_urls() - set(caps)}, twice {[u for u, n in caps.items() if n > 1]}\n{logs}")
        assert _integrity(db) == "ok"
    finally:
        site.close()

# --------------------------------------------------------------------------- slow: the demo portal

DEMO_SITES = ("www.trs.demo.test", "www.hanweb.demo.test")


def _archive_view(db: Path) -> dict[str, Any]:
    """What a reader of the archive sees, independent of row ids and capture order."""
    from archive.db import open_archive
    from archive.volatile import content_key
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    # a report page's sha256 differs run to run by its visit counter; its content_key does not
    reports = {r["url"]: (r["page_url"], r["agency"], r["report_year"], r["format"], r["content_key"], r["status"])
               for r in con.execute("SELECT * FROM reports")}
    cells = {(r["url"], r["code"], r["value"]) for r in con.execute(
        "SELECT reports.url, code, value FROM cells JOIN reports ON reports.id = cells.report_id")}
    findings = collections.Counter((r["url"], r["rule"]) for r in con.execute(
        "SELECT reports.url, rule FROM findings JOIN reports ON reports.id = findings.report_id"))
    caps = [dict(r) for r in con.execute("SELECT url, method, status, sha256, content_type FROM captures")]
    con.close()
    archive = open_archive(db)
    pages = {}
    for c in caps:
        if c["sha256"] and c["status"] == 200:
            body = archive.snapshot_bytes(c["sha256"])
            # pages carry a visit counter (访问量) that changes per request; compare them without it
            pages.setdefault((c["url"], c["method"]), set()).add(content_key(body, c["content_type"]))
    archive.close()
    return {"reports": reports, "cells": cells, "findings": findings, "pages": pages}


def _get_counts(requests: list[tuple[str, str, str, int]]) -> tuple[collections.Counter, collections.Counter]:
    gets = collections.Counter((h, p) for h, m, p, _s in requests if m == "GET")
    failed = collections.Counter((h, p) for h, m, p, s in requests if m == "GET" and s >= 500)
    return gets, failed


@pytest.mark.slow
def test_demo_portal_distributed_archive_equals_single_process(tmp_path: Path, redis_server: Any) -> None:
    from demo_portal.server import DemoPortal
    from tests.crawl_run import crawl
    from tests.distributed_site import free_port

    port = free_port()
    portal = DemoPortal(port).start()
    try:
        starts = [portal.url(h, "/") for h in DEMO_SITES]
        single = crawl(starts, tmp_path / "single.db", resolve=portal.resolve_map(),
                       settings={"NIANBAO_MARK_GONE": False})
        assert single.returncode == 0, single.log[-3000:]
        single_gets, _ = _get_counts(portal.requests)
        single_posts = sum(1 for r in portal.requests if r[1] == "POST")
    finally:
        portal.stop()
    portal = DemoPortal(port).start()  # a fresh portal (its 503-twice URL fails again), same URLs
    try:
        db = tmp_path / "dist.db"
        worker_args = ["crawl", "annual_reports", "-a", "start_urls=" + ",".join(starts),
                       *_common(redis_server.url, db, {"DOWNLOAD_DELAY": 0, "NIANBAO_HOST_DELAY": 0,
                                                       "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
                                                       "NIANBAO_RESOLVE": json.dumps(portal.resolve_map())})]
        procs = [_scrapy(worker_args, tmp_path / f"worker{i}.log") for i in range(2)]
        procs.append(_writer(redis_server.url, db, tmp_path))
        _wait(procs, tmp_path, timeout=150)
        assert all(p.returncode == 0 for p in procs), [p.returncode for p in procs]
        gets, failed = _get_counts(portal.requests)
        posts = sum(1 for r in portal.requests if r[1] == "POST")
    finally:
        portal.stop()
    # no page fetched twice except by retries; the same requests as one process made
    twice = {k: n for k, n in gets.items() if n > 1 + failed[k]}
    assert not twice, f"fetched more than once without a retry: {twice}"
    assert set(gets) == set(single_gets) and posts == single_posts
    logs = [(tmp_path / f"worker{i}.log").read_text() for i in range(2)]
    assert all("scheduler/dequeued/redis" in log for log in logs), "both workers crawled"
    want, got = _archive_view(tmp_path / "single.db"), _archive_view(db)
    assert want["reports"], "the single-process crawl found reports"
    assert got["reports"] == want["reports"]
    assert got["cells"] == want["cells"]
    assert got["findings"] == want["findings"]
    assert got["pages"] == want["pages"]
    assert _integrity(db) == "ok"
