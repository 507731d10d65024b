"""The archive's tables and their version: the one place the schema is written down.

The version lives in ``PRAGMA user_version``. Opening a file checks it: an empty
file gets the current schema, an older one is upgraded in place by ``MIGRATIONS``
(inside the caller's transaction, so it is all or nothing), and a newer or foreign
database is refused, so an old program never writes into what it does not know.
"""

from sqlite_utils import Database

from archive import neardup

SCHEMA_VERSION = 5

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
    "published_source",
)
#: The article columns of the first schema, which migrations start from.
VERSION_1_ARTICLE_FIELDS = tuple(
    f for f in ARTICLE_FIELDS if f not in ("published_year_source", "published_source")
)
#: The fields each version keeps: everything read from the page (url and site are the
#: article's identity, the same in every version).
VERSION_FIELDS = tuple(f for f in ARTICLE_FIELDS if f not in ("url", "site"))
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


#: unicode61 folds case in every script (Cyrillic, Azerbaijani ə/Ə, ...); removing
#: diacritics also folds İ to i (İlham, İstanbul) at the price of matching ş/s, ç/c,
#: ğ/g, ö/o, ü/u alike. ı and I stay apart: unicode61 folds I to i, as English needs.
FTS_TOKENIZE = "unicode61 remove_diacritics 2"
FTS_COLUMNS = ("title", "summary", "body")


