"""Distributed mode: a Scrapy add-on that moves the frontier and the item sink into Redis.

Off unless REDIS_URL is set (`-s REDIS_URL=redis://host:6379/0`), so a local crawl and
`make demo` need no Redis. An add-on rather than lines in settings.py because it must
see the final settings, command line included, before switching components: with
REDIS_URL it replaces the scheduler, the duplicate filter, the archive pipeline and the
run recorder, and leaves every other component (validation, dates, extraction) as is.
Each worker runs the same `scrapy crawl SITE -s REDIS_URL=...`; every worker's spider
yields the site's start URLs and the shared fingerprint set keeps the first of each.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

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
DISTRIBUTED_PROJECT_SETTINGS = {"CRAWL_EXPECT_ARTICLES": False}
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


def redis_problem(settings: BaseSettings) -> str | None:
    """Why distributed mode cannot start (Redis unreachable), or None; checked before a crawl.

    Without it the first sign would be a traceback from inside Scrapy's engine.
    """
    url = settings.get("REDIS_URL")
    if not url:
        return None
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        return f"distributed mode: cannot use Redis at {_without_password(url)}: {error}"
    finally:
        client.close()
    return None


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
