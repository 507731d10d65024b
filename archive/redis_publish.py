"""What the archive writer tells crawl workers through Redis, so that a worker on any host
applies the incremental rules without the archive file.

Two things, per site, both written by ``archive ingest`` only after the archive has
committed what they describe, so Redis never runs ahead of the archive:

- the known articles: every URL an archived article was reached through, and every URL
  of a page that gave no article, with what the rule needs (``crawler.known_articles``):
  when the link counts from, and the validators of its last fetch;
- the open runs: runs that started after the site's last finished run ended. A run that
  ends ``finished`` (for a distributed worker: it saw the shared frontier drained) closes
  every run of the site that started before its end; one that was killed, stopped or
  lost stays open. A run starting while an older one is open walks every listing page.

The whole state is published again from the archive when the writer starts, and when
its ``published`` key has gone (a flushed or restarted Redis), so it is rebuilt from the
one durable copy. Keys, under the item list's key (``archive:items`` by default):

- ``{items}:known:{site}``, hash: ``known_field(URL)`` (12 bytes of BLAKE2b) -> JSON
  ``[since, etag, last_modified]``; since, and a Last-Modified in the standard form, in
  Unix seconds; trailing nulls left out; a page that gave no article is
  ``[since, null, null, 1]``, as the rule ranks it below an article;
- ``{items}:unfinished-runs:{site}``, sorted set: crawl_runs ids of the site's open runs,
  scored by their start (Unix seconds);
- ``{items}:published``, hash: when and from which file the state was last published.
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import redis

from archive.db import Archive

if TYPE_CHECKING:
    from archive.ingest import Keys

logger = logging.getLogger(__name__)

#: HSET arguments per pipeline round trip while publishing.
PIPELINE_CHUNK = 1000

# Known entries of articles: each URL of an article (its own and its aliases).
_ARTICLE_ENTRIES = """
    SELECT a.site, u.url, coalesce(a.published_at, a.first_seen_at), a.etag, a.last_modified
    FROM article_urls u JOIN articles a ON a.id = u.article_id {where_alias}
    UNION
    SELECT a.site, a.url, coalesce(a.published_at, a.first_seen_at), a.etag, a.last_modified
    FROM articles a {where_article}
"""
# Pages that gave no article count from their first fetch (crawler.known_articles).
_REJECTED_ENTRIES = """
    SELECT site, url, min(fetched_at) FROM raw_pages
    WHERE article_id IS NULL {where} GROUP BY site, url
"""
# The articles some URLs lead to, for publishing every URL of each after a batch.
_TOUCHED = """
    a.id IN (
        SELECT article_id FROM article_urls WHERE url IN (SELECT value FROM json_each(:urls))
        UNION SELECT id FROM articles WHERE url IN (SELECT value FROM json_each(:urls))
    )
"""
_OPEN_RUNS = """
    WITH last_finished AS (
        SELECT site, max(finished_at) AS at FROM crawl_runs
        WHERE finish_reason = 'finished' GROUP BY site
    )
    SELECT r.id, r.site, r.started_at FROM crawl_runs r
    LEFT JOIN last_finished f ON f.site = r.site
    WHERE f.at IS NULL OR r.started_at > f.at
"""


def known_field(url: str) -> bytes:
    """A URL's field in its site's hash: a digest, not the URL, because URLs are most of
    the memory (a real site's 90-character URLs: 230 KiB per 1,000 entries, 136 with
    digests). 96 bits: a collision is unlikely (about 1 in 10^11) even among 10^9 URLs."""
    return hashlib.blake2b(url.encode("utf-8"), digest_size=12).digest()


def encode_known(
    since: str | None, etag: str | None, last_modified: str | None, *, rejected: bool = False
) -> str:
    """One hash value: JSON, trailing nulls dropped. since is whole Unix seconds, and so
    is a Last-Modified that reads back to the very same text (the standard form). A page
    that gave no article (``rejected``) is marked by a fourth value."""
    values: list[Any] = [_seconds(since), etag, _http_date_seconds(last_modified)]
    if rejected:
        values.append(1)
    while values and values[-1] is None:
        values.pop()
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def is_rejected(raw: bytes | str) -> bool:
    """Whether a hash value is a page that gave no article rather than an article."""
    values = json.loads(raw)
    return len(values) > 3 and values[3] == 1


def decode_known(raw: bytes | str) -> tuple[datetime | None, str | None, str | None]:
    """A hash value back: (since, etag, last_modified), the validators as they came."""
    values = [*json.loads(raw), None, None, None]
    since = datetime.fromtimestamp(values[0], UTC) if values[0] is not None else None
    last_modified = values[2]
    if isinstance(last_modified, int):
        last_modified = format_datetime(datetime.fromtimestamp(last_modified, UTC), usegmt=True)
    return since, values[1], last_modified


def _http_date_seconds(text: str | None) -> str | int | None:
    """An HTTP date as Unix seconds when formatting them gives the text back, else the text:
    a conditional request must send the server's own Last-Modified."""
    if text is None:
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError):
        return text
    if moment.tzinfo is None or format_datetime(moment.astimezone(UTC), usegmt=True) != text:
        return text
    return int(moment.timestamp())


def _seconds(when: str | None) -> int | None:
    """A stored ISO time in Unix seconds; one that cannot be read is no time (never due)."""
    if not when:
        return None
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return int(moment.timestamp())


