"""The incremental rule, asked of a real archive: new, due a re-check, or known."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive import Archive
from archive.schema import RUN_COUNT_COLUMNS
from crawler.known_articles import KNOWN, NEW, RECHECK, KnownArticles, Visit
from tests.archive_rows import article

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
BASE = "https://news.example/politics"


def raw_page(url: str, fetched_at: str, **headers: str) -> dict[str, object]:
    return {
        "url": url,
        "status": 200,
        "headers": {name.replace("_", "-"): [value] for name, value in headers.items()},
        "body": b"<html></html>",
        "fetched_at": fetched_at,
        "site": "example",
        "listing_section": None,
        "listing_year": None,
    }


def build_archive(path: Path) -> Path:
    """Articles recent, old and undated, one reached through a tracking URL, and three
    rejected pages, one of them a variant of an article's URL; the rule's answers for
    them are VISITS."""
    seen = "2024-03-09T08:00:00+00:00"
    with Archive(path) as archive:
        archive.upsert_articles(
            [
                # recent, with validators; reached once through a tracking URL
                article(
                    1,
                    published_at="2024-03-09T07:00:00+00:00",
                    seen_at=seen,
                    urls=[(f"{BASE}/1?from=home", "requested")],
                    raw_page=raw_page(
                        f"{BASE}/1",
                        seen,
                        ETag='"v1"',
                        Last_Modified="Sat, 09 Mar 2024 07:00:00 GMT",
                    ),
                ),
                article(2, published_at="2024-01-02T07:00:00+00:00", seen_at=seen),  # old
                article(3, published_at=None, published_year_source=None, seen_at=seen),  # undated
            ]
        )
        archive.add_rejected_pages(
            [
                (raw_page(f"{BASE}/video-recent", seen), "no body"),
                (raw_page(f"{BASE}/video-old", "2024-01-01T00:00:00+00:00"), "no body"),
                # a tracking variant of article 1 that once gave no article
                (raw_page(f"{BASE}/1?utm_medium=x", "2024-01-01T00:00:00+00:00"), "no body"),
            ]
        )
    return path


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_archive(tmp_path_factory.mktemp("known") / "archive.db")


#: (url, recheck_days, the answer) for the archive build_archive writes.
VISITS = [
    (
        f"{BASE}/1",
        3,
        Visit(
            RECHECK,
            {"If-None-Match": '"v1"', "If-Modified-Since": "Sat, 09 Mar 2024 07:00:00 GMT"},
        ),
    ),
    (
        f"{BASE}/1?utm_source=rss#top",
        3,
        Visit(
            RECHECK,
            {"If-None-Match": '"v1"', "If-Modified-Since": "Sat, 09 Mar 2024 07:00:00 GMT"},
        ),
    ),
    (
        f"{BASE}/1?from=home",
        3,
        Visit(
            RECHECK,
            {"If-None-Match": '"v1"', "If-Modified-Since": "Sat, 09 Mar 2024 07:00:00 GMT"},
        ),
    ),
    (f"{BASE}/1", 0, Visit(KNOWN)),
    (f"{BASE}/2", 3, Visit(KNOWN)),
    (f"{BASE}/2", 90, Visit(RECHECK)),  # no validators stored: a plain re-fetch
    (f"{BASE}/3", 3, Visit(RECHECK)),  # undated: by when it was first archived
    (f"{BASE}/video-recent", 3, Visit(RECHECK)),
    (f"{BASE}/video-old", 3, Visit(KNOWN)),
    (  # the article its canonical form leads to comes before the page that gave none
        f"{BASE}/1?utm_medium=x",
        3,
        Visit(
            RECHECK,
            {"If-None-Match": '"v1"', "If-Modified-Since": "Sat, 09 Mar 2024 07:00:00 GMT"},
        ),
    ),
    (f"{BASE}/4", 3, Visit(NEW)),
    ("not a url", 3, Visit(NEW)),
]


@pytest.mark.parametrize(("url", "recheck_days", "expected"), VISITS)
def test_visits(archive_path: Path, url: str, recheck_days: int, expected: Visit) -> None:
    with KnownArticles(archive_path, recheck_days=recheck_days, now=NOW) as known:
        assert known.visit(url) == expected
    assert expected.fetch == (expected.state != KNOWN)


def test_no_archive_knows_nothing(tmp_path: Path) -> None:
    with KnownArticles(tmp_path / "missing.db", recheck_days=3, now=NOW) as known:
        assert known.visit(f"{BASE}/1") == Visit(NEW)
    assert not (tmp_path / "missing.db").exists()


def test_opened_read_only(archive_path: Path) -> None:
    with KnownArticles(archive_path, recheck_days=3, now=NOW) as known:
        assert known._db is not None
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            known._db.execute("DELETE FROM articles")


@pytest.mark.parametrize(
    ("finish_reason", "unfinished"),
    [(None, True), ("shutdown", True), ("finished", False)],
)
def test_a_run_that_did_not_finish_is_noticed(
    tmp_path: Path, finish_reason: str | None, unfinished: bool
) -> None:
    # Its sections were not walked to their end: the next run must not stop paging at
    # the first listing page of known articles.
    path = tmp_path / "runs.db"
    with Archive(path) as archive:
        done = archive.start_run(spider="demo", site="demo", started_at="2024-03-09T08:00:00+00:00")
        archive.finish_run(
            done,
            finished_at="2024-03-09T08:10:00+00:00",
            finish_reason="finished",
            counts=dict.fromkeys(RUN_COUNT_COLUMNS, 0),
            stats={},
        )
        last = archive.start_run(spider="demo", site="demo", started_at="2024-03-10T08:00:00+00:00")
        if finish_reason is not None:
            archive.finish_run(
                last,
                finished_at="2024-03-10T08:10:00+00:00",
                finish_reason=finish_reason,
                counts=dict.fromkeys(RUN_COUNT_COLUMNS, 0),
                stats={},
            )
        # This run's own row, started at NOW, is not "the last run".
        archive.start_run(spider="demo", site="demo", started_at="2024-03-10T12:00:00+00:00")
    with KnownArticles(path, recheck_days=3, now=NOW) as known:
        assert known.last_run_unfinished("demo", NOW) is unfinished
        assert known.last_run_unfinished("other-site", NOW) is False
