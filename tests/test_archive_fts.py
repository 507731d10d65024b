"""The full-text index: kept in step with articles, case-insensitive in every script."""

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import Archive
from tests.archive_rows import article

TEXT = "Şəhərdə ÇAY, DAĞ, ÖLKƏ, ÜZÜM; İlham Bakıda. МОСКВА, Ёлка и Йошкар-Ола."


@pytest.fixture
def archive(tmp_path: Path) -> Any:
    with Archive(tmp_path / "archive.db") as opened:
        opened.upsert_articles([article(1, body=TEXT), article(2)])
        yield opened


def matches(archive: Archive, query: str) -> list[int]:
    sql = "select rowid from articles_fts where articles_fts match ? order by rowid"
    return [row[0] for row in archive.db.execute(sql, [query]).fetchall()]


@pytest.mark.parametrize(
    "query",
    [
        "şəhərdə", "ŞƏHƏRDƏ", "çay", "dağ", "ölkə", "ÖLKƏ", "üzüm", "ilham", "İLHAM",
        "bakıda", "москва", "Москва", "ёлка", "ЁЛКА", "йошкар",
    ],
)  # fmt: skip
def test_cyrillic_and_azerbaijani_letters_match_in_any_case(archive: Archive, query: str) -> None:
    assert matches(archive, query) == [1]


def test_the_index_follows_new_versions(archive: Archive) -> None:
    archive.upsert_articles([article(1, body="Parliament voted.", seen_at="2024-03-02T10:00:00Z")])
    assert matches(archive, "ilham") == []
    assert matches(archive, "parliament") == [1]
    assert archive.check() == []


def test_a_seen_again_article_is_not_reindexed(archive: Archive) -> None:
    """Re-crawls that change nothing move only last_seen_at: the index is not rewritten."""
    archive.db.execute("drop table articles_fts")  # any index write would now fail
    archive.db.conn.commit()
    assert archive.upsert_articles([article(2, seen_at="2024-03-02T10:00:00+00:00")]) == [
        "unchanged"
    ]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=st.text(min_size=1, max_size=40), body=st.text(min_size=1, max_size=400))
def test_any_text_is_stored_indexed_and_kept_consistent(
    archive: Archive, title: str, body: str
) -> None:
    """Untrusted page text of any script or control character leaves the archive healthy."""
    if not title.strip() or not body.strip():
        return
    archive.upsert_articles([article(3, title=title, body=body)])
    found = archive.find_article(article(3)["url"])
    assert found is not None and (found["title"], found["body"]) == (title, body)
    assert archive.check() == []


def test_a_batch_larger_than_one_statement_is_indexed_whole(tmp_path: Path) -> None:
    """New articles are inserted several rows per statement, as many as SQLite's limit on
    bound values allows: a batch that takes several statements loses no row and no term."""
    with Archive(tmp_path / "archive.db") as archive:
        archive.db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)  # 3 rows each
        batch = [article(n, body=f"Report number{n} on the harbour.") for n in range(1, 11)]
        assert archive.upsert_articles(batch) == ["new"] * 10
        assert matches(archive, "harbour") == list(range(1, 11))
        assert matches(archive, '"number7 on the"') == [7]
        assert archive.check() == []