def _version_3(db: Database) -> None:
    """Version 3: versions, URL aliases, authors and tags tables, FTS, raw pages, near-dups.

    Every existing article becomes version 1 of itself, with its URL, authors and tags
    in their tables, its text in the full-text index and its near-duplicates linked.
    """
    for column in (
        "version_count INTEGER NOT NULL DEFAULT 1",
        "current_version INTEGER NOT NULL DEFAULT 1",
        "published_source TEXT",
        "duplicate_of INTEGER REFERENCES articles(id)",
        "duplicate_similarity REAL",
        "etag TEXT",
        "last_modified TEXT",
    ):
        db.execute(f"ALTER TABLE articles ADD COLUMN {column}")
    version_columns = ",\n".join(f"{name} TEXT" for name in VERSION_FIELDS)
    for statement in (
        f"""
        CREATE TABLE article_versions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            version INTEGER NOT NULL CHECK (version >= 1),
            content_hash TEXT NOT NULL,
            {version_columns},
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            UNIQUE (article_id, version),
            UNIQUE (article_id, content_hash)
        )""",
        """
        CREATE TABLE article_urls (
            url TEXT PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            kind TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL
        )""",
        "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE)",
        """
        CREATE TABLE article_authors (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            author_id INTEGER NOT NULL REFERENCES authors(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (article_id, author_id)
        )""",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE)",
        """
        CREATE TABLE article_tags (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            tag_id INTEGER NOT NULL REFERENCES tags(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (article_id, tag_id)
        )""",
        """
        CREATE TABLE raw_pages (
            id INTEGER PRIMARY KEY,
            article_id INTEGER REFERENCES articles(id),
            url TEXT NOT NULL,
            status INTEGER NOT NULL,
            headers TEXT NOT NULL,
            body BLOB NOT NULL,
            encoding_codec TEXT NOT NULL,
            body_size INTEGER NOT NULL,
            body_sha256 TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            last_fetched_at TEXT NOT NULL,
            fetch_count INTEGER NOT NULL DEFAULT 1,
            run_id INTEGER REFERENCES crawl_runs(id),
            site TEXT NOT NULL,
            listing_section TEXT,
            listing_year INTEGER,
            rejected TEXT,
            UNIQUE (article_id, body_sha256)
        )""",
        """
        CREATE TABLE article_minhash (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id),
            kind TEXT NOT NULL,
            signature BLOB NOT NULL
        )""",
        """
        CREATE TABLE minhash_bands (
            band INTEGER NOT NULL,
            bucket INTEGER NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            PRIMARY KEY (band, bucket, article_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX article_urls_article_id ON article_urls (article_id)",
        "CREATE INDEX article_versions_article_id ON article_versions (article_id)",
        "CREATE INDEX article_authors_author_id ON article_authors (author_id)",
        "CREATE INDEX article_tags_tag_id ON article_tags (tag_id)",
        "CREATE INDEX raw_pages_article_id ON raw_pages (article_id)",
        "CREATE INDEX raw_pages_url ON raw_pages (url)",
        "CREATE INDEX minhash_bands_article_id ON minhash_bands (article_id)",
        "CREATE INDEX articles_site_content_hash ON articles (site, content_hash)",
        "CREATE INDEX articles_duplicate_of ON articles (duplicate_of)",
    ):
        db.execute(statement)
    fields = ", ".join(VERSION_FIELDS)
    db.execute(
        f"""INSERT INTO article_versions
        (article_id, version, content_hash, {fields}, first_seen_at, last_seen_at)
        SELECT id, 1, content_hash, {fields}, first_seen_at, last_seen_at FROM articles"""
    )
    db.execute(
        """INSERT INTO article_urls (url, article_id, kind, first_seen_at, last_seen_at)
        SELECT url, id, 'canonical', first_seen_at, last_seen_at FROM articles"""
    )
    for table, link, key, column in NAME_TABLES:
        db.execute(
            f"""INSERT OR IGNORE INTO {table} (name)
            SELECT value FROM articles, json_each(articles.{column}) ORDER BY articles.id, key"""
        )
        db.execute(
            f"""INSERT OR IGNORE INTO {link} (article_id, {key}, position)
            SELECT articles.id, {table}.id, json_each.key
            FROM articles, json_each(articles.{column})
            JOIN {table} ON {table}.name = json_each.value"""
        )
    db.table("articles").enable_fts(list(FTS_COLUMNS), tokenize=FTS_TOKENIZE, create_triggers=True)
    _fts_update_trigger_on_text_only(db)
    for article_id, body in db.execute("SELECT id, body FROM articles ORDER BY id").fetchall():
        match = neardup.index_article(db, article_id, neardup.signature(body))
        if match is not None:
            db.execute(
                "UPDATE articles SET duplicate_of = ?, duplicate_similarity = ? WHERE id = ?",
                [match.article_id, match.similarity, article_id],
            )


#: (names table, link table, its key column, the articles JSON column it mirrors).
NAME_TABLES = (
    ("authors", "article_authors", "author_id", "authors"),
    ("tags", "article_tags", "tag_id", "tags"),
)


def _fts_update_trigger_on_text_only(db: Database) -> None:
    """sqlite-utils' update trigger re-indexes a row on any update; re-crawls that only
    move last_seen_at would rewrite the index each time, so it fires on the text alone."""
    columns = ", ".join(FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    db.execute("DROP TRIGGER articles_au")
    db.execute(
        f"""CREATE TRIGGER articles_au AFTER UPDATE OF {columns} ON articles BEGIN
          INSERT INTO articles_fts (articles_fts, rowid, {columns})
            VALUES ('delete', old.rowid, {old});
          INSERT INTO articles_fts (rowid, {columns}) VALUES (new.rowid, {new});
        END"""
    )


#: FTS5 merges index segments once this many share a level (its default is 4). Merging is
#: about a quarter of indexing a news article; at 16, batches of new articles index
#: faster and a query reads a few more, smaller segments (see bench/README.md).
FTS_AUTOMERGE = 16


def _version_4(db: Database) -> None:
    """Version 4: cheaper writes of new articles.

    The full-text index merges its segments less eagerly (`FTS_AUTOMERGE`), and
    `minhash_bands` loses its index on article_id: an article's band rows are found again
    from its stored signature (see `neardup.index_article`), and that index cost as much
    to write as the table itself.
    """
    db.execute(
        "INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', ?)", [FTS_AUTOMERGE]
    )
    db.execute("DROP INDEX minhash_bands_article_id")


#: Bytes of pending terms FTS5 keeps in memory before writing them out as a segment (its
#: default is 1 MiB). A batch of 1,000 news articles holds about 4 MiB of them: with room
#: for a whole batch, it is written as one segment at the commit instead of four or five
#: that must be merged again (a quarter less indexing CPU, see bench/README.md).
FTS_HASHSIZE = 8 * 1024 * 1024


def _version_5(db: Database) -> None:
    """Version 5: the full-text index keeps a whole batch's terms in memory (`FTS_HASHSIZE`)."""
    db.execute(
        "INSERT INTO articles_fts (articles_fts, rank) VALUES ('hashsize', ?)", [FTS_HASHSIZE]
    )


#: MIGRATIONS[n - 1] upgrades a version n archive to version n + 1.
MIGRATIONS = (_add_published_year_source, _version_3, _version_4, _version_5)
