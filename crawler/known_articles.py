"""What the archive already holds, read-only: the one rule of incremental crawling.

A link is fetched when the archive does not have it, re-fetched conditionally (with the
stored ETag / Last-Modified) when its article was published within `recheck_days`, and
otherwise skipped. A page that was fetched but gave no article (a video page, kept in
raw_pages as rejected) counts by when it was first fetched: tried again for
`recheck_days`, in case it was a placeholder, then left alone. Every crawler that feeds
an archive (one process, or many workers) asks this class, so they all agree on what a
re-crawl costs.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

from crawler.dates import isoformat
from crawler.urls import canonical_url

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


_LAST_RUN = """
SELECT finish_reason FROM crawl_runs
WHERE site = :site AND started_at < :before ORDER BY started_at DESC, id DESC LIMIT 1
"""


class KnownArticles:
    """Opened read-only on an archive file; a missing file or table knows no article."""

    def __init__(self, path: str | Path | None, *, recheck_days: int, now: datetime) -> None:
        self.recheck_after = now - timedelta(days=recheck_days)
        self._db: sqlite3.Connection | None = None
        if path is not None and Path(path).is_file():
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 30000")

    def visit(self, url: str) -> Visit:
        """The archive's answer for one link (as found, or in its canonical form)."""
        row = self._lookup(url)
        if row is None:
            first_rejected = self._first_rejected(url)
            if first_rejected is None:
                return Visit(NEW)
            return Visit(RECHECK if self._due(first_rejected) else KNOWN)
        published_at, first_seen_at, etag, last_modified = row
        if not self._due(published_at or first_seen_at):
            return Visit(KNOWN)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return Visit(RECHECK, headers)

    def _lookup(self, url: str) -> tuple[str | None, str, str | None, str | None] | None:
        if self._db is None:
            return None
        candidates = [url]
        with suppress(ValueError):
            candidates.append(canonical_url(url))
        for candidate in dict.fromkeys(candidates):
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

    def _due(self, when: str | None) -> bool:
        """Published (or, undated, first archived) within recheck_days."""
        if when is None:
            return False
        try:
            return datetime.fromisoformat(when) >= self.recheck_after
        except ValueError:
            return False

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
