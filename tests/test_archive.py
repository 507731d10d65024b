"""The archive library on real SQLite files: outcomes, seen times, atomicity, schema, runs."""

import hashlib
import multiprocessing
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from archive import SCHEMA_VERSION, Archive, SchemaError, content_hash, schema
from tests.archive_rows import COUNTS, T0, article

T1 = "2024-03-02T10:00:00+00:00"
T2 = "2024-03-03T10:00:00+00:00"


def rows(path: Path, sql: str = "select * from articles order by url") -> list[dict[str, Any]]:
    """Read with a separate plain connection, so tests see what is committed on disk."""
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql)]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"


@pytest.fixture
def archive(db_path: Path) -> Any:
    with Archive(db_path) as opened:
        yield opened


def test_new_unchanged_updated(archive: Archive, db_path: Path) -> None:
    assert archive.upsert_articles([article(1), article(2)]) == ["new", "new"]
    assert archive.upsert_articles([article(1, seen_at=T1)]) == ["unchanged"]
    assert archive.upsert_articles([article(2, body="Corrected.", seen_at=T1)]) == ["updated"]
    stored = {row["url"]: row for row in rows(db_path)}
    assert len(stored) == 2
    assert stored[article(2)["url"]]["body"] == "Corrected."


@pytest.mark.parametrize(
    "change",
    [
        {"section": "world"},
        {"authors": ["Anna Müller"]},
        {"tags": []},
        {"published_at": "2017-09-13T11:15:00+01:00"},
        {"image_url": "https://news.example/a.jpg"},
        {"summary": "A corrected summary."},
    ],
)
def test_any_field_change_is_an_update(archive: Archive, change: dict[str, Any]) -> None:
    archive.upsert_articles([article()])
    assert archive.upsert_articles([article(**change)]) == ["updated"]


def test_seen_times(archive: Archive, db_path: Path) -> None:
    archive.upsert_articles([article(seen_at=T1)])
    archive.upsert_articles([article(seen_at=T2)])
    archive.upsert_articles([article(seen_at=T0)])  # a late-arriving older fetch
    archive.upsert_articles([article(body="Changed.", seen_at=T0)])
    (row,) = rows(db_path)
    assert (row["first_seen_at"], row["last_seen_at"]) == (T1, T2)
    assert row["body"] == "Changed."


def test_seen_times_compare_as_times_not_text(archive: Archive, db_path: Path) -> None:
    archive.upsert_articles([article(seen_at="2024-03-01T11:00:00+00:00")])
    archive.upsert_articles([article(seen_at="2024-03-01T12:30:00+02:00")])  # 10:30 UTC
    assert rows(db_path)[0]["last_seen_at"] == "2024-03-01T11:00:00+00:00"


def test_same_url_twice_in_one_batch_is_applied_in_order(archive: Archive, db_path: Path) -> None:
    batch = [article(seen_at=T0), article(seen_at=T1), article(body="New.", seen_at=T2)]
    assert archive.upsert_articles(batch) == ["new", "unchanged", "updated"]
    (row,) = rows(db_path)
    assert (row["body"], row["first_seen_at"], row["last_seen_at"]) == ("New.", T0, T2)


def test_content_hash_is_defined_by_title_summary_body(archive: Archive, db_path: Path) -> None:
    archive.upsert_articles([article(summary=None)])
    expected = hashlib.sha256(b"Headline 1\x1f\x1fBody of article 1.").hexdigest()
    assert rows(db_path)[0]["content_hash"] == expected
    assert content_hash("Headline 1", None, "Body of article 1.") == expected
    assert content_hash("a", "b", "c") != content_hash("a", "bc", "")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"author": ["x"]}, "unknown key 'author'"),
        ({"title": None}, "key 'title' must not be None"),
        ({"body": "  "}, "key 'body' must not be empty"),
        ({"authors": "Anna"}, "key 'authors' must be a list of strings"),
        ({"seen_at": "2024-03-01T10:00:00"}, "key 'seen_at' must be an ISO 8601 time with a UTC"),
        ({"published_at": "13 Sep 2017"}, "key 'published_at' must be an ISO 8601 time"),
        ({"language": 7}, "key 'language' must be a string"),
    ],
)
def test_invalid_article_fails_the_whole_batch(
    archive: Archive, db_path: Path, change: dict[str, Any], message: str
) -> None:
    bad = article(3, **change)
    with pytest.raises(ValueError, match=message) as error:
        archive.upsert_articles([article(1), article(2), bad])
    assert "https://news.example/politics/3" in str(error.value)
    assert rows(db_path) == []


def test_missing_key_is_named(archive: Archive) -> None:
    incomplete = article()
    del incomplete["modified_raw"]
    with pytest.raises(ValueError, match=r"politics/1'.*missing key 'modified_raw'"):
        archive.upsert_articles([incomplete])


