"""The archive library: every write to the database goes through ``Archive``.

All dedup, version and alias rules live here so that any number of writers (one per
crawler, or one ingesting for many) agree on what "new", "updated" and "unchanged"
mean, what a version is and which article a URL leads to.
"""

import hashlib
import json
import sqlite3
import string
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent import futures
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, cast

import numpy as np
from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from archive import invariants, neardup, rawpages, schema
from archive.schema import (
    ARTICLE_FIELDS,
    ARTICLE_LIST_FIELDS,
    ARTICLE_REQUIRED_FIELDS,
    NAME_TABLES,
    RUN_COUNT_COLUMNS,
    VERSION_FIELDS,
)
from crawler.urls import canonical_url

# Long enough that a writer waits out another process's batch instead of failing.
BUSY_TIMEOUT_MS = 30_000
RECENT_RUNS = 5
OPEN_RETRY_SECONDS = 0.05

INPUT_KEYS = (*ARTICLE_FIELDS, "seen_at")
#: Keys an input article may carry besides its fields: the URLs it was reached through,
#: as (url, kind) pairs, the fetched response (see archive.rawpages), and `fetch_only`:
#: record only the fetch (URLs, raw page, seen time) of an article already stored.
OPTIONAL_KEYS = ("urls", "raw_page", "fetch_only")
#: The kind of a URL that is the canonical URL of another article than the one it is
#: recorded for: the same text, found under a second canonical URL of the same site.
ALIAS = "alias"
CANONICAL = "canonical"
NOT_NULL_KEYS = frozenset((*ARTICLE_REQUIRED_FIELDS, "seen_at"))
TIMESTAMP_KEYS = frozenset(("published_at", "modified_at", "seen_at"))
HASH_SEPARATOR = "\x1f"
#: The published_year_source of a year-less date dated by the latest-year rule alone.
GUESSED_YEAR = "latest"
#: The connection's page cache (SQLite's default is 2 MiB): a batch of new articles
#: touches pages all over the URL, date and LSH indexes, which outgrow 2 MiB early.
CACHE_KIB = 64 * 1024
#: Values bound per set-based lookup: far below SQLite's limit of 32,766.
PARAMETER_CHUNK = 900
#: The columns a new article gets besides its fields and content hash, in `_insert_new`.
NEW_ARTICLE_COLUMNS = (
    "etag",
    "last_modified",
    "first_seen_at",
    "last_seen_at",
    "version_count",
    "current_version",
    "duplicate_of",
    "duplicate_similarity",
)

Outcome = Literal["new", "updated", "unchanged"]


@dataclass
class _Input:
    """One validated input article: its article columns and what comes with them."""

    row: dict[str, Any]
    seen_at: str
    urls: list[tuple[str, str]]
    raw_page: Mapping[str, Any] | None
    fetch_only: bool = False
    _signature: np.ndarray | None = None
    _signed: bool = False
    #: The signature's LSH band keys and the raw page's digest and compressed body, when
    #: `_prepare` computed them before the write.
    band_keys: list[int] | None = None
    page: rawpages.Prepared | None = None

    @property
    def signature(self) -> np.ndarray | None:
        """The body's MinHash signature, computed once, when first needed."""
        if not self._signed:
            self.signed(neardup.signature(self.row["body"]))
        return self._signature

    def signed(self, values: np.ndarray | None) -> None:
        """Keep the signature computed for the body with a batch's others."""
        self._signature = values
        self._signed = True


def content_hash(title: str, summary: str | None, body: str) -> str:
    """sha256 hex of the article text, defined here so every writer computes the same value."""
    text = HASH_SEPARATOR.join((title, summary or "", body))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SectionStats:
    site: str
    section: str | None
    articles: int
    undated: int  # articles without published_at: a sign of extraction trouble
    earliest: str | None
    latest: str | None


@dataclass(frozen=True)
class ArchiveStats:
    sections: list[SectionStats]
    recent_runs: list[dict[str, Any]]

    @property
    def articles(self) -> int:
        return sum(section.articles for section in self.sections)

    @property
    def sites(self) -> int:
        return len({section.site for section in self.sections})

    @property
    def earliest(self) -> str | None:
        return min((s.earliest for s in self.sections if s.earliest), default=None)

    @property
    def latest(self) -> str | None:
        return max((s.latest for s in self.sections if s.latest), default=None)


