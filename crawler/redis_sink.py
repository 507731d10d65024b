"""The distributed item sink: articles and run records go to Redis for `archive ingest`.

In distributed mode no worker opens the archive: ``RedisItemSink`` takes the place of
``ArchiveArticles`` and ``RedisRunReporter`` that of ``CrawlRunRecorder``, sending what
they would have written as messages (see ``archive.ingest``) that the single writer
applies in order. Each message is pushed before Scrapy counts the request as done, so a
worker killed afterwards has sent it, and one killed before has its request re-queued
and fetched again (the writer's upsert makes the second copy harmless). A page that gave
no article goes too (kind ``rejected``), so the writer keeps its raw page and the next
run's incremental rule knows it, as in a local crawl.

A worker that lost Redis sends nothing more: its items are dropped with the reason, and
their requests, still on its in-flight list in Redis, are fetched again by another.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Self

import redis
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from archive import redis_codec
from archive.ingest import WORKER_STAT, Keys
from crawler import dates
from crawler.distributed import redis_client, redis_is_lost, redis_lost
from crawler.extensions import RUN_COUNTS
from crawler.items import Article, SeenUnchanged
from crawler.pipelines import archive_row
from crawler.redis_frontier import worker_id, worker_lost

RUN_TOKEN_STAT = "distributed/run"


def _keys(crawler: Crawler) -> Keys:
    return Keys(crawler.settings.get("REDIS_ITEMS_KEY"))


def run_token(crawler: Crawler) -> str:
    """This worker's run, named once per process: the writer keys the run's row by it."""
    token = crawler.stats.get_value(RUN_TOKEN_STAT)
    if token is None:
        token = f"{worker_id(crawler.settings)}@{datetime.now(UTC).isoformat()}"
        crawler.stats.set_value(RUN_TOKEN_STAT, token)
        crawler.stats.set_value(WORKER_STAT, worker_id(crawler.settings))
    return token


class RedisItemSink:
    """Push each article onto the writer's list, as ``ArchiveArticles`` would batch it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.client = redis_client(crawler.settings)
        self.key = _keys(crawler).items

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        sink = cls(crawler)
        crawler.signals.connect(sink.item_dropped, signal=signals.item_dropped)
        return sink

    def process_item(self, item: Article | SeenUnchanged) -> Article | SeenUnchanged:
        message: dict[str, object] = {"run": run_token(self.crawler)}
        if isinstance(item, SeenUnchanged):  # a 304 to a conditional re-check
            message.update(kind="seen", url=item.url, seen_at=dates.isoformat(item.seen_at))
        else:
            message.update(kind="article", row=archive_row(item))
        if not self._push(message, item.url):
            raise DropItem(
                f"{item.url}: not sent, Redis is lost; another worker fetches it again",
                log_level="INFO",
            )
        if isinstance(item, Article):
            self.crawler.stats.inc_value("archive/sent")
        return item

    def item_dropped(self, item: Any, exception: BaseException) -> None:
        """A page that gave no article: its raw page goes to the writer with the reason."""
        if isinstance(item, Article) and item.raw_page is not None:
            message = {
                "run": run_token(self.crawler),
                "kind": "rejected",
                "page": item.raw_page,
                "reason": str(exception),
            }
            self._push(message, item.url)

    def _push(self, message: dict[str, Any], url: str | None) -> bool:
        if redis_is_lost(self.crawler):
            return False
        try:
            self.client.lpush(self.key, redis_codec.dumps(message))
        except redis.RedisError as error:
            redis_lost(self.crawler, error, f"sending {url}")
            return False
        return True

    def close_spider(self) -> None:
        self.client.close()


class RedisRunReporter:
    """One crawl_runs row per worker, opened and closed through the writer."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.client = redis_client(crawler.settings)
        self.key = _keys(crawler).items

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        reporter = cls(crawler)
        crawler.signals.connect(reporter.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(reporter.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(reporter.worker_lost, signal=worker_lost)
        return reporter

    @property
    def _open_runs(self) -> str:
        """Hash of worker id -> its run token, for closing the run of a worker that died."""
        return f"{self.key}:open-runs"

    def spider_opened(self, spider: Spider) -> None:
        site = getattr(spider, "site", None)
        try:
            self._send(
                kind="run_started",
                spider=spider.name,
                site=site.name if site else spider.name,
                started_at=dates.isoformat(datetime.now(UTC)),
                worker=worker_id(self.crawler.settings),
            )
            self.client.hset(
                self._open_runs, worker_id(self.crawler.settings), run_token(self.crawler)
            )
        except redis.RedisError as error:
            redis_lost(self.crawler, error, "recording the run's start")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """The run's end and counts. Without Redis nothing can be sent: the run stays
        open in the archive until the worker that finds this one dead closes it."""
        stats = self.crawler.stats.get_stats()
        if not redis_is_lost(self.crawler):
            try:
                self._send(
                    kind="run_finished",
                    finished_at=dates.isoformat(datetime.now(UTC)),
                    finish_reason=reason,
                    counts={column: int(stats.get(key, 0)) for column, key in RUN_COUNTS.items()},
                    stats={name: _sendable(value) for name, value in stats.items()},
                )
                self.client.hdel(self._open_runs, worker_id(self.crawler.settings))
            except redis.RedisError as error:
                redis_lost(self.crawler, error, "recording the run's end")
        self.client.close()

    def worker_lost(self, worker: str) -> None:
        """Close a dead worker's run for it: its counts died with it, the archive's did not."""
        token = self.client.hget(self._open_runs, worker)
        if token is None or not self.client.hdel(self._open_runs, worker):
            return
        self._send(
            kind="run_finished",
            run=token.decode(),
            finished_at=dates.isoformat(datetime.now(UTC)),
            finish_reason="worker_lost",
            counts={},
            stats={WORKER_STAT: worker, "distributed/closed_by": worker_id(self.crawler.settings)},
        )

    def _send(self, **message: Any) -> None:
        message.setdefault("run", run_token(self.crawler))
        self.client.lpush(self.key, redis_codec.dumps(message))


def _sendable(value: Any) -> Any:
    """Stats values are numbers, text and datetimes; anything else goes as its text."""
    if value is None or isinstance(value, str | int | float | bool | datetime):
        return value
    return str(value)
