"""Archive.check: each invariant is reported when broken, named with the article."""

from pathlib import Path
from typing import Any

import pytest

from archive import Archive
from tests.archive_rows import article
from tests.test_archive_neardup import story, syndicated

T1 = "2024-03-02T10:00:00+00:00"


@pytest.fixture
def archive(tmp_path: Path) -> Any:
    with Archive(tmp_path / "archive.db") as opened:
        opened.upsert_articles([article(1), article(2, tags=["vote", "Bakı"])])
        opened.upsert_articles([article(1, body="Corrected.", seen_at=T1)])
        opened.upsert_articles(
            [
                article(3, body=" ".join(story(1))),
                article(4, body=" ".join(syndicated(story(1))), site="other"),
            ]
        )
        yield opened


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (
            "update articles set version_count = 3 where id = 1",
            "version_count equals the number of versions: broken for article 1",
        ),
        (
            "delete from article_versions where article_id = 2",
            "version_count equals the number of versions: broken for article 2",
        ),
        (
            "update article_versions set body = 'Other' where article_id = 1 and version = 2",
            "the article shows its current version: broken for article 1",
        ),
        (
            "update articles set current_version = 1 where id = 1",
            "the article shows its current version: broken for article 1",
        ),
        (
            "delete from article_urls where article_id = 2",
            "every article has its canonical URL in article_urls: broken for article 2",
        ),
        (
            "insert into articles_fts (articles_fts, rowid, title, summary, body) "
            "select 'delete', id, title, summary, body from articles where id = 2",
            "the full-text index has one row per article",
        ),
        (
            "update articles set duplicate_of = id where id = 4",
            "duplicate_of names another, earlier article: broken for article 4",
        ),
        (
            "delete from article_tags where article_id = 2 and position = 1",
            "article_tags matches the tags JSON column: broken for article 2",
        ),
        (
            "update article_authors set position = 1 - position where article_id = 2",
            "article_authors matches the authors JSON column: broken for article 2",
        ),
        (
            "insert into article_urls values ('https://x', 99, 'requested', 'a', 'b')",
            "foreign_key_check: article_urls row",
        ),
    ],
)
def test_each_broken_invariant_is_reported(archive: Archive, tamper: str, message: str) -> None:
    assert archive.check() == []
    archive.db.execute("pragma foreign_keys = off")
    archive.db.execute(tamper)
    archive.db.conn.commit()
    problems = archive.check()
    assert any(problem.startswith(message) for problem in problems), problems