class Archive:
    """An archive file: articles (one row per canonical URL, showing the current version),
    every version of their text, every URL they were reached through, their raw pages,
    and the crawl runs that fed it.

    Several processes may open the same file; each write is one ``BEGIN
    IMMEDIATE`` transaction, so concurrent batches queue rather than interleave.
    """

    def __init__(self, path: str | Path) -> None:
        self._db = Database(path)
        self._runs = self._db.table("crawl_runs")
        self._prepare_thread: futures.ThreadPoolExecutor | None = None
        try:
            self._open()
        except BaseException:
            self._db.close()
            raise

    def _open(self) -> None:
        """Configure the connection, waiting out another process that is opening the file.

        SQLite answers "database is locked" at once, without the busy timeout, to a
        connection that meets another one switching a new file to WAL or recovering its
        WAL index; two crawls started together on a new archive meet exactly that.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self._configure()
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(OPEN_RETRY_SECONDS)

    def _configure(self) -> None:
        """Set up the connection, then check the schema version without a lock.

        The write lock is taken only to create the schema or refuse the file.
        """
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.enable_wal()
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        if schema.read_version(self._db) == schema.SCHEMA_VERSION:
            return
        with self._write_transaction():
            schema.ensure_schema(self._db)

    @contextmanager
    def _write_transaction(self) -> Iterator[None]:
        """Hold the write lock for the whole block, all or nothing.

        IMMEDIATE, not sqlite-utils' deferred ``atomic()``: a deferred
        transaction that reads and then writes fails with SQLITE_BUSY when
        another process committed in between, instead of waiting.
        """
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.commit()
        except BaseException:
            self._db.rollback()
            raise

    @property
    def db(self) -> Database:
        """The sqlite-utils database, for read queries."""
        return self._db

    def upsert_articles(
        self, articles: Sequence[Mapping[str, Any]], *, run_id: int | None = None
    ) -> list[Outcome]:
        """Store a batch in one transaction; return "new", "updated" or "unchanged" per article.

        Entries are applied in order, so a url repeated in the batch sees its
        earlier entry. The whole batch is validated before anything is written.
        "updated" means a field changed (a new version when the text changed);
        an article found again under another URL with the same text is "unchanged".
        `run_id` is the crawl run the raw pages came from.
        """
        checked = [_checked_input(article) for article in articles]
        # The CPU work that needs no database runs in another thread while the write
        # begins: sqlite3 and numpy, zstd and hashlib let go of the GIL as they work.
        preparing = self._preparer().submit(_prepare, self._new_texts(checked))
        try:
            with self._write_transaction():
                return self._apply(checked, run_id, preparing.result)
        finally:
            futures.wait([preparing])  # nothing runs on after the write, even a failed one

    def _preparer(self) -> futures.ThreadPoolExecutor:
        if self._prepare_thread is None:
            self._prepare_thread = futures.ThreadPoolExecutor(1, "archive-prepare")
        return self._prepare_thread

    def add_rejected_pages(
        self, pages: Sequence[tuple[Mapping[str, Any], str]], *, run_id: int | None = None
    ) -> None:
        """Keep the raw pages of article pages that gave no article, each with the reason.

        Extraction may improve: `archive reparse` of a later version can read them.
        """
        for page, reason in pages:
            url = page.get("url") if isinstance(page, Mapping) else None
            if problem := rawpages.problem(page):
                raise ValueError(f"rejected page {url!r}: raw_page {problem}")
            if not isinstance(reason, str) or not reason.strip():
                raise ValueError(f"rejected page {url!r}: a reason is required")
        with self._write_transaction():
            for page, reason in pages:
                rawpages.store(self._db, None, page, run_id, rejected=reason)

    def _new_texts(self, entries: Sequence[_Input]) -> list[_Input]:
        """The entries whose text the archive lacks under their URL: those the write will
        need signatures and compressed raw pages for (see `_prepare`).

        Read before the write lock: an entry whose text was found here but that the write
        needs all the same (another writer changed the article in between) is signed
        inside the transaction, when first needed (`_Input.signature`).
        """
        known: set[tuple[str, str]] = set()
        urls = [entry.row["url"] for entry in entries]
        for start in range(0, len(urls), 500):
            chunk = urls[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            known.update(
                self._db.execute(
                    f"SELECT url, content_hash FROM articles WHERE url IN ({marks})", chunk
                ).fetchall()
            )
        return [
            entry
            for entry in entries
            if not entry.fetch_only and (entry.row["url"], entry.row["content_hash"]) not in known
        ]

    def _apply(
        self, entries: Sequence[_Input], run_id: int | None, prepared: Callable[[], None]
    ) -> list[Outcome]:
        """Write the batch in order: each run of consecutive new articles that touch nothing
        stored and nothing else in the batch in one statement per table, the others one by
        one, so that an entry still sees every earlier one as if all went one by one.

        `prepared` waits for `_prepare`, to be called before signatures or raw pages are
        needed (or raises what it raised)."""
        alone = self._independent_new(entries)
        outcomes: list[Outcome] = []
        start = 0
        while start < len(entries):
            end = start
            while end < len(entries) and alone[end]:
                end += 1
            if end > start and start > 0:
                # An update written just before may have given its article one of these
                # texts (a field its fetch missed keeps the stored value): those go one by one.
                stored = self._stored_texts([_text_key(entry) for entry in entries[start:end]])
                for i in range(start, end):
                    alone[i] = _text_key(entries[i]) not in stored
                end = next((i for i in range(start, end) if not alone[i]), end)
            if end > start:
                self._insert_new(entries[start:end], run_id, prepared)
                outcomes.extend(["new"] * (end - start))
                start = end
            else:
                prepared()
                outcomes.append(self._upsert(entries[start], run_id))
                start += 1
        return outcomes

    def _independent_new(self, entries: Sequence[_Input]) -> list[bool]:
        """Which entries are new articles sharing no URL and no text with the archive or
        with another entry: their writes cannot affect, or be affected by, any other's.

        Read in a few set-based queries, inside the write transaction."""
        urls = [{entry.row["url"], *(url for url, _ in entry.urls)} for entry in entries]
        uses = Counter(url for group in urls for url in group)
        texts = Counter(_text_key(entry) for entry in entries)
        every_url = list(uses)
        taken = self._present("articles", "url", every_url) | self._present(
            "article_urls", "url", every_url
        )
        stored_texts = self._stored_texts(list(texts))
        return [
            not entry.fetch_only
            and texts[key] == 1
            and key not in stored_texts
            and all(uses[url] == 1 and url not in taken for url in group)
            for entry, group, key in zip(entries, urls, map(_text_key, entries), strict=True)
        ]

    def _present(self, table: str, column: str, values: Sequence[str]) -> set[str]:
        """The values found in an indexed column, a chunk of parameters at a time."""
        found: set[str] = set()
        for start in range(0, len(values), PARAMETER_CHUNK):
            chunk = values[start : start + PARAMETER_CHUNK]
            marks = ", ".join("?" * len(chunk))
            found.update(
                value
                for (value,) in self._db.conn.execute(
                    f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", chunk
                )
            )
        return found

    def _stored_texts(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """The (site, content_hash) pairs some stored article has as its current text."""
        found: set[tuple[str, str]] = set()
        for start in range(0, len(keys), PARAMETER_CHUNK // 2):
            chunk = keys[start : start + PARAMETER_CHUNK // 2]
            values = ", ".join(["(?, ?)"] * len(chunk))
            found.update(
                self._db.conn.execute(
                    f"""WITH wanted(site, hash) AS (VALUES {values})
                    SELECT articles.site, articles.content_hash FROM wanted JOIN articles
                    ON articles.site = wanted.site AND articles.content_hash = wanted.hash""",
                    [part for key in chunk for part in key],
                )
            )
        return found

    def _insert_new(
        self, entries: Sequence[_Input], run_id: int | None, prepared: Callable[[], None]
    ) -> None:
        """`_insert` and the rest of `_upsert` for independent new articles, one statement
        per table. Ids are given here, as SQLite would (one above the largest; the write
        lock is held), so that rows of other tables can name them in the same pass.

        The rows that need no signature (the articles and their full-text index, versions,
        URLs, authors and tags) go first, while `_prepare` may still be signing the texts;
        the near-duplicate links are set once the signatures are matched."""
        (last,) = self._db.conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()
        ids = range(last + 1, last + 1 + len(entries))
        conn = self._db.conn
        article_columns = ("id", *ARTICLE_FIELDS, "content_hash", *NEW_ARTICLE_COLUMNS)
        _insert_in_one_statement(
            conn,
            "articles",
            article_columns,
            [
                (
                    article_id,
                    *(entry.row[key] for key in ARTICLE_FIELDS),
                    entry.row["content_hash"],
                    *_validators_tuple(entry.raw_page),
                    entry.seen_at,
                    entry.seen_at,
                    1,
                    1,
                    None,  # duplicate_of and its similarity: set below
                    None,
                )
                for article_id, entry in zip(ids, entries, strict=True)
            ],
        )
        version_columns = ("article_id", "version", "content_hash", *VERSION_FIELDS)
        conn.executemany(
            f"INSERT INTO article_versions ({', '.join(version_columns)}, first_seen_at, "
            f"last_seen_at) VALUES ({', '.join('?' * (len(version_columns) + 2))})",
            [
                (
                    article_id,
                    1,
                    entry.row["content_hash"],
                    *(entry.row[key] for key in VERSION_FIELDS),
                    entry.seen_at,
                    entry.seen_at,
                )
                for article_id, entry in zip(ids, entries, strict=True)
            ],
        )
        conn.executemany(
            "INSERT INTO article_urls (url, article_id, kind, first_seen_at, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?)",
            sorted(
                (url, article_id, kind, entry.seen_at, entry.seen_at)
                for article_id, entry in zip(ids, entries, strict=True)
                for url, kind in _url_kinds(entry.row["url"], CANONICAL, entry.urls).items()
            ),
        )
        for table, link, key, column in NAME_TABLES:
            names = [
                (article_id, position, name)
                for article_id, entry in zip(ids, entries, strict=True)
                for position, name in enumerate(json.loads(entry.row[column] or "[]"))
            ]
            name_ids = self._name_ids(table, [name for *_, name in names])
            conn.executemany(
                f"INSERT OR IGNORE INTO {link} (article_id, {key}, position) VALUES (?, ?, ?)",
                [(article_id, name_ids[_nocase(name)], at) for article_id, at, name in names],
            )
        prepared()
        near = neardup.match_new_articles(
            self._db,
            ids,
            [entry.signature for entry in entries],
            [entry.band_keys for entry in entries],
        )
        conn.executemany(
            "UPDATE articles SET duplicate_of = ?, duplicate_similarity = ? WHERE id = ?",
            [
                (match.article_id, match.similarity, article_id)
                for article_id, match in zip(ids, near.matches, strict=True)
                if match is not None
            ],
        )
        neardup.store_new_articles(self._db, near)
        rawpages.store_new(
            self._db,
            [
                (article_id, entry.raw_page, entry.page)
                for article_id, entry in zip(ids, entries, strict=True)
                if entry.raw_page is not None
            ],
            run_id,
        )

    def _upsert(self, entry: _Input, run_id: int | None) -> Outcome:
        url = entry.row["url"]
        old = self._one("SELECT * FROM articles WHERE url = ?", [url])
        kind = CANONICAL
        if old is not None and entry.fetch_only:
            article_id = old["id"]
            self._seen_again(article_id, entry)
            outcome = "unchanged"
        elif old is not None:
            outcome = self._update(old, entry)
            article_id = old["id"]
        elif (owner := self._same_text_owner(entry.row)) is not None:
            article_id = owner
            self._seen_again(article_id, entry)
            kind = ALIAS
            outcome = "unchanged"
        else:
            article_id = self._insert(entry)
            outcome = "new"
        self._record_urls(article_id, _url_kinds(url, kind, entry.urls), entry.seen_at)
        if entry.raw_page is not None:
            rawpages.store(self._db, article_id, entry.raw_page, run_id, prepared=entry.page)
        return outcome

    def _same_text_owner(self, row: Mapping[str, Any]) -> int | None:
        """The article of this site that a new canonical URL with this text belongs to.

        A URL already recorded for an article (a redirect, an alias) stays with it while
        its text is one of that article's versions; otherwise an article of the same site
        whose current text is the same (by content hash). Other sites' copies are not
        merged: they are near-duplicates, linked but each kept as its site published it.
        """
        known = self._one(
            """SELECT article_urls.article_id FROM article_urls
            JOIN article_versions ON article_versions.article_id = article_urls.article_id
            JOIN articles ON articles.id = article_urls.article_id
            WHERE article_urls.url = ? AND article_versions.content_hash = ?
            AND articles.site = ?""",
            [row["url"], row["content_hash"], row["site"]],
        )
        if known is not None:
            return cast(int, known["article_id"])
        same = self._one(
            "SELECT id FROM articles WHERE site = ? AND content_hash = ? ORDER BY id LIMIT 1",
            [row["site"], row["content_hash"]],
        )
        return None if same is None else cast(int, same["id"])

    def _seen_again(self, article_id: int, entry: _Input) -> None:
        """The article's text was fetched again through another URL: only times move."""
        version = self._one(
            "SELECT id, last_seen_at FROM article_versions WHERE article_id = ? "
            "AND content_hash = ?",
            [article_id, entry.row["content_hash"]],
        )
        if version is not None and _later(entry.seen_at, version["last_seen_at"]):
            self._update_row("article_versions", version["id"], {"last_seen_at": entry.seen_at})
        stored = self._one("SELECT last_seen_at FROM articles WHERE id = ?", [article_id])
        assert stored is not None
        if _later(entry.seen_at, stored["last_seen_at"]):
            self._update_row("articles", article_id, {"last_seen_at": entry.seen_at})

    def _insert(self, entry: _Input) -> int:
        row = entry.row
        article_id = self._insert_row(
            "articles",
            {
                **row,
                **_validators(entry.raw_page),
                "first_seen_at": entry.seen_at,
                "last_seen_at": entry.seen_at,
                "version_count": 1,
                "current_version": 1,
            },
        )
        self._add_version(article_id, 1, row, entry.seen_at)
        self._sync_names(article_id, row)
        match = self._near_duplicate(article_id, entry.signature)
        if match["duplicate_of"] is not None:
            self._update_row("articles", article_id, match)
        return article_id

    def _name_ids(self, table: str, names: Sequence[str]) -> dict[str, int]:
        """The ids of these names in an authors/tags table, adding those it lacks; keyed by
        `_nocase(name)`, as the table's NOCASE column tells names apart."""
        first: dict[str, str] = {}
        for name in names:
            first.setdefault(_nocase(name), name)
        unique = list(first.values())
        conn = self._db.conn
        conn.executemany(f"INSERT OR IGNORE INTO {table} (name) VALUES (?)", [(n,) for n in unique])
        found: dict[str, int] = {}
        for start in range(0, len(unique), PARAMETER_CHUNK):
            chunk = unique[start : start + PARAMETER_CHUNK]
            rows = conn.execute(
                f"SELECT id, name FROM {table} WHERE name IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            found.update((_nocase(name), name_id) for name_id, name in rows)
        return found

    def _insert_row(self, table: str, values: Mapping[str, Any]) -> int:
        """A plain INSERT: the columns are known, no need for sqlite-utils' introspection."""
        columns = ", ".join(values)
        marks = ", ".join("?" * len(values))
        cursor = self._db.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values())
        )
        return cast(int, cursor.lastrowid)

    def _update_row(self, table: str, row_id: int, values: Mapping[str, Any]) -> None:
        if not values:
            return
        assignments = ", ".join(f"{column} = ?" for column in values)
        self._db.execute(
            f"UPDATE {table} SET {assignments} WHERE id = ?", [*values.values(), row_id]
        )

    def _update(self, old: dict[str, Any], entry: _Input) -> Outcome:
        """first_seen_at is set once and last_seen_at only moves forward.

        The other fields always take the row's values, even from a fetch older
        than last_seen_at: the order of writes, not of fetches, decides. A text
        the article never had is a new version; one it had before becomes current
        again (its version's times move); the same text updates its version's fields.
        """
        row = _kept_from(old, entry.row)
        changed = {key: value for key, value in row.items() if old[key] != value}
        updates: dict[str, Any] = {**changed, **_validators(entry.raw_page)}
        if _later(entry.seen_at, old["last_seen_at"]):
            updates["last_seen_at"] = entry.seen_at
        version = self._one(
            "SELECT * FROM article_versions WHERE article_id = ? AND content_hash = ?",
            [old["id"], row["content_hash"]],
        )
        if version is None:
            number = old["version_count"] + 1
            self._add_version(old["id"], number, row, entry.seen_at)
            updates.update(version_count=number, current_version=number)
        else:
            last_seen = max(version["last_seen_at"], entry.seen_at, key=datetime.fromisoformat)
            self._update_row(
                "article_versions",
                version["id"],
                {**{key: row[key] for key in VERSION_FIELDS}, "last_seen_at": last_seen},
            )
            updates["current_version"] = version["version"]
        if row["content_hash"] != old["content_hash"]:
            match = self._near_duplicate(old["id"], entry.signature)
            updates.update(match)
        if changed.keys() & set(ARTICLE_LIST_FIELDS):
            self._sync_names(old["id"], row)
        self._update_row("articles", old["id"], updates)
        return "updated" if changed else "unchanged"

    def _add_version(
        self, article_id: int, number: int, row: Mapping[str, Any], seen_at: str
    ) -> None:
        self._insert_row(
            "article_versions",
            {
                "article_id": article_id,
                "version": number,
                "content_hash": row["content_hash"],
                **{key: row[key] for key in VERSION_FIELDS},
                "first_seen_at": seen_at,
                "last_seen_at": seen_at,
            },
        )

    def _sync_names(self, article_id: int, row: Mapping[str, Any]) -> None:
        """authors/tags and their link tables, as the article's JSON columns say."""
        for table, link, key, column in NAME_TABLES:
            self._db.execute(f"DELETE FROM {link} WHERE article_id = ?", [article_id])
            for position, name in enumerate(json.loads(row[column] or "[]")):
                self._db.execute(f"INSERT OR IGNORE INTO {table} (name) VALUES (?)", [name])
                self._db.execute(
                    f"""INSERT OR IGNORE INTO {link} (article_id, {key}, position)
                    SELECT ?, id, ? FROM {table} WHERE name = ?""",
                    [article_id, position, name],
                )

    def _near_duplicate(self, article_id: int, signature: np.ndarray | None) -> dict[str, Any]:
        match = neardup.index_article(self._db, article_id, signature)
        if match is None:
            return {"duplicate_of": None, "duplicate_similarity": None}
        return {"duplicate_of": match.article_id, "duplicate_similarity": match.similarity}

    def _record_urls(self, article_id: int, kinds: Mapping[str, str], seen_at: str) -> None:
        """Each URL once, kept by the article it leads to now.

        A URL that led to another article moves here, unless it is that article's
        canonical URL: that one names its article for good.
        """
        for url, kind in kinds.items():
            known = self._one("SELECT * FROM article_urls WHERE url = ?", [url])
            if known is None:
                self._insert_row(
                    "article_urls",
                    {
                        "url": url,
                        "article_id": article_id,
                        "kind": kind,
                        "first_seen_at": seen_at,
                        "last_seen_at": seen_at,
                    },
                )
            elif known["article_id"] == article_id:
                if _later(seen_at, known["last_seen_at"]):
                    self._db.execute(
                        "UPDATE article_urls SET last_seen_at = ? WHERE url = ?", [seen_at, url]
                    )
            elif known["kind"] != CANONICAL:
                self._db.execute(
                    "UPDATE article_urls SET article_id = ?, kind = ?, first_seen_at = ?, "
                    "last_seen_at = ? WHERE url = ?",
                    [article_id, kind, seen_at, seen_at, url],
                )

    def _one(self, sql: str, params: Sequence[Any]) -> dict[str, Any] | None:
        """The first row as a dict, straight from sqlite3: the write path runs dozens of
        these per article, and sqlite-utils' query() parses each statement first."""
        cursor = self._db.conn.execute(sql, params)
        values = cursor.fetchone()
        if values is None:
            return None
        return dict(zip((column[0] for column in cursor.description), values, strict=True))

    def find_article(self, url: str) -> dict[str, Any] | None:
        """The article any URL it was reached through leads to, or None.

        Tried as given, then in its canonical form (tracking parameters dropped, ...).
        Authors and tags come decoded as lists.
        """
        candidates = [url]
        with suppress(ValueError):  # not a URL the crawler could fetch: only as given
            candidates.append(canonical_url(url))
        for candidate in dict.fromkeys(candidates):
            found = self._one(
                """SELECT articles.* FROM article_urls
                JOIN articles ON articles.id = article_urls.article_id
                WHERE article_urls.url = ?""",
                [candidate],
            ) or self._one("SELECT * FROM articles WHERE url = ?", [candidate])
            if found is not None:
                return _decoded(found)
        return None

    def versions(self, article_id: int) -> list[dict[str, Any]]:
        """Every version of an article, oldest first, authors and tags as lists."""
        rows = self._db.query(
            "SELECT * FROM article_versions WHERE article_id = ? ORDER BY version", [article_id]
        )
        return [_decoded(row) for row in rows]

    def urls(self, article_id: int) -> list[dict[str, Any]]:
        """Every URL recorded for an article, the canonical one first."""
        return list(
            self._db.query(
                "SELECT * FROM article_urls WHERE article_id = ? "
                "ORDER BY kind != 'canonical', first_seen_at, url",
                [article_id],
            )
        )

    def raw_pages(self, site: str | None = None) -> Iterator[dict[str, Any]]:
        """The latest raw page of each article (of one site), body decompressed, headers
        decoded; with its article_id, site, url, status, fetched_at and crawl context."""
        return rawpages.latest(self._db, site)

    def check(self) -> list[str]:
        """Problems found in the file and the archive's invariants; empty when healthy."""
        return invariants.check(self._db)

    def mark_seen(self, fetches: Sequence[tuple[str, str]]) -> int:
        """Articles re-fetched and found unchanged without their text (a `304 Not Modified`
        to a conditional request): (url, seen_at) pairs; only the seen times move.
        Returns how many of the URLs lead to an article."""
        for url, seen_at in fetches:
            if not _is_aware_timestamp(seen_at):
                raise ValueError(f"article {url!r}: seen_at must be an aware ISO 8601 time")
        found = 0
        with self._write_transaction():
            for url, seen_at in fetches:
                article = self.find_article(url)
                if article is None:
                    continue
                found += 1
                self._db.execute(
                    "UPDATE article_versions SET last_seen_at = ? WHERE article_id = ? "
                    "AND content_hash = ? AND last_seen_at < ?",
                    [seen_at, article["id"], article["content_hash"], seen_at],
                )
                if _later(seen_at, article["last_seen_at"]):
                    self._update_row("articles", article["id"], {"last_seen_at": seen_at})
        return found

    def start_run(self, *, spider: str, site: str, started_at: str) -> int:
        _check_run_time("started_at", started_at)
        with self._write_transaction():
            self._runs.insert({"spider": spider, "site": site, "started_at": started_at})
        return cast(int, self._runs.last_rowid)  # always set after inserting into a rowid table

    def finish_run(
        self,
        run_id: int,
        *,
        finished_at: str,
        finish_reason: str,
        counts: Mapping[str, int],
        stats: Mapping[str, Any],
    ) -> None:
        """Record how a run ended; ``stats`` is Scrapy's stats dict, kept whole as JSON."""
        _check_run_time("finished_at", finished_at, run_id)
        _check_counts(run_id, counts)
        updates = {
            "finished_at": finished_at,
            "finish_reason": finish_reason,
            **counts,
            "stats": json.dumps(stats, default=_json_safe, ensure_ascii=False),
        }
        with self._write_transaction():
            try:
                self._runs.update(run_id, updates)
            except NotFoundError:
                raise ValueError(f"crawl run {run_id} does not exist") from None

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The most recent crawl runs first, with ``stats`` decoded."""
        rows = self._db.query("select * from crawl_runs order by id desc limit ?", [limit])
        return [{**row, "stats": json.loads(row["stats"] or "null")} for row in rows]

    def stats(self) -> ArchiveStats:
        """Counts per site and section; earliest/latest compare published_at as text.

        Text order is time order only while the offsets agree (UTC everywhere).
        """
        rows = self._db.query(
            """
            select site, section, count(*) as articles,
                   count(*) - count(published_at) as undated,
                   min(published_at) as earliest, max(published_at) as latest
            from articles
            group by site, section
            order by site, section
            """
        )
        sections = [SectionStats(**row) for row in rows]
        return ArchiveStats(sections=sections, recent_runs=self.runs(limit=RECENT_RUNS))

    def close(self) -> None:
        if self._prepare_thread is not None:
            self._prepare_thread.shutdown()
            self._prepare_thread = None
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _prepare(entries: Sequence[_Input]) -> None:
    """The CPU work of writing these entries that needs no database: MinHash signatures
    and their LSH band keys, raw pages' digests and compressed bodies."""
    for entry, values in zip(
        entries, neardup.signatures([entry.row["body"] for entry in entries]), strict=True
    ):
        entry.signed(values)
        entry.band_keys = None if values is None else neardup.band_keys(values)
        if entry.raw_page is not None:
            entry.page = rawpages.prepare(entry.raw_page)