def test_database_error_mid_batch_rolls_back_the_batch(
    archive: Archive, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive.upsert_articles([article(1)])

    def fail(self: Archive, entries: Any, run_id: int | None, prepared: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    # The update of article 1 is written, then the new article 2 fails.
    monkeypatch.setattr(Archive, "_insert_new", fail)
    with pytest.raises(sqlite3.OperationalError):
        archive.upsert_articles([article(1, body="Changed."), article(2)])
    (row,) = rows(db_path)
    assert (row["body"], row["version_count"]) == ("Body of article 1.", 1)
    assert len(rows(db_path, "select * from article_versions")) == 1
    monkeypatch.undo()
    assert archive.upsert_articles([article(2)]) == ["new"]  # the archive is usable afterwards


def test_json_columns_are_readable_and_queryable(archive: Archive, db_path: Path) -> None:
    archive.upsert_articles([article(1), article(2, authors=["Anna Müller"], tags=None)])
    assert rows(db_path)[0]["authors"] == '["Anna Müller", "Əli Həsənov"]'
    by_author = rows(
        db_path,
        "select author.value as author, count(*) as n from articles, json_each(articles.authors)"
        " as author group by author.value order by author.value",
    )
    assert by_author == [{"author": "Anna Müller", "n": 2}, {"author": "Əli Həsənov", "n": 1}]


def test_new_file_gets_schema_version_wal_and_indexes(archive: Archive, db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION == 5
        assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
        indexes = {row[1]: row[2] for row in conn.execute("pragma index_list(articles)")}
    assert indexes == {
        "idx_articles_url": 1,
        "idx_articles_site_section_published_at": 0,
        "idx_articles_published_at": 0,
        "articles_site_content_hash": 0,
        "articles_duplicate_of": 0,
    }


def test_reopening_keeps_rows(db_path: Path) -> None:
    with Archive(db_path) as archive:
        archive.upsert_articles([article()])
    with Archive(db_path) as archive:
        assert archive.upsert_articles([article(seen_at=T1)]) == ["unchanged"]


def test_newer_schema_version_is_refused(db_path: Path) -> None:
    Archive(db_path).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("pragma user_version = 6")
    with pytest.raises(SchemaError, match="version 6 is newer than this program's 5"):
        Archive(db_path)


def test_version_1_archive_is_upgraded_in_place(db_path: Path) -> None:
    """An archive of the first schema gains the new column and keeps every row."""
    version_1 = Database(db_path)
    schema._create_version_1(version_1)
    version_1.execute("pragma user_version = 1")
    old = {k: v for k, v in article().items() if k in schema.VERSION_1_ARTICLE_FIELDS}
    version_1.table("articles").insert(
        {**old, "authors": '["A"]', "tags": "[]", "content_hash": "x",
         "first_seen_at": T0, "last_seen_at": T0}
    )  # fmt: skip
    version_1.close()
    with Archive(db_path) as archive:
        assert archive.upsert_articles([article(seen_at=T1)]) == ["updated"]
    (row,) = rows(db_path)
    assert (row["published_year_source"], row["first_seen_at"]) == ("date", T0)
    assert row["version_count"] == 2
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION


def test_foreign_database_is_refused(db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("create table dogs (name text)")
    with pytest.raises(SchemaError, match=r"tables \['dogs'\].*not an archive"):
        Archive(db_path)


def test_runs_start_and_finish(archive: Archive) -> None:
    first = archive.start_run(spider="sections", site="example", started_at=T0)
    second = archive.start_run(spider="sections", site="other", started_at=T1)
    started = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    archive.finish_run(
        first,
        finished_at=T1,
        finish_reason="finished",
        counts=COUNTS,
        stats={"start_time": started, "item_scraped_count": 6, "elapsed": 3.5},
    )
    newest, oldest = archive.runs()
    assert newest["id"] == second and newest["finished_at"] is None and newest["stats"] is None
    assert oldest == {
        "id": first,
        "spider": "sections",
        "site": "example",
        "started_at": T0,
        "finished_at": T1,
        "finish_reason": "finished",
        **COUNTS,
        "stats": {"start_time": T0, "item_scraped_count": 6, "elapsed": 3.5},
    }
    assert [run["id"] for run in archive.runs(limit=1)] == [second]


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({**COUNTS, "pages_crawled": 1}, "counts must have exactly the keys"),
        ({k: v for k, v in COUNTS.items() if k != "errors"}, "counts must have exactly the keys"),
        ({**COUNTS, "errors": "0"}, "count 'errors' must be an int"),
    ],
)
def test_finish_run_checks_counts(archive: Archive, counts: dict[str, Any], message: str) -> None:
    run_id = archive.start_run(spider="sections", site="example", started_at=T0)
    with pytest.raises(ValueError, match=message):
        archive.finish_run(
            run_id, finished_at=T1, finish_reason="finished", counts=counts, stats={}
        )


def test_finish_unknown_run(archive: Archive) -> None:
    with pytest.raises(ValueError, match="crawl run 42 does not exist"):
        archive.finish_run(42, finished_at=T1, finish_reason="finished", counts=COUNTS, stats={})


def test_run_times_need_an_offset(archive: Archive) -> None:
    with pytest.raises(ValueError, match="started_at must be an ISO 8601 time"):
        archive.start_run(spider="sections", site="example", started_at="2024-03-01 10:00")


def test_stats(archive: Archive) -> None:
    assert archive.stats().sections == [] and archive.stats().earliest is None
    archive.upsert_articles(
        [
            article(1),
            article(2, published_at="2018-01-02T00:00:00+00:00"),
            article(3, section="world", published_at=None),
            article(4, site="another", section=None, published_at="2016-05-05T05:05:05+00:00"),
        ]
    )
    run_id = archive.start_run(spider="sections", site="example", started_at=T0)
    stats = archive.stats()
    summary = [
        (s.site, s.section, s.articles, s.undated, s.earliest, s.latest) for s in stats.sections
    ]
    assert summary == [
        ("another", None, 1, 0, "2016-05-05T05:05:05+00:00", "2016-05-05T05:05:05+00:00"),
        ("example", "politics", 2, 0, "2017-09-13T10:15:00+00:00", "2018-01-02T00:00:00+00:00"),
        ("example", "world", 1, 1, None, None),
    ]
    assert (stats.articles, stats.sites) == (4, 2)
    assert (stats.earliest, stats.latest) == (
        "2016-05-05T05:05:05+00:00",
        "2018-01-02T00:00:00+00:00",
    )
    assert [run["id"] for run in stats.recent_runs] == [run_id]


def _upsert_in_process(db_path: Path, worker: int, urls: int, batches: int) -> list[str]:
    """Each process writes every url, in its own order, in small batches with rising seen_at."""
    outcomes = []
    with Archive(db_path) as archive:
        for batch in range(batches):
            order = range(urls) if worker == 0 else reversed(range(urls))
            seen_at = f"2024-03-01T10:{batch:02d}:0{worker}+00:00"
            outcomes += archive.upsert_articles(
                [article(n, body=f"v{batch % 2}", seen_at=seen_at) for n in order]
            )
    return outcomes


def test_two_processes_upsert_the_same_urls(db_path: Path) -> None:
    Archive(db_path).close()
    urls, batches = 20, 40
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.starmap(
            _upsert_in_process, [(db_path, 0, urls, batches), (db_path, 1, urls, batches)]
        )
    outcomes = [outcome for result in results for outcome in result]
    assert outcomes.count("new") == urls  # each url was new to exactly one writer
    assert len(outcomes) == 2 * urls * batches
    stored = rows(db_path)
    assert len(stored) == len({row["url"] for row in stored}) == urls
    assert all(row["last_seen_at"] == f"2024-03-01T10:{batches - 1:02d}:01+00:00" for row in stored)
    # The two texts each writer alternates are two versions of each article, never more.
    versions = rows(db_path, "select article_id, version, body from article_versions")
    assert len(versions) == 2 * urls
    assert {(v["version"], v["body"]) for v in versions} == {(1, "v0"), (2, "v1")}
    assert all(row["version_count"] == 2 for row in stored)
    with Archive(db_path) as archive:
        assert archive.check() == []


def test_a_field_a_fetch_could_not_read_keeps_its_value(archive: Archive, db_path: Path) -> None:
    archive.upsert_articles([article()])
    assert archive.upsert_articles([article(summary=None, published_at=None, seen_at=T1)]) == [
        "unchanged"
    ]
    (row,) = rows(db_path)
    assert (row["summary"], row["published_at"]) == ("A summary.", "2017-09-13T10:15:00+00:00")


def test_a_guessed_year_never_replaces_a_year_from_evidence(
    archive: Archive, db_path: Path
) -> None:
    listed = article(
        published_raw="13 september — 14:15",
        published_at="2017-09-13T10:15:00+00:00",
        published_year_source="listing",
    )
    archive.upsert_articles([listed])
    guessed = {**listed, "published_at": "2026-09-13T10:15:00+00:00"}
    guessed.update(published_year_source="latest", seen_at=T1)
    assert archive.upsert_articles([guessed]) == ["unchanged"]
    (row,) = rows(db_path)
    assert (row["published_at"], row["published_year_source"]) == (
        "2017-09-13T10:15:00+00:00",
        "listing",
    )