@dataclass
class Published:
    sites: int = 0
    urls: int = 0
    open_runs: int = 0

    def summary(self) -> str:
        return (
            f"published {self.urls} known URLs of {self.sites} sites and "
            f"{self.open_runs} open runs to Redis"
        )


class KnownPublisher:
    """Writes the archive's known articles and open runs into Redis, whole or by batch."""

    def __init__(self, client: redis.Redis, archive: Archive, keys: Keys, source: str) -> None:
        self.client = client
        self.archive = archive
        self.keys = keys
        #: The archive's file, named in the ``published`` key for whoever looks.
        self.source = source

    def is_published(self) -> bool:
        return bool(self.client.exists(self.keys.published))

    def publish_all(self, keep_lock: Callable[[], None] = lambda: None) -> Published:
        """Rebuild every site's keys from the archive; each site's hash is built aside and
        swapped in whole (RENAME), so a worker never reads a half-built one.

        A large archive takes longer than the writer's lock lasts: ``keep_lock`` renews it
        (or raises, when another writer has it) after each chunk and before the swap, so
        an old snapshot never replaces what a newer writer published.
        """
        totals = Published()
        building: set[str] = set()
        for left in self.client.scan_iter(self._building("*")):  # of a publish killed midway
            self.client.delete(left)
        pipe = self.client.pipeline(transaction=False)
        for site, url, value in self._entries(""):
            if site not in building:
                building.add(site)
                pipe.delete(self._building(site))
            pipe.hset(self._building(site), known_field(url), value)
            totals.urls += 1
            if len(pipe) >= PIPELINE_CHUNK:
                pipe.execute()
                keep_lock()
        pipe.execute()
        keep_lock()
        stale = {self._site_of(key) for key in self.client.scan_iter(self.keys.known("*"))}
        stale |= {self._site_of(key) for key in self.client.scan_iter(self.keys.open_runs("*"))}
        open_runs = self._open_runs()
        pipe = self.client.pipeline(transaction=True)
        for site in building:
            pipe.rename(self._building(site), self.keys.known(site))
        for site in stale - building:
            pipe.delete(self.keys.known(site))
        for site in stale | open_runs.keys():
            pipe.delete(self.keys.open_runs(site))
        for site, runs in open_runs.items():
            pipe.zadd(self.keys.open_runs(site), runs)
            totals.open_runs += len(runs)
        pipe.hset(
            self.keys.published,
            mapping={
                "at": datetime.now(UTC).isoformat(),
                "archive": f"{socket.gethostname()}:{self.source}",
                "urls": totals.urls,
            },
        )
        pipe.execute()
        totals.sites = len(building)
        logger.info("%s", totals.summary())
        return totals

    def publish_urls(self, urls: Iterable[str]) -> int:
        """Publish what the archive now holds for these URLs (and every other URL of the
        articles they lead to): called after a batch with them is committed."""
        wanted = sorted(set(urls))
        if not wanted:
            return 0
        entries = list(self._entries(json.dumps(wanted)))
        pipe = self.client.pipeline(transaction=False)
        for site, url, value in entries:
            pipe.hset(self.keys.known(site), known_field(url), value)
        pipe.execute()
        return len(entries)

    def run_started(self, run_id: int, site: str, started_at: str) -> None:
        """A committed run start: open until a later run of the site finishes."""
        since = _seconds(started_at)
        if since is not None:
            self.client.zadd(self.keys.open_runs(site), {str(run_id): since})

    def run_finished(self, run_id: int, site: str, finished_at: str, reason: str) -> None:
        """A committed run end: a finished run closes every run that started before it."""
        if reason != "finished":
            return
        until = _seconds(finished_at)
        pipe = self.client.pipeline(transaction=True)
        pipe.zrem(self.keys.open_runs(site), str(run_id))
        if until is not None:
            pipe.zremrangebyscore(self.keys.open_runs(site), "-inf", until)
        pipe.execute()

    def _entries(self, urls_json: str) -> Iterator[tuple[str, str, str]]:
        """(site, URL, hash value): rejected pages first, so an article at the same URL,
        which the rule prefers, overwrites it. With ``urls_json``, only those URLs'."""
        db = self.archive.db.conn
        if urls_json:
            parameters: dict[str, str] = {"urls": urls_json}
            rejected = _REJECTED_ENTRIES.format(
                where="AND url IN (SELECT value FROM json_each(:urls))"
            )
            articles = _ARTICLE_ENTRIES.format(
                where_alias=f"WHERE {_TOUCHED}", where_article=f"WHERE {_TOUCHED}"
            )
        else:
            parameters = {}
            rejected = _REJECTED_ENTRIES.format(where="")
            articles = _ARTICLE_ENTRIES.format(where_alias="", where_article="")
        for site, url, first_fetched in db.execute(rejected, parameters):
            yield site, url, encode_known(first_fetched, None, None, rejected=True)
        for site, url, since, etag, last_modified in db.execute(articles, parameters):
            yield site, url, encode_known(since, etag, last_modified)

    def _open_runs(self) -> dict[str, dict[str, int]]:
        runs: dict[str, dict[str, int]] = {}
        for run_id, site, started_at in self.archive.db.conn.execute(_OPEN_RUNS):
            since = _seconds(started_at)
            if since is not None:
                runs.setdefault(site, {})[str(run_id)] = since
        return runs

    def _building(self, site: str) -> str:
        return f"{self.keys.published}:building:{site}"

    def _site_of(self, key: bytes) -> str:
        return key.decode().rsplit(":", 1)[1]
