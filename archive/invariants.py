"""What must hold in every archive, as SQL: `Archive.check` and `archive check` run these.

Each rule is a query returning the rows that break it (at most SAMPLE are named), so a
problem is reported with the articles it concerns, not just counted.
"""

from __future__ import annotations

from sqlite_utils import Database

from archive.schema import NAME_TABLES, VERSION_FIELDS

SAMPLE = 5

_CURRENT_DIFFERS = " OR ".join(
    f"articles.{field} IS NOT article_versions.{field}"
    for field in (*VERSION_FIELDS, "content_hash")
)


def _json_names(column: str) -> str:
    """SQL: an article's names as its JSON column lists them, as a JSON array."""
    return f"""coalesce((SELECT json_group_array(value) FROM (
        SELECT value FROM json_each(coalesce(articles.{column}, '[]')) ORDER BY key)), '[]')"""


def _linked_names(table: str, link: str, key: str) -> str:
    """SQL: an article's names through its link table, in order, as a JSON array."""
    return f"""coalesce((SELECT json_group_array(name) FROM (
        SELECT {table}.name FROM {link} JOIN {table} ON {table}.id = {link}.{key}
        WHERE {link}.article_id = articles.id ORDER BY {link}.position)), '[]')"""


#: (what must hold, query returning one text per offending row).
RULES: tuple[tuple[str, str], ...] = (
    (
        "version_count equals the number of versions",
        """SELECT 'article ' || articles.id || ': version_count ' || articles.version_count
        || ', versions ' || count(article_versions.id)
        FROM articles LEFT JOIN article_versions ON article_versions.article_id = articles.id
        GROUP BY articles.id HAVING count(article_versions.id) != articles.version_count
        OR max(article_versions.version) IS NOT articles.version_count""",
    ),
    (
        "the article shows its current version",
        f"""SELECT 'article ' || articles.id || ': differs from its version '
        || articles.current_version
        FROM articles LEFT JOIN article_versions
        ON article_versions.article_id = articles.id
        AND article_versions.version = articles.current_version
        WHERE article_versions.id IS NULL OR {_CURRENT_DIFFERS}""",
    ),
    (
        "every article has its canonical URL in article_urls",
        """SELECT 'article ' || articles.id || ': ' || articles.url
        FROM articles LEFT JOIN article_urls
        ON article_urls.url = articles.url AND article_urls.article_id = articles.id
        WHERE article_urls.url IS NULL""",
    ),
    (
        "the full-text index has one row per article",
        """SELECT 'articles ' || (SELECT count(*) FROM articles) || ', indexed '
        || (SELECT count(*) FROM articles_fts_docsize)
        WHERE (SELECT count(*) FROM articles) != (SELECT count(*) FROM articles_fts_docsize)""",
    ),
    (
        "duplicate_of names another, earlier article",
        """SELECT 'article ' || a.id || ': duplicate_of ' || a.duplicate_of
        FROM articles AS a LEFT JOIN articles AS b ON b.id = a.duplicate_of
        WHERE a.duplicate_of IS NOT NULL AND (b.id IS NULL OR b.id >= a.id
        OR a.duplicate_similarity IS NULL)""",
    ),
    *(
        (
            f"{link} matches the {column} JSON column",
            f"""SELECT 'article ' || articles.id || ': {column} ' || {_json_names(column)}
            || ' but {link} has ' || {_linked_names(table, link, key)}
            FROM articles
            WHERE lower({_json_names(column)}) != lower({_linked_names(table, link, key)})""",
        )
        for table, link, key, column in NAME_TABLES
    ),
)


def check(db: Database) -> list[str]:
    """Every problem found, one line each; an empty list means the archive is healthy."""
    problems = [
        f"integrity_check: {row[0]}"
        for row in db.execute("PRAGMA integrity_check").fetchall()
        if row[0] != "ok"
    ]
    problems += [
        f"foreign_key_check: {table} row {rowid} refers to a missing {parent} row"
        for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check").fetchall()
    ]
    for rule, sql in RULES:
        found = [row[0] for row in db.execute(sql).fetchall()]
        if found:
            more = f" (and {len(found) - SAMPLE} more)" if len(found) > SAMPLE else ""
            problems.append(f"{rule}: broken for {'; '.join(found[:SAMPLE])}{more}")
    return problems
