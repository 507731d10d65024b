"""Crawl rules on a small site written for the purpose, served on 127.0.0.1.

Pagination that loops or repeats, `max_pages`, one article behind several URLs, links
to other hosts, an unreadable date, and a crawl killed halfway.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from archive import Archive
from tests.crawling import DEMO_ARTICLES, ROOT, Server, crawl, demo_definition, start_server

PROSE = (
    "The council approved the new budget on Tuesday after a long debate about schools, "
    "roads and the future of the city's libraries, which had faced closure for two years."
)


def article(title: str, *, head: str = "", date: str = "2018-09-13T14:15:00+04:00") -> str:
    return (
        f'<html lang="en"><head><meta property="article:published_time" content="{date}">'
        f"{head}</head><body><article><h1>{title}</h1><p>{PROSE}</p><p>{title} ends.</p>"
        "</article></body></html>"
    )


def listing(links: list[str], next_href: str | None) -> str:
    anchors = " ".join(f'<a href="{href}">{href}</a>' for href in links)
    more = f'<a class="next" href="{next_href}">Next »</a>' if next_href else ""
    return f"<html><body><h1>News</h1>{anchors} {more}</body></html>"


def write_site(root: Path, port: int) -> None:
    pages = {
        "index.html": "<html><body>home</body></html>",
        # Page 3 brings only articles seen on pages 1 and 2: the section ends there,
        # although it links on to page 4.
        "news/index.html": listing(
            [
                "/news/1",
                "/news/1?utm_source=home&utm_medium=web#top",
                "/news/2",
                "/news/5",
                f"http://localhost:{port}/news/6",
            ],
            "/news/page/2/",
        ),
        "news/page/2/index.html": listing(
            ["/news/3", "/news/7", "/news/8", "/news/9", "/news/10"], "/news/page/3/"
        ),
        "news/page/3/index.html": listing(["/news/1", "/news/3"], "/news/page/4/"),
        "news/page/4/index.html": listing(["/news/4"], "/news/"),
        "news/1": article("One"),
        "news/2": article("Two"),
        "news/3": article("Three"),
        "news/4": article("Four"),
        # The same article as /news/1, reached through another URL.
        "news/5": article("One", head='<link rel="canonical" href="/news/1">'),
        "news/6": article("Six, on another host"),
        "news/7": article("Seven", date="Latest news"),
        # A paywall: the article URL sends the reader to a login page.
        "news/8": '<html><head><meta http-equiv="refresh" content="0; url=/login/"></head></html>',
        "login/index.html": "<html><body><h1>Please log in</h1><form><p>"
        + PROSE
        + "</p></form><p>Subscribers read every story in full, every day.</p></body></html>",
        # og:url at the home page, as many CMSs set it; a <base> for relative addresses.
        "news/9": article(
            "Nine",
            head='<meta property="og:url" content="/"><base href="/media/">',
        ).replace("</h1>", '</h1><img src="data:image/gif;base64,R0lGOD" data-src="pic.jpg">'),
        # A page declaring its language with a country code, and a Ukrainian date.
        "news/10": article("Ten", date="13 вересня 2018, 14:15").replace('lang="en"', 'lang="ua"'),
    }
    for path, html in pages.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(html, encoding="utf-8")


@pytest.fixture
def rules_site(tmp_path: Path) -> tuple[Server, Path]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("placeholder", encoding="utf-8")
    server = start_server(root, tmp_path / "requests.jsonl")
    write_site(root, server.port)
    definition = tmp_path / "rules.toml"
    definition.write_text(
        'name = "rules"\n'
        f'start_urls = ["{server.base_url}news/"]\n'
        "article_url = '/news/\\d+$'\n"
        'allowed_domains = ["127.0.0.1"]\n',
        encoding="utf-8",
    )
    yield server, definition
    server.stop()


def paths(server: Server) -> Counter[str]:
    return Counter(request["path"] for request in server.requests())


def rows(archive: Path) -> dict[str, dict]:
    with sqlite3.connect(archive) as db:
        db.row_factory = sqlite3.Row
        return {row["url"]: dict(row) for row in db.execute("select * from articles")}


def test_listing_rules(rules_site: tuple[Server, Path], tmp_path: Path) -> None:
    server, definition = rules_site
    feed = tmp_path / "items.jsonl"
    result = crawl(definition, tmp_path / "a.db", f'FEEDS={{"{feed}": {{"format": "jsonlines"}}}}')
    assert result.returncode == 0, result.log[-3000:]
    # A feed export still works: every field but the raw page's bytes.
    items = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
    assert len(items) == 7 and all("raw_page" not in i and i["urls"] for i in items)
    requested = paths(server)
    assert "/news/page/3/" in requested
    assert "/news/page/4/" not in requested, "a page with no new article must end the section"
    assert "/news/4" not in requested
    assert "/news/6" not in requested, "a link to another host must never be requested"
    assert [p for p, n in requested.items() if n > 1] == []
    assert not [p for p in requested if "utm_" in p]

    archived = rows(tmp_path / "a.db")
    base = server.base_url.rstrip("/")
    assert set(archived) == {f"{base}/news/{n}" for n in (1, 2, 3, 7, 9, 10)}
    assert f"{base}/news/8: redirected to {base}/login/, which article_url does not" in result.log
    nine, ten = archived[f"{base}/news/9"], archived[f"{base}/news/10"]
    assert nine["image_url"] == f"{base}/media/pic.jpg"
    assert (ten["language"], ten["published_at"]) == ("uk", "2018-09-13T14:15:00+00:00")
    seven = archived[f"{base}/news/7"]
    assert (seven["published_raw"], seven["published_at"]) == ("Latest news", None)
    assert f"{base}/news/7: field 'published': cannot read date 'Latest news'" in result.log
    with sqlite3.connect(tmp_path / "a.db") as db:
        (stats,) = db.execute("select stats from crawl_runs").fetchone()
    assert json.loads(stats)["articles/duplicate"] == 1
    assert json.loads(stats)["articles/rejected/not_article_url"] == 1
    with Archive(tmp_path / "a.db") as archive:
        assert archive.check() == []
        one = archive.find_article(f"{base}/news/1")
        assert one is not None and one["version_count"] == 1
        # The page that names /news/1 its canonical URL, and a tracking variant, find it.
        assert archive.find_article(f"{base}/news/5") == one
        assert archive.find_article(f"{base}/news/1?utm_source=home&utm_medium=web#top") == one
        kinds = {row["url"]: row["kind"] for row in archive.urls(one["id"])}
        assert kinds == {f"{base}/news/1": "canonical", f"{base}/news/5": "requested"}
        # Every fetched article page is kept: both pages of article one.
        pages = archive.db.execute(
            "select url, status from raw_pages where article_id = ? order by url", [one["id"]]
        ).fetchall()
        assert pages == [(f"{base}/news/1", 200), (f"{base}/news/5", 200)]
        assert archive.db.execute(
            "select count(distinct article_id) from raw_pages"
        ).fetchone() == (len(archived),)


def test_a_corrected_article_becomes_a_new_version(
    rules_site: tuple[Server, Path], tmp_path: Path
) -> None:
    """A re-crawl of an edited page adds a version and keeps the first text whole."""
    server, definition = rules_site
    archive_path = tmp_path / "a.db"
    assert crawl(definition, archive_path).returncode == 0
    page = tmp_path / "site" / "news" / "2"
    page.write_text(
        page.read_text(encoding="utf-8").replace("Two ends.", "Two ends, corrected."),
        encoding="utf-8",
    )
    # The article dates from 2018, long before recheck_days: only a full re-crawl fetches it.
    second = crawl(definition, archive_path, "INCREMENTAL_CRAWL=False")
    assert second.returncode == 0, second.log[-3000:]
    with Archive(archive_path) as archive:
        assert archive.check() == []
        two = archive.find_article(f"{server.base_url}news/2")
        assert two is not None and two["version_count"] == 2
        first, latest = archive.versions(two["id"])
        assert "Two ends." in first["body"] and "corrected" not in first["body"]
        assert "Two ends, corrected." in latest["body"]
        assert latest["body"] == two["body"]
        # Both bodies stay available for re-extraction.
        assert archive.db.execute(
            "select count(*) from raw_pages where article_id = ?", [two["id"]]
        ).fetchone() == (2,)
        run = archive.runs(limit=1)[0]
        assert (run["articles_updated"], run["articles_new"]) == (1, 0)


def test_max_pages(rules_site: tuple[Server, Path], tmp_path: Path) -> None:
    server, definition = rules_site
    definition.write_text(definition.read_text() + "max_pages = 1\n", encoding="utf-8")
    result = crawl(definition, tmp_path / "a.db")
    assert result.returncode == 0, result.log[-3000:]
    requested = paths(server)
    assert "/news/" in requested
    assert "/news/page/2/" not in requested
    assert "/news/3" not in requested


def test_killed_crawl_keeps_committed_rows_and_resumes(
    demo_site: tuple[Path, list[dict]], tmp_path: Path
) -> None:
    """SIGKILL halfway: committed batches stay intact; the next crawl completes the set."""
    server = start_server(demo_site[0], tmp_path / "requests.jsonl", delay=0.1)
    archive = tmp_path / "killed.db"
    try:
        definition = demo_definition(tmp_path, server.port)
        command = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"config={definition}"]
        for setting in (f"ARCHIVE_PATH={archive}", "ARCHIVE_BATCH_SIZE=5", "DOWNLOAD_DELAY=0.01"):
            command += ["-s", setting]
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_committed(archive)) < 10:
            time.sleep(0.1)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        committed = _committed(archive)
        assert 10 <= len(committed) < DEMO_ARTICLES - 1
        with sqlite3.connect(archive) as db:
            assert db.execute("pragma integrity_check").fetchone() == ("ok",)

        result = crawl(definition, archive)
        assert result.returncode == 0, result.log[-3000:]
    finally:
        server.stop()
    after = _committed(archive)
    assert len(after) == DEMO_ARTICLES - 1
    assert all(after[url] == first_seen for url, first_seen in committed.items())
    with sqlite3.connect(archive) as db:
        runs = db.execute(
            "select finished_at, finish_reason from crawl_runs order by id"
        ).fetchall()
    assert runs[0] == (None, None), "the killed run is recorded as never finished"
    assert runs[1][1] == "finished"


def _committed(archive: Path) -> dict[str, str]:
    if not archive.exists():
        return {}
    try:
        with sqlite3.connect(archive) as db:
            return dict(db.execute("select url, first_seen_at from articles"))
    except sqlite3.OperationalError:  # the crawl has not created the tables yet
        return {}
