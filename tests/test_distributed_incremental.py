"""Incremental rules across hosts: a second distributed crawl by workers with no archive file.

A real redis-server, the generated site on 127.0.0.1, one `archive ingest` writer for
both crawls. Between the crawls Redis is flushed, as a restarted Redis without
persistence would be: the running writer must rebuild what the workers need from the
archive. The second crawl's workers are pointed at archive paths that do not exist (other
hosts); what they fetch is counted at the server.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from archive.ingest import ITEMS_KEY, Keys
from demosite.generate import generate_site
from tests.crawling import (
    Server,
    demo_definition,
    query,
    start_server,
    start_worker,
    start_writer,
    wait_until,
)
from tests.redis_server import redis_server
from tests.test_scheduled_runs import expected_second_crawl

ARTICLES = 160
WORKERS = ("h1", "h2")
KEYS = Keys(ITEMS_KEY)
#: The frontier's set of the workers in the run (scrapy-redis's queue key, "<site>:requests").
WORKERS_KEY = "demo:requests:workers"


@dataclass
class TwoCrawls:
    manifest: list[dict[str, Any]]
    first: list[dict[str, Any]]
    second: list[dict[str, Any]]
    second_logs: dict[str, str]
    returncodes: list[int]
    writer_log: str
    archive: Path
    worker_archives: list[Path]
    first_ended: str
    keys_left: list[bytes]


def _crawl(
    definition: Path,
    url: str,
    server: Server,
    client: redis.Redis,
    archives: list[Path],
    logs: Path,
) -> tuple[list[int], dict[str, str]]:
    """One distributed crawl: a worker per archive path, run to their end.

    The site is paused (SIGSTOP) until every worker has joined the run: a worker that
    starts after the others have finished the run begins a run of its own, which is
    right, but would fetch the listings again. On a loaded machine a second crawl this
    small can be over before the slower worker has imported Scrapy. AutoThrottle would
    take the pause for the site's latency and slow the rest of the crawl down."""
    workers = {}
    server.process.send_signal(signal.SIGSTOP)
    try:
        for worker, archive in zip(WORKERS, archives, strict=True):
            log = logs / f"{worker}.log"
            workers[worker] = start_worker(
                definition, archive, url, worker, log, "AUTOTHROTTLE_ENABLED=False"
            )
        wait_until(
            lambda: (
                client.scard(WORKERS_KEY) == len(WORKERS)
                or any(process.poll() is not None for process in workers.values())
            ),
            60,
            "every worker to join the run",
        )
    finally:
        server.process.send_signal(signal.SIGCONT)
    codes = [process.wait(timeout=180) for process in workers.values()]
    texts = {w: (logs / f"{w}.log").read_text(encoding="utf-8") for w in workers}
    return codes, texts


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoCrawls]:
    directory = tmp_path_factory.mktemp("incremental")
    manifest = generate_site(directory / "site", articles=ARTICLES)
    server = start_server(directory / "site", directory / "requests.jsonl")
    archive = directory / "archive-host" / "archive.db"
    archive.parent.mkdir()
    definition = demo_definition(directory, server.port)
    with redis_server(directory) as url:
        client = redis.Redis.from_url(url)
        writer_log = directory / "writer.log"
        writer = start_writer(url, archive, writer_log)
        try:
            drained = lambda: not client.llen(KEYS.items) and not client.llen(KEYS.processing)  # noqa: E731
            wait_until(lambda: client.exists(KEYS.published), 30, "the writer to publish")
            first_logs = directory / "first"
            first_logs.mkdir()
            first_archives = [directory / f"first-{w}.db" for w in WORKERS]
            codes, logs = _crawl(definition, url, server, client, first_archives, first_logs)
            assert codes == [0, 0], logs
            wait_until(drained, 60, "the writer to drain the first crawl")
            first = server.requests()
            first_ended = max(
                run["finished_at"] for run in query(archive, "select * from crawl_runs")
            )
            # A Redis restarted without its data: the running writer publishes again.
            client.flushdb()
            wait_until(lambda: client.exists(KEYS.published), 30, "the writer to publish again")
            second_logs = directory / "second"
            second_logs.mkdir()
            other_hosts = [directory / f"host-{w}" / "archive.db" for w in WORKERS]
            returncodes, second_texts = _crawl(
                definition, url, server, client, other_hosts, second_logs
            )
            wait_until(drained, 60, "the writer to drain the second crawl")
            keys_left = sorted(client.keys("demo:*"))
        finally:
            writer.send_signal(signal.SIGTERM)
            writer.wait(timeout=30)
            server.stop()
            client.close()
    yield TwoCrawls(
        manifest=manifest,
        first=first,
        second=server.requests()[len(first) :],
        second_logs=second_texts,
        returncodes=returncodes,
        writer_log=writer_log.read_text(encoding="utf-8"),
        archive=archive,
        worker_archives=[*first_archives, *other_hosts],
        first_ended=first_ended,
        keys_left=keys_left,
    )


