"""The archive library: every write to the database goes through ``Archive``.

All dedup and upsert rules live here so that any number of writers (one per
crawler, or one ingesting for many) agree on what "new", "updated" and
"unchanged" mean.
"""

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, cast

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from archive import schema
from archive.schema import (
    ARTICLE_FIELDS,
    ARTICLE_LIST_FIELDS,
    ARTICLE_REQUIRED_FIELDS,
    RUN_COUNT_COLUMNS,
)

# Long enough that a writer waits out another process's batch instead of failing.
BUSY_TIMEOUT_MS = 30_000
RECENT_RUNS = 5

INPUT_KEYS = (*ARTICLE_FIELDS, "seen_at")
NOT_NULL_KEYS = frozenset((*ARTICLE_REQUIRED_FIELDS, "seen_at"))
TIMESTAMP_KEYS = frozenset(("published_at", "modified_at", "seen_at"))
HASH_SEPARATOR = "\x1f"
#: The published_year_source of a year-less date dated by the latest-year rule alone.
GUESSED_YEAR = "latest"

Outcome = Literal["new", "updated", "unchanged"]


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
    """An archive file: articles, one row per canonical URL, and the crawl runs that fed it.

    Several processes may open the same file; each write is one ``BEGIN
    IMMEDIATE`` transaction, so concurrent batches queue rather than interleave.
    """

    def __init__(self, path: str | Path) -> None:
        self._db = Database(path)
        self._articles = self._db.table("articles")
        self._runs = self._db.table("crawl_runs")
        try:
            self._configure()
        except BaseException:
            self._db.close()
            raise

    def _configure(self) -> None:
        """Set up the connection, then check the schema version without a lock.

        The write lock is taken only to create the schema or refuse the file.
        """
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._db.enable_wal()
        self._db.execute("PRAGMA synchronous = NORMAL")
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

    def upsert_articles(self, articles: Sequence[Mapping[str, Any]]) -> list[Outcome]:
        """Store a batch in one transaction; return "new", "updated" or "unchanged" per article.

        Entries are applied in order, so a url repeated in the batch sees its
        earlier entry. The whole batch is validated before anything is written.
        """
        checked = [(_article_row(article), article["seen_at"]) for article in articles]
        with self._write_transaction():
            return [self._upsert_row(row, seen_at) for row, seen_at in checked]

    def _upsert_row(self, row: dict[str, Any], seen_at: str) -> Outcome:
        """first_seen_at is set once and last_seen_at only moves forward.

        The other fields always take the row's values, even from a fetch older
        than last_seen_at: the order of writes, not of fetches, decides.
        """
        stored = list(self._articles.rows_where("url = ?", [row["url"]], limit=1))
        if not stored:
            self._articles.insert({**row, "first_seen_at": seen_at, "last_seen_at": seen_at})
            return "new"
        (old,) = stored
        row = _kept_from(old, row)
        changed = {key: value for key, value in row.items() if old[key] != value}
        last_seen_at = max(old["last_seen_at"], seen_at, key=datetime.fromisoformat)
        self._articles.update(old["id"], {**changed, "last_seen_at": last_seen_at})
        return "updated" if changed else "unchanged"

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
    unknown = sorted(article.keys() - set(INPUT_KEYS))
    if unknown:
        raise ValueError(f"article {url!r}: unknown key {', '.join(map(repr, unknown))}")
    missing = [key for key in INPUT_KEYS if key not in article]
    if missing:
        raise ValueError(f"article {url!r}: missing key {', '.join(map(repr, missing))}")
    for key, value in article.items():
        problem = _value_problem(key, value)
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