def _insert_in_one_statement(
    conn: sqlite3.Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert rows with one multi-row INSERT per chunk, not one statement per row.

    For `articles` this is the FTS5 index's cost: every statement that fires the index's
    trigger opens a savepoint, at which FTS5 flushes its pending terms to a new segment,
    so a statement per row writes a segment per article and merges them all again later.
    One statement per batch indexes it as one segment, at less than half the CPU.
    sqlite-utils' `insert_all` writes multi-row INSERTs too, but in chunks of its fixed
    999 variables (38 article rows): a segment per chunk. Here a chunk is as large as the
    connection's own variable limit allows.
    """
    per_statement = max(1, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns))
    row_marks = f"({', '.join('?' * len(columns))})"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            + ", ".join([row_marks] * len(chunk)),
            [value for row in chunk for value in row],
        )


def _kept_from(old: Mapping[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """The new row, less what would throw away something the archive knows.

    A field a fetch could not read (None) keeps its stored value: a transient failure is
    not a change. A year-less date re-read by the latest-year rule keeps the year that
    better evidence (metadata, URL, listing order) gave it before.
    """
    kept = {key: old[key] if value is None else value for key, value in row.items()}
    if (
        kept["published_raw"] == old["published_raw"]
        and kept["published_year_source"] == GUESSED_YEAR
        and old["published_year_source"] not in (None, GUESSED_YEAR)
    ):
        kept["published_at"] = old["published_at"]
        kept["published_year_source"] = old["published_year_source"]
    kept["content_hash"] = content_hash(kept["title"], kept["summary"], kept["body"])
    return kept


def _later(a: str, b: str) -> bool:
    return datetime.fromisoformat(a) > datetime.fromisoformat(b)


def _text_key(entry: _Input) -> tuple[str, str]:
    """What makes two articles of a site one: the site and the content hash."""
    return entry.row["site"], entry.row["content_hash"]


#: SQLite's NOCASE collation folds ASCII letters only.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _nocase(name: str) -> str:
    """A name as SQLite's NOCASE collation compares it."""
    return name.translate(_ASCII_LOWER)


def _url_kinds(url: str, kind: str, variants: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The URLs to record for an article stored under `url`, each once with its first kind."""
    kinds = {url: kind}
    for other, how in variants:
        kinds.setdefault(other, how)
    return kinds


def _validators_tuple(raw_page: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    validators = _validators(raw_page)
    return validators.get("etag"), validators.get("last_modified")


def _validators(raw_page: Mapping[str, Any] | None) -> dict[str, Any]:
    """ETag and Last-Modified of the latest fetch, for conditional re-fetches."""
    if raw_page is None:
        return {}
    headers = raw_page["headers"]
    return {
        "etag": rawpages.header(headers, "ETag"),
        "last_modified": rawpages.header(headers, "Last-Modified"),
    }


def _decoded(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: json.loads(value) if key in ARTICLE_LIST_FIELDS and value is not None else value
        for key, value in row.items()
    }


def _checked_input(article: Mapping[str, Any]) -> _Input:
    row = _article_row(article)
    url = article["url"]
    urls = article.get("urls") or []
    if not (
        isinstance(urls, list | tuple)
        and all(
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(isinstance(part, str) and part.strip() for part in pair)
            for pair in urls
        )
    ):
        raise ValueError(
            f"article {url!r}: key 'urls' must be a list of (url, kind), got {urls!r:.200}"
        )
    raw_page = article.get("raw_page")
    if raw_page is not None and (problem := rawpages.problem(raw_page)):
        raise ValueError(f"article {url!r}: raw_page {problem}")
    pairs = [(pair[0], pair[1]) for pair in urls]
    fetch_only = article.get("fetch_only", False)
    if not isinstance(fetch_only, bool):
        raise ValueError(f"article {url!r}: key 'fetch_only' must be a bool, got {fetch_only!r}")
    return _Input(row, article["seen_at"], pairs, raw_page, fetch_only)


def _article_row(article: Mapping[str, Any]) -> dict[str, Any]:
    """Validate an input article and return its stored columns, seen times aside."""
    _check_article(article)
    row = {key: article[key] for key in ARTICLE_FIELDS}
    for key in ARTICLE_LIST_FIELDS:
        if row[key] is not None:
            row[key] = json.dumps(list(row[key]), ensure_ascii=False)
    row["content_hash"] = content_hash(row["title"], row["summary"], row["body"])
    return row


def _check_article(article: Mapping[str, Any]) -> None:
    url = article.get("url")
    unknown = sorted(article.keys() - set(INPUT_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise ValueError(f"article {url!r}: unknown key {', '.join(map(repr, unknown))}")
    missing = [key for key in INPUT_KEYS if key not in article]
    if missing:
        raise ValueError(f"article {url!r}: missing key {', '.join(map(repr, missing))}")
    for key in INPUT_KEYS:
        problem = _value_problem(key, article[key])
        if problem:
            raise ValueError(f"article {url!r}: key {key!r} {problem}")


def _value_problem(key: str, value: Any) -> str | None:
    """What is wrong with one input value, or None if it can be stored."""
    if value is None:
        return "must not be None" if key in NOT_NULL_KEYS else None
    if key in ARTICLE_LIST_FIELDS:
        if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            return None
        return f"must be a list of strings, got {value!r}"
    if not isinstance(value, str):
        return f"must be a string, got {type(value).__name__} {value!r}"
    if key in NOT_NULL_KEYS and not value.strip():
        return "must not be empty"
    if key in TIMESTAMP_KEYS and not _is_aware_timestamp(value):
        return f"must be an ISO 8601 time with a UTC offset, got {value!r}"
    return None


def _is_aware_timestamp(value: object) -> bool:
    """Times must carry an offset, or "later" between two writers would be ambiguous."""
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _check_run_time(key: str, value: str, run_id: int | None = None) -> None:
    if not _is_aware_timestamp(value):
        run = "new crawl run" if run_id is None else f"crawl run {run_id}"
        raise ValueError(f"{run}: {key} must be an ISO 8601 time with a UTC offset, got {value!r}")


def _check_counts(run_id: int, counts: Mapping[str, int]) -> None:
    if set(counts) != set(RUN_COUNT_COLUMNS):
        raise ValueError(
            f"crawl run {run_id}: counts must have exactly the keys {list(RUN_COUNT_COLUMNS)}, "
            f"got {sorted(counts)}"
        )
    for key, value in counts.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"crawl run {run_id}: count {key!r} must be an int, got {value!r}")


def _json_safe(value: Any) -> Any:
    """JSON fallback for Scrapy stats values: datetimes as ISO text, anything else as str."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
