"""What the archive already holds, read-only: the one rule of incremental crawling.

A link is fetched when the archive does not have it, re-fetched conditionally (with the
stored ETag / Last-Modified) when its article was published within `recheck_days`, and
otherwise skipped. A page that was fetched but gave no article (a video page, kept in
raw_pages as rejected) counts by when it was first fetched: tried again for
`recheck_days`, in case it was a placeholder, then left alone. Every crawler that feeds
an archive asks `KnownRule`, so they all agree on what a re-crawl costs: a local crawl
over the archive file (`KnownArticles`), a distributed worker over what the archive
writer publishes to Redis (crawler.redis_known). The KNOWN_ARTICLES setting names the
source; distributed mode switches it.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from crawler.dates import isoformat
from crawler.urls import canonical_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

#: Answers the archive gives for a link.
NEW, RECHECK, KNOWN = "new", "recheck", "known"

_LOOKUP = """
    SELECT articles.published_at, articles.first_seen_at, articles.etag, articles.last_modified
    FROM articles WHERE articles.url = :url
    UNION ALL
    SELECT articles.published_at, articles.first_seen_at, articles.etag, articles.last_modified
    FROM article_urls JOIN articles ON articles.id = article_urls.article_id
    WHERE article_urls.url = :url
    LIMIT 1
"""
#: The first fetch of a page that gave no article, if it is only that.
_REJECTED = "SELECT min(fetched_at) FROM raw_pages WHERE url = :url AND article_id IS NULL"


@dataclass(frozen=True, slots=True)
class Visit:
    """Whether to fetch a link, and the headers that make a re-fetch conditional."""

    state: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def fetch(self) -> bool:
        return self.state != KNOWN


@dataclass(frozen=True, slots=True)
class Known:
    """What the rule needs of an archived link: when it counts from (the article's
    publication, else its first archiving; a rejected page's first fetch) and the
    validators of its last fetch."""

    since: datetime | None
    etag: str | None = None
    last_modified: str | None = None


_LAST_RUN = """
SELECT finish_reason FROM crawl_runs
WHERE site = :site AND started_at < :before ORDER BY started_at DESC, id DESC LIMIT 1
"""


class KnownRule(ABC):
    """The rule, over any source of `Known` entries: the archive file here, Redis in a
    distributed crawl (crawler.redis_known). A source implements `known` and
    `last_run_unfinished`; the spider asks only `visit` and `last_run_unfinished`."""

    def __init__(self, *, recheck_days: int, now: datetime) -> None:
        self.recheck_after = now - timedelta(days=recheck_days)

    @abstractmethod
    def known(self, url: str) -> Known | None:
        """The entry for a link, as found or in its canonical form; None when unknown."""

    @abstractmethod
    def last_run_unfinished(self, site: str, before: datetime) -> bool:
        """Whether the site's last run left its sections unwalked (see the sources)."""

    def visit(self, url: str) -> Visit:
        """The archive's answer for one link."""
        entry = self.known(url)
        if entry is None:
            return Visit(NEW)
        if entry.since is None or entry.since < self.recheck_after:
            return Visit(KNOWN)
        headers = {}
        if entry.etag:
            headers["If-None-Match"] = entry.etag
        if entry.last_modified:
            headers["If-Modified-Since"] = entry.last_modified
        return Visit(RECHECK, headers)

    @abstractmethod
    def close(self) -> None:
        """Release the source."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _time(text: str | None) -> datetime | None:
    """A stored time; one that cannot be read never makes a link due."""
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def candidates(url: str) -> list[str]:
    """A link as found, then in its canonical form (when it differs)."""
    found = [url]
    with suppress(ValueError):
        found.append(canonical_url(url))
    return list(dict.fromkeys(found))


class KnownArticles(KnownRule):
    """Opened read-only on an archive file; a missing file or table knows no article."""

    def __init__(self, path: str | Path | None, *, recheck_days: int, now: datetime) -> None:
        super().__init__(recheck_days=recheck_days, now=now)
        self._db: sqlite3.Connection | None = None
        if path is not None and Path(path).is_file():
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 30000")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *, recheck_days: int, now: datetime) -> Self:
        """The archive file of a local crawl (ARCHIVE_PATH)."""
        return cls(crawler.settings.get("ARCHIVE_PATH"), recheck_days=recheck_days, now=now)

    def known(self, url: str) -> Known | None:
        row = self._lookup(url)
        if row is not None:
            published_at, first_seen_at, etag, last_modified = row
            return Known(_time(published_at or first_seen_at), etag, last_modified)
        first_rejected = self._first_rejected(url)
        return None if first_rejected is None else Known(_time(first_rejected))

    def _lookup(self, url: str) -> tuple[str | None, str, str | None, str | None] | None:
        if self._db is None:
            return None
        for candidate in candidates(url):
            try:
                row = self._db.execute(_LOOKUP, {"url": candidate}).fetchone()
            except sqlite3.OperationalError as error:
                if "no such" in str(error):  # an archive from before URL aliases and validators
                    return None
                raise
            if row is not None:
                return row
        return None

    def _first_rejected(self, url: str) -> str | None:
        if self._db is None:
            return None
        try:
            (first,) = self._db.execute(_REJECTED, {"url": url}).fetchone()
        except sqlite3.OperationalError as error:
            if "no such" in str(error):  # an archive from before raw pages
                return None
            raise
        return first

    def last_run_unfinished(self, site: str, before: datetime) -> bool:
        """Whether the site's last run started before `before` ended without finishing
        (killed, stopped, or still running elsewhere): its sections were not walked to
        their end, so pages of known articles do not mean that the rest is known too."""
        if self._db is None:
            return False
        try:
            parameters = {"site": site, "before": isoformat(before)}
            row = self._db.execute(_LAST_RUN, parameters).fetchone()
        except sqlite3.OperationalError as error:
            if "no such" in str(error):
                return False
            raise
        return row is not None and row[0] != "finished"

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
