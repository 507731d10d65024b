"""Redis goes away in the middle of a distributed crawl, then comes back.

A worker that loses Redis must stop with one clear line and a failing exit status, the
writer must stop with a clear error, and nothing may be lost or corrupted: once Redis is
back (here a durable server, started again on its port and data), a restarted writer
resumes and a new worker finishes the run, and every article is archived exactly once.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import redis

from archive import Archive
from archive.ingest import ITEMS_KEY, Keys
from demosite.generate import generate_site
from tests.crawling import (
    demo_definition,
    start_server,
    start_worker,
    start_writer,
    wait_until,
)
from tests.redis_server import free_port, redis_server

ARTICLES = 80
KEYS = Keys(ITEMS_KEY)


def _worker(definition: Path, url: str, worker: str, log: Path) -> subprocess.Popen[bytes]:
    archive = log.with_suffix(".db")
    return start_worker(definition, archive, url, worker, log, "WORKER_HEARTBEAT_SECONDS=1")


def test_a_redis_outage_stops_worker_and_writer_cleanly_and_loses_nothing(tmp_path: Path) -> None:
    manifest = generate_site(tmp_path / "site", articles=ARTICLES)
    server = start_server(tmp_path / "site", tmp_path / "requests.jsonl", delay=0.02)
    definition = demo_definition(tmp_path, server.port)
    archive = tmp_path / "archive.db"
    data = tmp_path / "redis"
    data.mkdir()
    port = free_port()
    try:
        with redis_server(data, port=port, durable=True) as url:
            client = redis.Redis.from_url(url)
            writer = start_writer(url, archive, tmp_path / "writer-1.log")
            wait_until(lambda: client.exists(KEYS.published), 30, "the writer to publish")
            worker = _worker(definition, url, "lost", tmp_path / "lost.log")
            wait_until(lambda: len(server.requests()) >= 30, 60, "the crawl to be under way")
            client.close()
        # Redis is gone (its data on disk).
        worker_status = worker.wait(timeout=60)
        writer_status = writer.wait(timeout=60)
        with redis_server(data, port=port, durable=True) as url:
            client = redis.Redis.from_url(url)
            writer = start_writer(url, archive, tmp_path / "writer-2.log")
            wait_until(lambda: client.exists(KEYS.published), 30, "the writer to publish")
            resumed = _worker(definition, url, "resumed", tmp_path / "resumed.log")
            resumed_status = resumed.wait(timeout=120)
            wait_until(
                lambda: not client.llen(KEYS.items) and not client.llen(KEYS.processing),
                60,
                "the writer to drain",
            )
            writer.send_signal(signal.SIGTERM)
            assert writer.wait(timeout=30) == 0
            client.close()
    finally:
        server.stop()
    lost_log = (tmp_path / "lost.log").read_text(encoding="utf-8")
    assert worker_status == 1, lost_log[-3000:]
    assert f"distributed mode: lost Redis at redis://127.0.0.1:{port}/0 while" in lost_log
    assert "this worker stops" in lost_log
    assert "ended early (redis_lost)" in lost_log.strip().splitlines()[-1]
    assert "Traceback" not in lost_log
    first_writer = (tmp_path / "writer-1.log").read_text(encoding="utf-8")
    assert writer_status == 1, first_writer[-3000:]
    assert f"Error: redis {url}:" in first_writer
    assert "Traceback" not in first_writer
    resumed_log = (tmp_path / "resumed.log").read_text(encoding="utf-8")
    assert resumed_status == 0, resumed_log[-3000:]
    assert "worker lost stopped its heartbeat" in resumed_log

    with Archive(archive) as opened:
        assert opened.check() == []
    with sqlite3.connect(archive) as db:
        urls = [url for (url,) in db.execute("select url from articles")]
        versions = db.execute("select count(*) from article_versions").fetchone()[0]
        runs = db.execute("select stats, finish_reason from crawl_runs").fetchall()
    expected = {a["path"] for a in manifest if not a["rejected"]}
    assert sorted(urlsplit(url).path for url in urls) == sorted(expected)
    assert versions == len(urls)
    reasons = {json.loads(stats)["distributed/worker"]: reason for stats, reason in runs}
    assert reasons == {"lost": "worker_lost", "resumed": "finished"}
    requests = Counter(r["path"] for r in server.requests() if r["path"] != "/robots.txt")
    assert max(requests.values()) <= 2, "only what the lost worker had in flight is fetched again"
