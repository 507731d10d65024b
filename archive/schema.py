"""The archive's tables and their version: the one place the schema is written down.

The version lives in ``PRAGMA user_version``. Opening a file checks it: an empty
file gets the current schema, an older one is upgraded in place by ``MIGRATIONS``
(inside the caller's transaction, so it is all or nothing), and a newer or foreign
database is refused, so an old program never writes into what it does not know.
"""

from sqlite_utils import Database

SCHEMA_VERSION = 2

# The fields an article carries, as the caller gives them and as stored.
ARTICLE_FIELDS = (
    "url",
    "site",
    "section",
    "title",
    "authors",
    "published_at",
    "published_raw",
    "published_year_source",
    "modified_at",
    "modified_raw",
    "language",
    "summary",
    "body",
    "tags",
    "image_url",
)
#: The article columns of the first schema, which migrations start from.
VERSION_1_ARTICLE_FIELDS = tuple(f for f in ARTICLE_FIELDS if f != "published_year_source")
ARTICLE_REQUIRED_FIELDS = ("url", "site", "title", "body")
# Fields holding JSON arrays of strings, so SQL can use json_each() on them.
ARTICLE_LIST_FIELDS = ("authors", "tags")

# The integer columns of a crawl run, filled in when the run finishes.
RUN_COUNT_COLUMNS = (
    "pages",
    "articles_new",
    "articles_updated",
    "articles_unchanged",
    "rejected",
    "errors",
)


class SchemaError(Exception):
    """The file is not an archive this version of the code can use."""


def read_version(db: Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def ensure_schema(db: Database) -> None:
    """Create the schema in an empty database or refuse an unusable one.

    Call it inside a write transaction: two processes opening a new file at
    once must not both create the tables.
    """
    version = read_version(db)
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"archive schema version {version} is newer than this program's "
            f"{SCHEMA_VERSION}; upgrade the program"
        )
    if version == 0:
        if db.table_names():
            raise SchemaError(
                f"database has tables {db.table_names()} but no archive schema version; "
                "it is not an archive"
            )
        _create_version_1(db)
        version = 1
    # A new archive takes the same steps as an old one, so both end with the same schema.
    for upgrade in MIGRATIONS[version - 1 :]:
        upgrade(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _create_version_1(db: Database) -> None:
    articles = db.table("articles")
    articles.create(
        {
            "id": int,
            **dict.fromkeys(VERSION_1_ARTICLE_FIELDS, str),
            "content_hash": str,
            "first_seen_at": str,
            "last_seen_at": str,
        },
        pk="id",
        not_null=[*ARTICLE_REQUIRED_FIELDS, "content_hash", "first_seen_at", "last_seen_at"],
    )
    # Table.create() has no UNIQUE column option; a unique index is the same constraint.
    articles.create_index(["url"], unique=True)
    articles.create_index(["site", "section", "published_at"])
    articles.create_index(["published_at"])

    db.table("crawl_runs").create(
        {
            "id": int,
            "spider": str,
            "site": str,
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            **dict.fromkeys(RUN_COUNT_COLUMNS, int),
            "stats": str,
        },
        pk="id",
        not_null=["spider", "site", "started_at"],
    )


def _add_published_year_source(db: Database) -> None:
    """Version 2: how the year of `published_at` was decided (for year-less dates)."""
    db.table("articles").add_column("published_year_source", str)


#: MIGRATIONS[n - 1] upgrades a version n archive to version n + 1.
MIGRATIONS = (_add_published_year_source,)
