"""The incremental rule for a distributed worker, over what the archive writer publishes.

A worker on another host has no archive file. ``archive ingest`` publishes each site's
known articles and open runs to Redis (archive.redis_publish), and this source answers
the spider's two questions from them, through the interface the local crawl uses
(``KnownRule``), so spiders and extraction do not know which one they have.

Distributed mode always uses it, even where an archive file is at hand: every worker
then answers from the same state, and the default ARCHIVE_PATH (`archive.db` in the
working directory) can never make one worker read a stale local file of its own.

Whether the last run finished is decided once per run, not per worker: the first worker
of a run reads the site's open runs and records the run's listing walk ("full" when an
earlier run is still open, else "incremental") beside the shared frontier; workers that
join later adopt it, so no worker stops paging where another walks on. The last worker
out deletes it with the frontier (crawler.redis_frontier).
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

import redis
from scrapy import signals
from scrapy.crawler import Crawler

from archive.ingest import Keys
from archive.redis_publish import decode_known, is_rejected, known_field
from crawler.distributed import redis_client, redis_is_lost, redis_lost
from crawler.known_articles import Known, KnownRule, candidates
from crawler.redis_frontier import frontier_key

FULL_WALK, INCREMENTAL_WALK = b"full", b"incremental"


class RedisKnownArticles(KnownRule):
    """One site's known articles and open runs, as the archive writer last published them."""

    def __init__(
        self,
        crawler: Crawler,
        client: redis.Redis,
        *,
        site: str,
        keys: Keys,
        walk_key: str,
        recheck_days: int,
        now: datetime,
    ) -> None:
        super().__init__(recheck_days=recheck_days, now=now)
        self.crawler = crawler
        self.client = client
        self.site = site
        self.keys = keys
        self.walk_key = walk_key

    @classmethod
    def from_crawler(cls, crawler: Crawler, *, recheck_days: int, now: datetime) -> Self:
        assert crawler.spider is not None  # asked from the spider's spider_opened
        site = crawler.spider.name
        source = cls(
            crawler,
            redis_client(crawler.settings),
            site=site,
            keys=Keys(crawler.settings.get("REDIS_ITEMS_KEY")),
            walk_key=frontier_key(crawler.settings, site, "walk"),
            recheck_days=recheck_days,
            now=now,
        )
        crawler.signals.connect(source.close, signal=signals.spider_closed)
        return source

    def known(self, url: str) -> Known | None:
        """One round trip: the link as found and in its canonical form. Without Redis the
        worker is stopping and the link counts as new: the frontier, which cannot queue
        it, drops its request, and the page that linked it stays in flight in Redis for
        another worker."""
        if redis_is_lost(self.crawler):
            return None
        fields = [known_field(candidate) for candidate in candidates(url)]
        try:
            values = self.client.hmget(self.keys.known(self.site), fields)
        except redis.RedisError as error:
            redis_lost(self.crawler, error, f"looking up {url}")
            return None
        # As the archive file answers: an article under the link as found or in its
        # canonical form, else a page that gave no article under the link as found.
        found = [raw for raw in values if raw is not None and not is_rejected(raw)]
        if not found and values[0] is not None:
            found = [values[0]]
        return Known(*decode_known(found[0])) if found else None

    def last_run_unfinished(self, site: str, before: datetime) -> bool:
        """The run's listing walk, decided by its first worker: full when a run of the
        site that started before this one is still open (killed, stopped, lost, or its
        end not yet written by the archive writer)."""
        start_time = self.crawler.stats.get_value("start_time")
        if isinstance(start_time, datetime):
            # This worker's own run, once the writer has it, is not "an earlier run".
            before = min(before, start_time)
        try:
            walk = self.client.get(self.walk_key)
            if walk is None:
                # Run starts are kept to the second, as the archive records them.
                earlier = self.client.zcount(
                    self.keys.open_runs(site), "-inf", f"({int(before.timestamp())}"
                )
                decided = FULL_WALK if earlier else INCREMENTAL_WALK
                self.client.set(self.walk_key, decided, nx=True)
                walk = self.client.get(self.walk_key)
        except redis.RedisError as error:
            redis_lost(self.crawler, error, "reading the run's listing walk")
            return False
        return walk == FULL_WALK

    def close(self) -> None:
        self.client.close()
