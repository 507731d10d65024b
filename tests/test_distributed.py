"""Distributed mode end to end: a real redis-server, three crawl workers, one archive writer.

The site has a few thousand articles and answers each request after a short delay,
so requests are in flight when one worker is killed with SIGKILL halfway through.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from scrapy.settings import Settings
from scrapy.utils.misc import load_object

from archive import redis_codec
from archive.ingest import ITEMS_KEY, Keys
from crawler.distributed import DistributedMode
from demosite.generate import generate_site
from tests.crawling import (
    CRAWL_ENV,
    ROOT,
    crawl_command,
    demo_definition,
    query,
    start_server,
    start_worker,
    start_writer,
    wait_until,
)

ARTICLES = 3000
SERVER_DELAY = 0.05
WORKERS = ("w1", "w2", "w3")
KILLED = "w3"


def final_settings(**command_line: str) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.update(command_line, priority="cmdline")
    DistributedMode().update_settings(settings)
    return settings


def components(settings: Settings, name: str) -> set[str]:
    return {load_object(path).__name__ for path in settings.getdict(name)}


def test_local_crawls_need_no_redis() -> None:
    settings = final_settings()
    assert settings.get("SCHEDULER") == "scrapy.core.scheduler.Scheduler"
    assert "ArchiveArticles" in components(settings, "ITEM_PIPELINES")
    assert "CrawlRunRecorder" in components(settings, "EXTENSIONS")


def test_redis_url_switches_frontier_sink_and_run_records() -> None:
    settings = final_settings(REDIS_URL="redis://127.0.0.1:6379/0")
    assert load_object(settings.get("SCHEDULER")).__name__ == "SharedFrontier"
    assert settings.getbool("SCHEDULER_PERSIST")
    pipelines = components(settings, "ITEM_PIPELINES")
    assert "RedisItemSink" in pipelines
    assert "ArchiveArticles" not in pipelines
    assert {"ValidateArticle", "NormaliseDates"} <= pipelines
    extensions = components(settings, "EXTENSIONS")
    assert "RedisRunReporter" in extensions
    assert "CrawlRunRecorder" not in extensions


def test_unreachable_redis_stops_the_crawl_before_it_starts(tmp_path: Path) -> None:
    command = crawl_command(
        ROOT / "crawler" / "sites" / "demo.toml",
        tmp_path / "archive.db",
        "REDIS_URL=redis://:s3cret@127.0.0.1:1/0",
    )
    done = subprocess.run(
        command, cwd=ROOT, env=CRAWL_ENV, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "cannot use Redis at redis://:***@127.0.0.1:1/0" in done.stderr
    assert "s3cret" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


@dataclass
class DistributedRun:
    returncodes: dict[str, int]
    logs: dict[str, str]
    writer_returncode: int
    writer_log: str
    killed_in_flight: set[str]
    requests: Counter[str]
    manifest: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    keys_left: list[bytes]
    local_archive: Path


@pytest.fixture(scope="module")
def distributed_run(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> DistributedRun:
    directory = tmp_path_factory.mktemp("distributed")
    manifest = generate_site(directory / "site", articles=ARTICLES)
    server = start_server(directory / "site", directory / "requests.jsonl", delay=SERVER_DELAY)
    client = redis.Redis.from_url(redis_url)
    archive = directory / "archive.db"
    local_archive = directory / "no-worker-writes-here.db"
    try:
        definition = demo_definition(directory, server.port)
        writer_log = directory / "writer.log"
        writer = start_writer(redis_url, archive, writer_log)
        # Workers refuse an incremental crawl until the writer has published the archive.
        wait_until(lambda: client.exists(Keys(ITEMS_KEY).published), 60, "the writer to publish")
        workers = {}
        for worker in WORKERS:
            if worker == WORKERS[-1]:
                # The last one joins a run under way, with requests already queued.
                wait_until(lambda: len(server.requests()) >= 50, 60, "the first pages")
            log = directory / f"{worker}.log"
            workers[worker] = start_worker(
                definition, local_archive, redis_url, worker, log, "WORKER_HEARTBEAT_SECONDS=4"
            )
        halfway = (ARTICLES + ARTICLES // 10) // 2
        wait_until(lambda: len(server.requests()) >= halfway, 120, "half the site to be fetched")
        os.kill(workers[KILLED].pid, signal.SIGKILL)
        in_flight = client.lrange(f"demo:requests:inflight:{KILLED}", 0, -1)
        returncodes = {worker: process.wait(timeout=180) for worker, process in workers.items()}
        keys = Keys(ITEMS_KEY)
        wait_until(
            lambda: not client.llen(keys.items) and not client.llen(keys.processing),
            60,
            "the writer to drain the item list",
        )
        writer.send_signal(signal.SIGTERM)
        writer_returncode = writer.wait(timeout=30)
        return DistributedRun(
            returncodes=returncodes,
            logs={w: (directory / f"{w}.log").read_text(encoding="utf-8") for w in WORKERS},
            writer_returncode=writer_returncode,
            writer_log=writer_log.read_text(encoding="utf-8"),
            killed_in_flight={urlsplit(redis_codec.loads(raw)["url"]).path for raw in in_flight},
            requests=Counter(request["path"] for request in server.requests()),
            manifest=manifest,
            rows=query(archive, "select url, title, published_at from articles"),
            runs=query(archive, "select * from crawl_runs order by id"),
            keys_left=sorted(client.keys("demo:*")),
            local_archive=local_archive,
        )
    finally:
        server.stop()
        client.close()


def test_live_workers_and_writer_exit_cleanly(distributed_run: DistributedRun) -> None:
    for worker in WORKERS:
        if worker == KILLED:
            assert distributed_run.returncodes[worker] == -signal.SIGKILL, distributed_run.logs[
                worker
            ][-3000:]
            continue
        log = distributed_run.logs[worker]
        assert distributed_run.returncodes[worker] == 0, log[-3000:]
        assert "Spider closed (finished)" in log
        assert "Traceback" not in log
        assert "Warning" not in log, "a deprecation or other warning reached the log"
    assert distributed_run.writer_returncode == 0, distributed_run.writer_log[-3000:]
    assert "rejected" not in distributed_run.writer_log.replace("0 messages rejected", "")


def test_every_article_archived_exactly_once(distributed_run: DistributedRun) -> None:
    urls = [row["url"] for row in distributed_run.rows]
    expected = {a["path"] for a in distributed_run.manifest if not a["rejected"]}
    assert len(urls) == len(set(urls))
    assert {urlsplit(url).path for url in urls} == expected
    truth = {a["path"]: a for a in distributed_run.manifest}
    for row in distributed_run.rows:
        article = truth[urlsplit(row["url"]).path]
        # Year-less dates take their year from the listing walk, whichever worker read
        # each page of it.
        assert (row["title"], row["published_at"]) == (article["title"], article["published_at"])
    assert not distributed_run.local_archive.exists(), "a worker wrote an archive of its own"


def test_no_page_fetched_twice_except_what_the_killed_worker_had_in_flight(
    distributed_run: DistributedRun,
) -> None:
    """A page the killed worker had downloaded but not finished is fetched again, once."""
    killed_in_flight = distributed_run.killed_in_flight
    assert killed_in_flight, "the kill should catch the worker with requests in flight"
    article_paths = {a["path"] for a in distributed_run.manifest}
    requests = distributed_run.requests
    assert article_paths <= requests.keys()
    twice = {path for path, count in requests.items() if count > 1 and path != "/robots.txt"}
    assert twice <= killed_in_flight
    assert max(count for path, count in requests.items() if path != "/robots.txt") <= 2


def test_the_dead_workers_requests_were_recovered(distributed_run: DistributedRun) -> None:
    logs = "".join(distributed_run.logs[w] for w in WORKERS if w != KILLED)
    assert f"worker {KILLED} stopped its heartbeat" in logs


def test_each_worker_has_its_run_and_the_frontier_is_cleared(
    distributed_run: DistributedRun,
) -> None:
    runs = {json.loads(run["stats"])["distributed/worker"]: run for run in distributed_run.runs}
    assert runs.keys() == set(WORKERS)
    for worker, run in runs.items():
        assert run["articles_new"] > 0, "every worker took a share of the work"
        if worker == KILLED:
            # Closed by the worker that re-queued its requests; its page counts died with it.
            assert (run["finish_reason"], run["pages"]) == ("worker_lost", 0)
        else:
            assert (run["finish_reason"], run["pages"] > 0) == ("finished", True)
    archived = sum(run["articles_new"] for run in runs.values())
    assert archived == len(distributed_run.rows)
    assert distributed_run.keys_left == []
