"""What a scheduled run relies on: a cheap re-crawl, one run at a time, and a verdict in
the exit status, the last log line and crawl_runs. Real crawls of the demo site."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archive import Archive
from crawler.run_lock import RunLock
from demosite.generate import PER_PAGE
from tests.crawling import Crawl, Server, crawl, demo_definition, start_server

SECTIONS = ("politics", "economy", "society", "world")


def last_line(result: Crawl) -> str:
    return result.log.strip().splitlines()[-1]


def last_run(archive: Path) -> dict[str, Any]:
    with sqlite3.connect(archive) as db:
        db.row_factory = sqlite3.Row
        row = dict(db.execute("select * from crawl_runs order by id desc limit 1").fetchone())
    return {**row, "stats": json.loads(row["stats"])}


def expected_second_crawl(manifest: list[dict[str, Any]], since: datetime) -> Counter[str]:
    """Requests a re-crawl of the unchanged site should make: robots.txt; in each section
    the first listing page, and the next one only while a page still held a link due a
    re-check (a recent article, or a page the archive refused minutes ago, like the
    video); those articles."""
    due = {
        a["path"]
        for a in manifest
        if a["rejected"] or datetime.fromisoformat(a["published_at"]) >= since
    }
    expected = Counter({"/robots.txt": 1})
    for slug in SECTIONS:
        listed = [a["path"] for a in manifest if a["section_slug"] == slug]
        pages = [listed[i : i + PER_PAGE] for i in range(0, len(listed), PER_PAGE)]
        for number, page in enumerate(pages, start=1):
            expected[f"/{slug}/" if number == 1 else f"/{slug}/page/{number}/"] += 1
            expected.update(path for path in page if path in due)
            if not due & set(page):
                break
    return expected


def test_recrawl_of_an_unchanged_site_fetches_listings_and_rechecks_only(
    demo_server: Server, demo_site: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    definition = demo_definition(tmp_path, demo_server.port)
    archive = tmp_path / "archive.db"
    first = crawl(definition, archive)
    assert first.returncode == 0, first.log[-3000:]
    before = len(demo_server.requests())
    second = crawl(definition, archive)
    assert second.returncode == 0, second.log[-3000:]
    requests = demo_server.requests()[before:]
    since = datetime.fromisoformat(last_run(archive)["started_at"]) - timedelta(days=3)
    expected = expected_second_crawl(demo_site[1], since)
    assert Counter(r["path"] for r in requests) == expected
    rechecks = [r for r in requests if r["path"] in expected and r["status"] == 304]
    assert len(rechecks) >= 4  # the static server answers If-Modified-Since with 304
    assert sum(expected.values()) < len(demo_site[1]) / 2
    stats = last_run(archive)["stats"]
    assert stats["run/verdict"] == "ok"
    assert stats["incremental/not_modified"] == len(rechecks)
    assert "OK" in last_line(second) and "exit status 0" in last_line(second)


def test_a_second_run_exits_at_once_while_one_holds_the_lock(
    demo_server: Server, tmp_path: Path
) -> None:
    definition = demo_definition(tmp_path, demo_server.port)
    archive = tmp_path / "archive.db"
    before = len(demo_server.requests())
    with RunLock(archive, "demo"):
        blocked = crawl(definition, archive)
    assert blocked.returncode == 75
    assert "another crawl of this site into this archive is running" in last_line(blocked)
    assert not archive.exists()
    assert len(demo_server.requests()) == before
    # A holder that dies, even by SIGKILL, leaves no lock behind.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from crawler.run_lock import RunLock; "
            f"RunLock({str(archive)!r}, 'demo').acquire(); print('held', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    holder.stdout.close()
    with RunLock(archive, "demo"):
        pass


def test_a_site_that_yields_no_article_fails(demo_server: Server, tmp_path: Path) -> None:
    text = demo_definition(tmp_path, demo_server.port).read_text(encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace("article_url = '", "article_url = '/story"), encoding="utf-8")
    archive = tmp_path / "archive.db"
    result = crawl(broken, archive)
    assert result.returncode == 4
    assert "NO_ARTICLES" in last_line(result) and "exit status 4" in last_line(result)
    run = last_run(archive)
    assert run["finish_reason"] == "finished"
    assert (run["stats"]["run/verdict"], run["stats"]["run/exit_status"]) == ("no_articles", 4)


def test_errors_past_the_threshold_fail_the_run(demo_server: Server, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    definition = tmp_path / "errors.toml"
    definition.write_text(
        'name = "demo"\n'
        f'start_urls = ["{demo_server.base_url}world/", "http://127.0.0.1:{closed}/world/"]\n'
        "article_url = '/world/\\d+$'\nmax_pages = 1\n",
        encoding="utf-8",
    )
    archive = tmp_path / "archive.db"
    result = crawl(definition, archive, "CRAWL_ERROR_THRESHOLD=0", "RETRY_TIMES=0")
    assert result.returncode == 3, result.log[-3000:]
    assert "TOO_MANY_ERRORS" in last_line(result)
    assert last_run(archive)["stats"]["run/verdict"] == "too_many_errors"
    # The same errors below the threshold: the run worked.
    assert crawl(definition, tmp_path / "b.db", "RETRY_TIMES=0").returncode == 0


def test_a_spider_that_cannot_start_fails(demo_server: Server, tmp_path: Path) -> None:
    definition = demo_definition(tmp_path, demo_server.port)
    result = crawl(definition, tmp_path / "archive.db", "ARCHIVE_BATCH_SIZE=many")
    assert result.returncode == 1
    assert "FAILED (the spider failed to start or to close)" in last_line(result)


def test_an_edit_to_a_recent_article_is_caught_by_its_recheck(tmp_path: Path) -> None:
    """Recent articles are re-fetched conditionally: the unchanged one answers 304, the
    edited one 200, and its new text becomes a second version."""
    root = tmp_path / "site"
    today = datetime.now(UTC).isoformat(timespec="seconds")
    prose = "The council approved the new budget on Tuesday after a long debate about roads."
    pages = {
        "index.html": "<html><body>home</body></html>",
        "news/index.html": '<html><body><h1>News</h1><a href="/news/1">One</a> '
        '<a href="/news/2">Two</a></body></html>',
        **{
            f"news/{n}": f'<html lang="en"><head><meta property="article:published_time" '
            f'content="{today}"></head><body><article><h1>Story {n}</h1><p>{prose}</p>'
            f"<p>Story {n} ends.</p></article></body></html>"
            for n in (1, 2)
        },
    }
    for name, text in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    server = start_server(root, tmp_path / "requests.jsonl")
    try:
        definition = tmp_path / "recent.toml"
        definition.write_text(
            f'name = "recent"\nstart_urls = ["{server.base_url}news/"]\n'
            "article_url = '/news/\\d+$'\n",
            encoding="utf-8",
        )
        archive = tmp_path / "archive.db"
        assert crawl(definition, archive).returncode == 0
        time.sleep(1.1)  # Last-Modified has whole seconds
        edited = root / "news" / "2"
        edited.write_text(edited.read_text().replace("Story 2 ends.", "Story 2 ends, corrected."))
        before = len(server.requests())
        assert crawl(definition, archive).returncode == 0
        statuses = {r["path"]: r["status"] for r in server.requests()[before:]}
    finally:
        server.stop()
    assert statuses == {"/robots.txt": 404, "/news/": 200, "/news/1": 304, "/news/2": 200}
    with Archive(archive) as stored:
        one = stored.find_article(f"{server.base_url}news/1")
        two = stored.find_article(f"{server.base_url}news/2")
    assert one is not None and two is not None
    assert (one["version_count"], two["version_count"]) == (1, 2)
    assert "corrected" in two["body"]
    stats = last_run(archive)["stats"]
    assert (stats["archive/updated"], stats["incremental/not_modified"]) == (1, 1)