def second_runs(crawls: TwoCrawls) -> list[dict[str, Any]]:
    return query(
        crawls.archive, f"select * from crawl_runs where started_at > '{crawls.first_ended}'"
    )


def test_workers_on_other_hosts_finish_cleanly(two_crawls: TwoCrawls) -> None:
    for log in two_crawls.second_logs.values():
        assert "Traceback" not in log
        assert "the last run did not finish" not in log  # the first crawl finished
    assert two_crawls.returncodes == [0, 0], two_crawls.second_logs
    assert "published" in two_crawls.writer_log
    assert "workers' incremental state has gone from Redis" in two_crawls.writer_log
    assert not any(path.exists() for path in two_crawls.worker_archives)
    assert two_crawls.keys_left == [], "the run's frontier and walk outlived it"


def test_the_second_crawl_fetches_listings_and_rechecks_only(two_crawls: TwoCrawls) -> None:
    runs = second_runs(two_crawls)
    assert len(runs) == len(WORKERS)
    started = min(datetime.fromisoformat(run["started_at"]) for run in runs)
    expected = expected_second_crawl(two_crawls.manifest, started - timedelta(days=3))
    requests = Counter(request["path"] for request in two_crawls.second)
    # Each worker reads robots.txt before its first request, if it gets one at all.
    assert 1 <= requests.pop("/robots.txt") <= len(WORKERS)
    del expected["/robots.txt"]
    assert requests == expected
    assert sum(expected.values()) < len(two_crawls.manifest) / 2
    # Every page of the first crawl was fetched once, by one of the workers.
    first = Counter(request["path"] for request in two_crawls.first)
    assert {path for path, count in first.items() if count > 1} <= {"/robots.txt"}


def test_not_modified_rechecks_move_last_seen_through_the_writer(two_crawls: TwoCrawls) -> None:
    not_modified = {r["path"] for r in two_crawls.second if r["status"] == 304}
    assert len(not_modified) >= 4  # the static server answers If-Modified-Since with 304
    rows = query(two_crawls.archive, "select url, last_seen_at from articles")
    moved = {
        row["url"].split("/", 3)[3] for row in rows if row["last_seen_at"] > two_crawls.first_ended
    }
    assert {path.lstrip("/") for path in not_modified} <= moved
    unchanged = sum(run["articles_unchanged"] for run in second_runs(two_crawls))
    assert unchanged == len(not_modified)


def test_nothing_is_archived_twice(two_crawls: TwoCrawls) -> None:
    articles = query(two_crawls.archive, "select url, version_count from articles")
    expected = {a["path"] for a in two_crawls.manifest if not a["rejected"]}
    assert sorted(row["url"].split("/", 3)[3] for row in articles) == sorted(
        path.lstrip("/") for path in expected
    )
    assert {row["version_count"] for row in articles} == {1}
    (versions,) = query(two_crawls.archive, "select count(*) as n from article_versions")
    assert versions["n"] == len(articles)
    runs = second_runs(two_crawls)
    assert sum(run["articles_new"] + run["articles_updated"] for run in runs) == 0


def test_pages_that_gave_no_article_are_kept_and_known(two_crawls: TwoCrawls) -> None:
    rejected = {a["path"] for a in two_crawls.manifest if a["rejected"]}
    assert rejected, "the generated site has video pages"
    kept = query(two_crawls.archive, "select url, rejected from raw_pages where article_id is null")
    assert {row["url"].split("/", 3)[3] for row in kept} == {p.lstrip("/") for p in rejected}
    assert all(row["rejected"] for row in kept)
