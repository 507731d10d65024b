"""Fault injection: one real crawl of a site that misbehaves in every way tests/faultserver.py
knows, and what must hold after it: the crawl ends, the archive is intact, every good
article is archived once, and every fault is in the run's record with its URL."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import faultserver
from tests.crawling import ROOT, Crawl, crawl

#: Fast limits for the test; the fault behaviour is that of the project's settings.
SETTINGS = (
    "DOWNLOAD_TIMEOUT=2",
    "RETRY_BACKOFF_BASE=0.05",
    "RETRY_AFTER_MAX=2",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
)


@dataclass
class FaultRun:
    crawl: Crawl
    base_url: str
    archive: Path
    rows: dict[str, dict[str, Any]]
    run: dict[str, Any]
    requests: list[dict[str, Any]]


@pytest.fixture(scope="module")
def fault_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("faults") / "requests.jsonl"
    command = [sys.executable, "-m", "tests.faultserver", "--port", "0", "--log", str(log)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
    try:
        assert match, f"fault server did not start: {line!r}"
        yield match.group(1), log
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def fault_definition(directory: Path, base_url: str) -> Path:
    path = directory / "faulty.toml"
    path.write_text(
        'name = "faulty"\n'
        f'start_urls = ["{base_url}news/", "{base_url}forever/", "{base_url}calendar/2026/11/"]\n'
        "article_url = '/news/\\d+$'\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def fault_run(fault_server: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory) -> FaultRun:
    base_url, log = fault_server
    directory = tmp_path_factory.mktemp("fault-crawl")
    archive = directory / "archive.db"
    done = crawl(fault_definition(directory, base_url), archive, *SETTINGS)
    with sqlite3.connect(archive) as db:
        db.row_factory = sqlite3.Row
        rows = {row["url"]: dict(row) for row in db.execute("select * from articles")}
        run = dict(db.execute("select * from crawl_runs").fetchone())
    requests = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return FaultRun(done, base_url, archive, rows, run, requests)


def test_the_crawl_finishes_and_the_archive_is_intact(fault_run: FaultRun) -> None:
    assert fault_run.crawl.returncode == 0, fault_run.crawl.log[-3000:]
    assert fault_run.run["finish_reason"] == "finished"
    with sqlite3.connect(fault_run.archive) as db:
        assert db.execute("pragma integrity_check").fetchall() == [("ok",)]
        assert db.execute("pragma foreign_key_check").fetchall() == []
        urls = [url for (url,) in db.execute("select url from articles")]
    assert len(urls) == len(set(urls))


def test_every_good_article_is_archived_exactly_once(fault_run: FaultRun) -> None:
    expected = {f"{fault_run.base_url}news/{i}" for i in faultserver.GOOD}
    assert set(fault_run.rows) == expected
    for article_id in faultserver.GOOD:
        row = fault_run.rows[f"{fault_run.base_url}news/{article_id}"]
        assert row["title"] == faultserver.title_of(article_id)
        assert row["body"].count("\n\n") >= 7, row["body"][:300]
        assert "\ufffd" not in row["body"] and "Ð" not in row["body"]
    assert fault_run.run["articles_new"] == len(faultserver.GOOD)


def test_mislabelled_charsets_are_read_right(fault_run: FaultRun) -> None:
    for article_id in (29, 30):
        row = fault_run.rows[f"{fault_run.base_url}news/{article_id}"]
        assert "Депутаты обсуждали документ" in row["body"]
        assert row["language"] == "ru"


@pytest.mark.parametrize("article_id", sorted(faultserver.FAULTS))
def test_each_fault_is_recorded_with_its_url(fault_run: FaultRun, article_id: int) -> None:
    _behaviour, kinds = faultserver.FAULTS[article_id]
    stats = json.loads(fault_run.run["stats"])
    url = f"{fault_run.base_url}news/{article_id}"
    recorded = {fault["kind"] for fault in stats["faults"] if fault["url"] == url}
    assert set(kinds) <= recorded, (url, recorded)
    for kind in kinds:
        assert stats[f"faults/{kind}"] >= 1


def test_traps_end_and_are_recorded(fault_run: FaultRun) -> None:
    stats = json.loads(fault_run.run["stats"])
    loops = {fault["url"] for fault in stats["faults"] if fault["kind"] == "listing_loop"}
    assert f"{fault_run.base_url}forever/page/2/" in loops
    assert any("/calendar/" in url for url in loops)
    paths = [r["path"] for r in fault_run.requests]
    assert sum(p.startswith("/forever/") for p in paths) == 2
    assert sum(p.startswith("/calendar/") for p in paths) == 2


def test_faulty_responses_are_bounded(fault_run: FaultRun) -> None:
    """Retries stop; nothing is fetched twice once it succeeded; binary pages are rejected."""
    paths = [r["path"] for r in fault_run.requests]
    for article_id in faultserver.GOOD:
        assert paths.count(f"/news/{article_id}") <= 3
    assert paths.count("/news/25") == 4  # the first attempt and RETRY_TIMES retries
    assert fault_run.run["rejected"] == 2  # the PDF and the JPEG
    assert not any(p.startswith("http") or "localhost" in p for p in paths)
