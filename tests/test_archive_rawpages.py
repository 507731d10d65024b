"""Raw pages: every fetched response kept compressed, in the article's transaction."""

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import zstandard

from archive import Archive
from tests.archive_rows import article

T1 = "2024-03-02T10:00:00+00:00"
T2 = "2024-03-03T10:00:00+00:00"
HTML = "<html><body><h1>Headline 1</h1><p>Body of article 1 — Bakı, Москва.</p></body></html>"


def page(body: str = HTML, fetched_at: str = "2024-03-01T10:00:00+00:00", **extra: Any) -> dict:
    return {
        "url": "https://news.example/politics/1/",
        "status": 200,
        "headers": {
            "Content-Type": ["text/html; charset=utf-8"],
            "Etag": ['"v1"'],
            "Last-Modified": ["Fri, 01 Mar 2024 09:00:00 GMT"],
        },
        "body": (body * 20).encode("utf-8"),
        "fetched_at": fetched_at,
        "site": "example",
        "listing_section": "Politics",
        "listing_year": 2024,
    } | extra


@pytest.fixture
def archive(tmp_path: Path) -> Any:
    with Archive(tmp_path / "archive.db") as opened:
        yield opened


def test_raw_page_is_kept_compressed_with_its_context(archive: Archive) -> None:
    run = archive.start_run(spider="example", site="example", started_at=T1)
    archive.upsert_articles([article(raw_page=page())], run_id=run)
    (stored,) = archive.raw_pages()
    assert stored["body"] == page()["body"]
    assert stored["headers"] == page()["headers"]
    assert (stored["url"], stored["status"], stored["site"], stored["run_id"]) == (
        "https://news.example/politics/1/",
        200,
        "example",
        run,
    )
    assert (stored["listing_section"], stored["listing_year"]) == ("Politics", 2024)
    assert stored["article_id"] == archive.find_article(article()["url"])["id"]  # type: ignore[index]
    compressed, codec, size = archive.db.execute(
        "select body, encoding_codec, body_size from raw_pages"
    ).fetchone()
    assert codec == "zstd"
    assert zstandard.ZstdDecompressor().decompress(compressed) == page()["body"]
    assert len(compressed) < size / 5


def test_etag_and_last_modified_come_from_the_latest_fetch(archive: Archive) -> None:
    archive.upsert_articles([article(raw_page=page())])
    found = archive.find_article(article()["url"])
    assert found is not None
    assert (found["etag"], found["last_modified"]) == ('"v1"', "Fri, 01 Mar 2024 09:00:00 GMT")
    later = page(fetched_at=T1, headers={"ETag": ['"v2"']})
    archive.upsert_articles([article(raw_page=later, seen_at=T1)])
    found = archive.find_article(article()["url"])
    assert found is not None
    assert (found["etag"], found["last_modified"]) == ('"v2"', None)


def test_one_row_per_distinct_body_counting_the_fetches(archive: Archive) -> None:
    archive.upsert_articles([article(raw_page=page())])
    archive.upsert_articles([article(raw_page=page(fetched_at=T2), seen_at=T2)])
    archive.upsert_articles([article(raw_page=page(fetched_at=T1), seen_at=T1)])  # late
    rows = archive.db.execute(
        "select fetched_at, last_fetched_at, fetch_count from raw_pages"
    ).fetchall()
    assert rows == [("2024-03-01T10:00:00+00:00", T2, 3)]
    archive.upsert_articles(
        [article(body="Changed.", raw_page=page(HTML + "<p>Update</p>", fetched_at=T2), seen_at=T2)]
    )
    assert archive.db.execute("select count(*) from raw_pages").fetchone()[0] == 2
    (latest,) = archive.raw_pages()
    assert latest["body"] == page(HTML + "<p>Update</p>")["body"]


def test_raw_pages_of_one_site(archive: Archive) -> None:
    archive.upsert_articles(
        [
            article(1, raw_page=page()),
            article(2, url="https://other.example/2", site="other", raw_page=page(site="other")),
        ]
    )
    assert [p["site"] for p in archive.raw_pages("other")] == ["other"]
    assert len(list(archive.raw_pages())) == 2
    assert list(archive.raw_pages("nobody")) == []


def test_raw_page_and_article_are_written_together(archive: Archive, tmp_path: Path) -> None:
    """A raw page that cannot be stored takes its article's write down with it."""
    bad_run = 999  # no such crawl run: the foreign key refuses the raw page row
    with pytest.raises(sqlite3.IntegrityError):
        archive.upsert_articles([article(raw_page=page())], run_id=bad_run)
    assert archive.find_article(article()["url"]) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"body": "text"}, "key 'body' is invalid"),
        ({"status": "200"}, "key 'status' is invalid"),
        ({"fetched_at": "2024-03-01 10:00"}, "key 'fetched_at' is invalid"),
        ({"listing_year": "2024"}, "key 'listing_year' is invalid"),
        ({"extra": 1}, "must have exactly the keys"),
    ],
)
def test_bad_raw_pages_are_refused(archive: Archive, change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=f"article '{article()['url']}': raw_page {message}"):
        archive.upsert_articles([article(raw_page=page() | change)])


def test_pages_that_gave_no_article_are_kept_with_the_reason(archive: Archive) -> None:
    reason = "site 'example': https://news.example/politics/1/: no body; not archived"
    archive.add_rejected_pages([(page(), reason)])
    archive.add_rejected_pages([(page(fetched_at=T1), reason)])  # the same bytes again
    rows = archive.db.execute(
        "select article_id, url, rejected, fetch_count from raw_pages"
    ).fetchall()
    assert rows == [(None, "https://news.example/politics/1/", reason, 2)]
    assert list(archive.raw_pages()) == []  # raw_pages() gives articles' pages
    assert archive.check() == []
    with pytest.raises(ValueError, match="a reason is required"):
        archive.add_rejected_pages([(page(), " ")])
    with pytest.raises(ValueError, match="raw_page key 'status' is invalid"):
        archive.add_rejected_pages([(page() | {"status": None}, reason)])
    with pytest.raises(ValueError, match="rejected page None: raw_page"):
        archive.add_rejected_pages([("not a page", reason)])  # type: ignore[list-item]
