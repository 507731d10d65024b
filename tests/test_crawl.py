"""End to end: the demo site served on 127.0.0.1, real crawls, and the rows they leave."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.crawling import (
    DEMO_ARTICLES,
    Crawl,
    Server,
    crawl,
    demo_definition,
    max_in_flight,
    start_server,
)

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "azeridaily-politics-31986.txt"
HASANOV_PATH = "/politics/31986"
BOILERPLATE = ("Latest news", "Share:", "Facebook", "Twitter", "WhatsApp", "Photo: Azeri Daily")


@dataclass
class DemoRun:
    first: Crawl
    second: Crawl
    rows_after_first: dict[str, dict[str, Any]]
    rows: dict[str, dict[str, Any]]
    runs: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    manifest: list[dict[str, Any]]
    base_url: str


def read_rows(archive: Path, table: str, key: str) -> dict[Any, dict[str, Any]]:
    with sqlite3.connect(archive) as db:
        db.row_factory = sqlite3.Row
        return {row[key]: dict(row) for row in db.execute(f"select * from {table}")}


@pytest.fixture(scope="module")
def demo_run(
    demo_server: Server,
    demo_site: tuple[Path, list[dict[str, Any]]],
    tmp_path_factory: pytest.TempPathFactory,
) -> DemoRun:
    directory = tmp_path_factory.mktemp("crawl")
    definition = demo_definition(directory, demo_server.port)
    archive = directory / "archive.db"
    first = crawl(definition, archive)
    rows_after_first = read_rows(archive, "articles", "url")
    requests_first = demo_server.requests()
    second = crawl(definition, archive)
    return DemoRun(
        first=first,
        second=second,
        rows_after_first=rows_after_first,
        rows=read_rows(archive, "articles", "url"),
        runs=list(read_rows(archive, "crawl_runs", "id").values()),
        requests=requests_first,
        manifest=demo_site[1],
        base_url=demo_server.base_url.rstrip("/"),
    )


def expected(run: DemoRun) -> dict[str, dict[str, Any]]:
    return {run.base_url + a["path"]: a for a in run.manifest if not a["rejected"]}


def test_crawl_succeeds(demo_run: DemoRun) -> None:
    for result in (demo_run.first, demo_run.second):
        assert result.returncode == 0, result.log[-3000:]
        assert "Traceback" not in result.log
        assert "Warning" not in result.log, "a deprecation or other warning reached the log"


def test_every_article_archived_once(demo_run: DemoRun) -> None:
    assert set(demo_run.rows_after_first) == set(expected(demo_run))


def test_articles_per_section(demo_run: DemoRun) -> None:
    archived = Counter(row["section"] for row in demo_run.rows.values())
    assert archived == Counter(a["section"] for a in expected(demo_run).values())
    assert len(archived) == 4


def test_every_field_matches_the_page(demo_run: DemoRun) -> None:
    for url, article in expected(demo_run).items():
        row = demo_run.rows[url]
        assert row["site"] == "demo"
        for field in ("title", "section", "published_raw", "published_at", "summary", "body"):
            assert row[field] == article[field], (url, field)
        assert json.loads(row["authors"]) == article["authors"]
        assert json.loads(row["tags"]) == article["tags"]
        assert row["image_url"] == demo_run.base_url + article["image_path"]
        assert row["language"] == "en"
        assert row["modified_at"] is None
        assert len(row["content_hash"]) == 64


def test_hasanov_article(demo_run: DemoRun) -> None:
    row = demo_run.rows[demo_run.base_url + HASANOV_PATH]
    seed = SEED.read_text(encoding="utf-8")
    assert row["title"] == "Details of Zakir Hasanov's visit to Israel"
    assert row["section"] == "Azerbaijani Politics"
    assert row["published_raw"] == "13 september — 14:15"
    # The page's metadata carries the year; the visible date does not.
    assert row["published_at"] == "2017-09-13T10:15:00+00:00"
    assert row["body"].startswith(
        "Azerbaijani Defence Minister, Colonel-General Zakir Hasanov continues his visit to Israel."
    )
    assert row["body"].endswith("cooperation between Azerbaijan and Israel in the military sphere.")
    assert row["body"].count("\n\n") == 9  # ten paragraphs
    assert all(paragraph in seed for paragraph in row["body"].split("\n\n"))


def test_no_boilerplate_in_any_body(demo_run: DemoRun) -> None:
    titles = {a["title"] for a in demo_run.manifest}
    for row in demo_run.rows.values():
        for phrase in BOILERPLATE:
            assert phrase not in row["body"], (row["url"], phrase)
        assert not any(title in row["body"] for title in titles - {row["title"]}), row["url"]


def test_video_page_is_rejected_and_counted(demo_run: DemoRun) -> None:
    video = next(a for a in demo_run.manifest if a["rejected"])
    assert demo_run.base_url + video["path"] not in demo_run.rows
    assert f"{demo_run.base_url}{video['path']}: no body" in demo_run.first.log
    assert demo_run.runs[0]["rejected"] == 1


def test_each_page_requested_once_without_tracking_parameters(demo_run: DemoRun) -> None:
    paths = [r["path"] for r in demo_run.requests]
    assert not [p for p in paths if "utm_" in p or "#" in p]
    assert [p for p, n in Counter(paths).items() if n > 1] == []
    article_paths = {a["path"] for a in demo_run.manifest}
    assert article_paths <= set(paths)


def recent(run: DemoRun) -> set[str]:
    """Articles the second crawl re-checks: published within the default recheck_days."""
    since = datetime.fromisoformat(run.runs[1]["started_at"]) - timedelta(days=3)
    return {
        url for url, row in run.rows.items() if datetime.fromisoformat(row["published_at"]) >= since
    }


def test_second_crawl_adds_no_row(demo_run: DemoRun) -> None:
    """Only the recent articles are fetched again; the rest are not touched at all."""
    assert demo_run.rows.keys() == demo_run.rows_after_first.keys()
    rechecked = recent(demo_run)
    assert 0 < len(rechecked) < len(demo_run.rows)
    for url, row in demo_run.rows.items():
        before = demo_run.rows_after_first[url]
        changed = {k for k in row if row[k] != before[k]}
        assert changed == ({"last_seen_at"} if url in rechecked else set()), (url, changed)


def test_crawl_runs_record_both_crawls(demo_run: DemoRun) -> None:
    first, second = demo_run.runs
    count = len(expected(demo_run))
    assert (first["articles_new"], first["articles_unchanged"]) == (count, 0)
    assert (second["articles_new"], second["articles_updated"]) == (0, 0)
    assert second["articles_unchanged"] == len(recent(demo_run))
    assert first["pages"] >= count
    assert second["pages"] < count
    for run in (first, second):
        assert run["spider"] == run["site"] == "demo"
        assert run["finish_reason"] == "finished"
        assert run["finished_at"] >= run["started_at"]  # an incremental run can take < 1 s
        assert run["errors"] == 0
    assert json.loads(first["stats"])["item_scraped_count"] == count


def test_no_control_server_is_opened(demo_run: DemoRun) -> None:
    enabled = demo_run.first.log.split("Enabled extensions:")[1].split("]")[0]
    assert "CrawlRunRecorder" in enabled
    assert "TelnetConsole" not in enabled
    assert "RemoteControl" not in enabled
    assert "Telnet console listening" not in demo_run.first.log


def test_generic_extraction_without_selectors(
    demo_server: Server, demo_site: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """With no selectors at all, metadata and generic reading still archive the site well."""
    definition = demo_definition(tmp_path, demo_server.port, selectors=False)
    result = crawl(definition, tmp_path / "generic.db")
    assert result.returncode == 0, result.log[-3000:]
    rows = read_rows(tmp_path / "generic.db", "articles", "url")
    base = demo_server.base_url.rstrip("/")
    articles = {base + a["path"]: a for a in demo_site[1] if not a["rejected"]}
    assert set(rows) == set(articles)
    for url, article in articles.items():
        row = rows[url]
        assert (row["title"], row["section"]) == (article["title"], article["section"])
        assert row["published_at"] == article["published_at"], url
        for phrase in BOILERPLATE:
            assert phrase not in row["body"], (url, phrase)
        assert row["body"].split("\n\n")[0] == article["body"].split("\n\n")[0], url


def test_definition_error_stops_before_any_request(demo_server: Server, tmp_path: Path) -> None:
    good = demo_definition(tmp_path, demo_server.port).read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(good.replace('timezone = "Asia/Baku"', 'timezone = "Asia/Atlantis"'))
    before = len(demo_server.requests())
    result = crawl(bad, tmp_path / "bad.db")
    assert result.returncode == 2
    assert f"error: {bad}: key 'timezone'" in result.log
    assert "Traceback" not in result.log
    assert "Asia/Atlantis" in result.log
    assert len(demo_server.requests()) == before
    assert not (tmp_path / "bad.db").exists()


def test_politeness_is_enforced_at_the_server(
    demo_site: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """However many requests Scrapy may run, the server never sees more than the limit."""
    server = start_server(demo_site[0], tmp_path / "requests.jsonl", delay=0.05)
    try:
        definition = demo_definition(tmp_path, server.port)
        result = crawl(
            definition,
            tmp_path / "polite.db",
            "CONCURRENT_REQUESTS=32",
            "CONCURRENT_REQUESTS_PER_DOMAIN=2",
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.log[-3000:]
    requests = server.requests()
    assert len(requests) > DEMO_ARTICLES
    assert max_in_flight(requests) <= 2


def test_stale_selector_warns_and_falls_back(
    demo_server: Server, demo_site: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """A redesign breaks a selector: the run says so, and the articles are still archived."""
    text = demo_definition(tmp_path, demo_server.port).read_text(encoding="utf-8")
    stale = tmp_path / "stale.toml"
    stale.write_text(text.replace('body = ".news-text"', 'body = ".story-body"'))
    result = crawl(stale, tmp_path / "stale.db")
    assert result.returncode == 0, result.log[-3000:]
    pages = len(demo_site[1])
    assert (
        f"WARNING: site 'demo': selector 'body' (.story-body) matched nothing on "
        f"{pages} of {pages} article pages" in result.log
    )
    rows = read_rows(tmp_path / "stale.db", "articles", "url")
    assert len(rows) == pages - 1
    assert all("Latest news" not in row["body"] for row in rows.values())
