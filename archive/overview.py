"""What `archive stats` adds to the per-section counts: versions, URLs, raw pages, links."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class Overview:
    articles: int
    versions: int
    #: Articles whose text changed after it was first archived.
    changed_articles: int
    urls: int
    near_duplicates: int
    raw_pages: int
    #: Raw pages of article pages the crawl refused (no title or body): no article.
    refused_pages: int
    #: Bytes of the raw page bodies as received, and as stored (compressed).
    raw_bytes: int
    raw_stored_bytes: int
    runs: int


def overview(db: Database) -> Overview:
    def one(sql: str) -> int:
        return int(db.execute(sql).fetchone()[0] or 0)

    return Overview(
        articles=one("SELECT count(*) FROM articles"),
        versions=one("SELECT count(*) FROM article_versions"),
        changed_articles=one("SELECT count(*) FROM articles WHERE version_count > 1"),
        urls=one("SELECT count(*) FROM article_urls"),
        near_duplicates=one("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL"),
        raw_pages=one("SELECT count(*) FROM raw_pages"),
        refused_pages=one("SELECT count(*) FROM raw_pages WHERE article_id IS NULL"),
        raw_bytes=one("SELECT sum(body_size) FROM raw_pages"),
        raw_stored_bytes=one("SELECT sum(length(body)) FROM raw_pages"),
        runs=one("SELECT count(*) FROM crawl_runs"),
    )
