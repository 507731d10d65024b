"""Archives made by each earlier schema are upgraded in place to the current one."""

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from archive import Archive, content_hash, neardup, schema
from tests.archive_rows import T0, article

T1 = "2024-03-02T10:00:00+00:00"
STORY = " ".join(f"word{i}" for i in range(120))


def version_1_rows() -> list[dict[str, Any]]:
    """Rows as the version-1 code path wrote them: JSON lists, content hash, seen times."""
    rows = [
        article(1, authors=["Anna Müller", "Əli Həsənov"], tags=["seçki", "Bakı"]),
        article(2, authors=["anna müller"], tags=[], title="Москва и Баку"),
        article(3, authors=None, tags=None, summary=None, body=STORY),
        article(4, body=STORY + " and one more sentence at the end"),
    ]
    stored = []
    for row in rows:
        values = {key: row[key] for key in schema.VERSION_1_ARTICLE_FIELDS}
        for key in schema.ARTICLE_LIST_FIELDS:
            values[key] = None if row[key] is None else json.dumps(row[key], ensure_ascii=False)
        values["content_hash"] = content_hash(row["title"], row["summary"], row["body"])
        stored.append({**values, "first_seen_at": T0, "last_seen_at": T1})
    return stored


def make_archive(path: Path, version: int) -> list[dict[str, Any]]:
    db = Database(path)
    schema._create_version_1(db)
    rows = version_1_rows()
    db.table("articles").insert_all(rows)
    for upgrade in schema.MIGRATIONS[: version - 1]:
        upgrade(db)
    db.execute(f"pragma user_version = {version}")
    db.conn.commit()
    db.close()
    return rows


def table(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_old_archive_is_upgraded_without_losing_a_row(tmp_path: Path, version: int) -> None:
    path = tmp_path / "archive.db"
    before = make_archive(path, version)
    with Archive(path) as archive:
        assert archive.check() == []
        for row in before:
            found = archive.find_article(row["url"])
            assert found is not None
            for key in ("title", "body", "summary", "first_seen_at", "last_seen_at"):
                assert found[key] == row[key], key
            assert (found["version_count"], found["current_version"]) == (1, 1)
            (only,) = archive.versions(found["id"])
            assert (only["version"], only["content_hash"], only["body"]) == (
                1,
                row["content_hash"],
                row["body"],
            )
            assert (only["first_seen_at"], only["last_seen_at"]) == (T0, T1)
    assert table(path, "pragma user_version") == [(schema.SCHEMA_VERSION,)]
    assert table(path, "select url, kind from article_urls order by url") == [
        (row["url"], "canonical") for row in sorted(before, key=lambda r: r["url"])
    ]
    # One author row per name up to case (NOCASE): "anna müller" is "Anna Müller".
    authors = table(
        path,
        "select articles.url, authors.name, position from article_authors "
        "join authors on authors.id = author_id join articles on articles.id = article_id "
        "order by articles.url, position",
    )
    assert authors == [
        (before[0]["url"], "Anna Müller", 0),
        (before[0]["url"], "Əli Həsənov", 1),
        (before[1]["url"], "Anna Müller", 0),
        (before[3]["url"], "Anna Müller", 0),
        (before[3]["url"], "Əli Həsənov", 1),
    ]
    assert table(path, "select name from tags order by id") == [
        ("seçki",),
        ("Bakı",),
        ("election",),
    ]
    assert table(path, "select rowid from articles_fts where articles_fts match 'баку'") == [(2,)]
    # The two copies of one story are linked, the later to the earlier.
    assert table(path, "select id, duplicate_of from articles where duplicate_of is not null") == [
        (4, 3)
    ]
    config = dict(table(path, "select k, v from articles_fts_config"))
    assert config["hashsize"] == schema.FTS_HASHSIZE
    assert config["automerge"] == schema.FTS_AUTOMERGE


def test_version_3_archive_loses_the_band_index_and_keeps_finding_bands(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    make_archive(path, 3)
    bands = table(path, "select count(*) from minhash_bands where article_id = 4")
    assert bands == [(neardup.BANDS,)]
    with Archive(path) as archive:
        # A new text is signed again: its old band rows go, found by their keys.
        changed = article(4, body=" ".join(f"other{i}" for i in range(120)))
        assert archive.upsert_articles([changed]) == ["updated"]
        assert archive.check() == []
    indexes = {name for (name,) in table(path, "select name from sqlite_master")}
    assert "minhash_bands_article_id" not in indexes
    assert table(path, "select count(*) from minhash_bands where article_id = 4") == bands
    assert table(path, "select duplicate_of from articles where id = 4") == [(None,)]
    stored = table(path, "select count(*) from minhash_bands")
    assert stored == [(neardup.BANDS * 2,)]  # articles 3 and 4, and nothing left over
    automerge = table(path, "select v from articles_fts_config where k = 'automerge'")
    assert automerge == [(schema.FTS_AUTOMERGE,)]


def test_upgraded_archive_takes_new_versions(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    make_archive(path, 1)
    with Archive(path) as archive:
        first = article(
            1,
            authors=["Anna Müller", "Əli Həsənov"],
            tags=["seçki", "Bakı"],
            published_year_source=None,
        )
        assert archive.upsert_articles([{**first, "seen_at": T1}]) == ["unchanged"]
        assert archive.upsert_articles([{**first, "body": "Corrected.", "seen_at": T1}]) == [
            "updated"
        ]
        found = archive.find_article(first["url"])
        assert found is not None
        assert [v["body"] for v in archive.versions(found["id"])] == [first["body"], "Corrected."]
        assert archive.check() == []


def test_failed_upgrade_leaves_the_old_archive_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upgrade is one transaction: an error in its last step undoes all the others."""
    path = tmp_path / "archive.db"
    before = make_archive(path, 1)

    def fail(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(neardup, "index_article", fail)
    with pytest.raises(sqlite3.OperationalError):
        Archive(path)
    assert table(path, "pragma user_version") == [(1,)]
    tables = {name for (name,) in table(path, "select name from sqlite_master where type='table'")}
    assert tables == {"articles", "crawl_runs"}
    assert len(table(path, "select * from articles")) == len(before)
    columns = {row[1] for row in table(path, "pragma table_info(articles)")}
    assert "version_count" not in columns
