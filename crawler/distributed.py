"""Distributed mode: a Scrapy add-on that moves the frontier and the item sink into Redis.

Off unless REDIS_URL is set (`-s REDIS_URL=redis://host:6379/0`), so a local crawl and
`make demo` need no Redis. An add-on rather than lines in settings.py because it must
see the final settings, command line included, before switching components: with
REDIS_URL it replaces the scheduler, the duplicate filter, the archive pipeline and the
run recorder, and leaves every other component (validation, dates, extraction) as is.
Each worker runs the same `scrapy crawl SITE -s REDIS_URL=...`; every worker's spider
yields the site's start URLs and the shared fingerprint set keeps the first of each. The
incremental rules read what the archive writer publishes to Redis (crawler.redis_known),
never a local archive file.

A worker that loses Redis stops (``redis_lost``): it cannot take, finish or report work.
What it had taken stays on its in-flight list in Redis, where another worker finds it
once Redis is back, and the run ends with reason ``redis_lost`` and a failing verdict.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import redis
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object
from scrapy_redis.connection import get_redis_from_settings

from archive.ingest import Keys

logger = logging.getLogger(__name__)

#: Settings this mode sets when REDIS_URL is given (and the command line did not).
DISTRIBUTED_SETTINGS = {
    "SCHEDULER": "crawler.redis_frontier.SharedFrontier",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    # A list, popped with LMOVE onto the popping worker's in-flight list.
    "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.FifoQueue",
    # The frontier outlives any one worker; the last worker of a finished run clears it.
    "SCHEDULER_PERSIST": True,
    "SCHEDULER_SERIALIZER": "archive.redis_codec",
}
#: Project settings this mode changes (at the project's priority, so `-s` still wins). A
#: worker's share of a run can hold no article page: the run is judged by what the writer
#: archives (`archive runs`), not worker by worker.
DISTRIBUTED_PROJECT_SETTINGS = {
    "CRAWL_EXPECT_ARTICLES": False,
    "KNOWN_ARTICLES": "crawler.redis_known.RedisKnownArticles",
}
#: The finish reason, and the stat holding what failed, of a worker that lost Redis.
REDIS_LOST = "redis_lost"
REDIS_LOST_STAT = "distributed/redis_lost"
SWAPPED_COMPONENTS = {
    "ITEM_PIPELINES": ("crawler.pipelines.ArchiveArticles", "crawler.redis_sink.RedisItemSink"),
    "EXTENSIONS": (
        "crawler.extensions.CrawlRunRecorder",
        "crawler.redis_sink.RedisRunReporter",
    ),
}


class DistributedMode:
    """Switches a crawl to the shared Redis frontier and item list when REDIS_URL is set."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        for name, value in DISTRIBUTED_SETTINGS.items():
            settings.set(name, value, priority="addon")
        for name, value in DISTRIBUTED_PROJECT_SETTINGS.items():
            settings.set(name, value, priority="project")
        for name, (local, distributed) in SWAPPED_COMPONENTS.items():
            settings.replace_in_component_priority_dict(
                name, load_object(local), load_object(distributed)
            )


def redis_client(settings: BaseSettings) -> redis.Redis:
    """A client as scrapy-redis's frontier makes one (REDIS_URL, REDIS_PARAMS): with its
    socket timeouts, a Redis that stops answering ends the worker instead of hanging it."""
    return get_redis_from_settings(settings)


def redis_problem(settings: BaseSettings) -> str | None:
    """Why distributed mode cannot start, or None; checked before a crawl.

    Redis must answer, and for an incremental crawl the archive writer must have
    published what the archive holds: without it every worker would take every article
    for new and fetch the whole site again (a fresh or flushed Redis). Without this
    check the first sign would be a traceback from inside Scrapy's engine, or that
    re-fetch.
    """
    url = settings.get("REDIS_URL")
    if not url:
        return None
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    published = Keys(settings.get("REDIS_ITEMS_KEY")).published
    try:
        client.ping()
        if settings.getbool("INCREMENTAL_CRAWL") and not client.exists(published):
            return (
                f"distributed mode: nothing published at {published!r} in Redis at "
                f"{_without_password(url)}: start the archive writer first (`archive ingest "
                f"--redis URL --db ARCHIVE` publishes what the archive holds), or crawl "
                "everything with -s INCREMENTAL_CRAWL=False"
            )
    except redis.RedisError as error:
        return f"distributed mode: cannot use Redis at {_without_password(url)}: {error}"
    finally:
        client.close()
    return None


def redis_is_lost(crawler: Crawler) -> bool:
    return crawler.stats.get_value(REDIS_LOST_STAT) is not None


def redis_lost(crawler: Crawler, error: redis.RedisError, doing: str) -> None:
    """Stop this worker, once, with one line that says why; callers then skip Redis."""
    if redis_is_lost(crawler):
        return
    crawler.stats.set_value(REDIS_LOST_STAT, f"{doing}: {error}")
    logger.error(
        "distributed mode: lost Redis at %s while %s (%s); this worker stops, and the "
        "requests it had taken stay in Redis for the other workers",
        _without_password(crawler.settings.get("REDIS_URL")),
        doing,
        error,
    )
    try:
        engine = crawler.engine
    except RuntimeError:  # not crawling yet: nothing to stop
        return
    if engine.spider is not None:
        closing = deferred_from_coro(engine.close_spider_async(reason=REDIS_LOST))
        closing.addErrback(lambda failure: logger.debug("closing: %s", failure.value))


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
