"""A crawl killed with SIGKILL at random points and started again, with the same JOBDIR,
ends with the archive one uninterrupted crawl gives: same rows, same content."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.run_verdict import EXIT_STATUS
from demosite.generate import generate_site
from tests.crawling import CRAWL_ENV, ROOT, Server, crawl, crawl_command, demo_definition
from tests.crawling import start_server as start_demo_server

ARTICLES = 600
KILLS = 3
#: The crawl's own columns; ids, first_seen_at and last_seen_at say when, not what.
COMPARED = (
    "url", "site", "section", "title", "authors", "published_at", "modified_at",
    "published_raw", "modified_raw", "published_year_source", "language", "summary", "body",
    "tags", "image_url", "content_hash",
)  # fmt: skip
FAST = ("DOWNLOAD_DELAY=0.001", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "LOG_LEVEL=WARNING")


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("big-site")
    generate_site(root, articles=ARTICLES)
    server = start_demo_server(root, tmp_path_factory.mktemp("big-server") / "requests.jsonl")
    yield server
    server.stop()


def rows(archive: Path) -> dict[str, tuple[Any, ...]]:
    with sqlite3.connect(archive) as db:
        assert db.execute("pragma integrity_check").fetchall() == [("ok",)]
        found = db.execute(f"select {', '.join(COMPARED)} from articles").fetchall()
    return {row[0]: row for row in found}


def archived(archive: Path) -> int:
    if not archive.exists():
        return 0
    with sqlite3.connect(f"file:{archive}?mode=ro", uri=True) as db:
        try:
            return db.execute("select count(*) from articles").fetchone()[0]
        except sqlite3.OperationalError:  # the schema is not written yet
            return 0


@pytest.fixture(scope="module")
def clean_crawl(
    big_server: Server, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, tuple[Any, ...]]]:
    """The big site's definition and the rows of one uninterrupted crawl of it."""
    directory = tmp_path_factory.mktemp("clean")
    definition = demo_definition(directory, big_server.port)
    clean = crawl(definition, directory / "clean.db", *FAST)
    assert clean.returncode == 0, clean.log[-2000:]
    expected = rows(directory / "clean.db")
    assert len(expected) == ARTICLES - 1  # the video page is rejected
    return definition, expected


def test_stopped_and_resumed_crawl_equals_one_clean_crawl(
    clean_crawl: tuple[Path, dict[str, tuple[Any, ...]]], tmp_path: Path
) -> None:
    """SIGTERM stops cleanly: the resumed crawl goes on from the JOBDIR, not from scratch."""
    definition, expected = clean_crawl
    archive, jobdir = tmp_path / "stopped.db", tmp_path / "job"
    command = crawl_command(definition, archive, *FAST, f"JOBDIR={jobdir}")
    process = subprocess.Popen(command, cwd=ROOT, env=CRAWL_ENV)
    while process.poll() is None and archived(archive) < len(expected) // 3:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == EXIT_STATUS["failed"]  # stopped before its end
    assert archived(archive) < len(expected)
    resumed = crawl(definition, archive, *FAST, f"JOBDIR={jobdir}", "LOG_LEVEL=INFO")
    assert resumed.returncode == 0, resumed.log[-2000:]
    assert "Resuming crawl" in resumed.log and "did not close cleanly" not in resumed.log
    got = rows(archive)
    assert [key for key in expected if got.get(key) != expected[key]] == []
    # The next scheduled run of the same command: a finished crawl leaves nothing to
    # resume, so it walks the site again instead of taking every page for seen.
    again = crawl(definition, archive, *FAST, f"JOBDIR={jobdir}", "LOG_LEVEL=INFO")
    assert again.returncode == 0, again.log[-2000:]
    assert "the last crawl finished; this crawl starts afresh" in again.log
    assert "Resuming crawl" not in again.log
    assert rows(archive) == got


def test_killed_and_resumed_crawl_equals_one_clean_crawl(
    clean_crawl: tuple[Path, dict[str, tuple[Any, ...]]], tmp_path: Path
) -> None:
    definition, expected = clean_crawl

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    archive, jobdir = tmp_path / "killed.db", tmp_path / "job"
    command = crawl_command(definition, archive, *FAST, f"JOBDIR={jobdir}")
    # Kill points: when the archive holds a random share of the articles (each run
    # starts over, so the shares rise), then a random instant later, mid-batch or not.
    targets = sorted(
        rng.randint(len(expected) // 10, len(expected) * 9 // 10) for _ in range(KILLS)
    )
    archived_at_kill = []
    for target in targets:
        process = subprocess.Popen(command, cwd=ROOT, env=CRAWL_ENV)
        while process.poll() is None and archived(archive) < target:
            time.sleep(0.05)
        time.sleep(rng.uniform(0, 0.3))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        archived_at_kill.append(archived(archive))
    resumed = crawl(definition, archive, *FAST, f"JOBDIR={jobdir}")
    assert resumed.returncode == 0, resumed.log[-2000:]
    assert "did not close cleanly" in resumed.log or archived_at_kill[-1] == len(expected)

    context = f"seed {seed}, archived at each kill: {archived_at_kill}"
    assert any(0 < count < len(expected) for count in archived_at_kill), context
    got = rows(archive)
    assert got.keys() == expected.keys(), context
    assert [key for key in expected if got[key] != expected[key]] == [], context
    assert not (jobdir / "crawl.running").exists()
