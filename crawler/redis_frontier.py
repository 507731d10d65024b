"""The shared frontier of a distributed crawl: scrapy-redis's scheduler, made safe to share.

scrapy-redis keeps one request queue and one fingerprint set per spider in Redis, so any
number of `scrapy crawl SITE` processes draw from one frontier and none schedules a URL
another already has. Three things it leaves open are settled here:

- A request popped from Redis exists only in the popping process until it is done; a
  worker killed then would lose it. Here the pop is an atomic LMOVE onto the worker's
  in-flight list, and the entry leaves that list only when Scrapy has finished with the
  request (response parsed, items sent, new requests queued). Each worker refreshes a
  heartbeat key; any worker that finds another's heartbeat expired moves that worker's
  in-flight requests back onto the queue.
- scrapy-redis closes an idle plain spider as soon as its own process has nothing to do,
  and with a non-persistent queue that close wipes the frontier of every other worker.
  Here the queue persists, and a worker closes only when one atomic snapshot shows an
  empty queue and no worker with a request in flight; the last one out deletes the run's
  keys, so the next scheduled run starts from its start URLs again.
- Requests travel as JSON (``archive.redis_codec``), not pickle.
- A worker that loses Redis stops at once (crawler.distributed.redis_lost) instead of
  failing call by call; what it had taken stays on its in-flight list in Redis.

Scrapy has no public hook for "the engine is done with this request", nor for "look at the
scheduler again now" (its own heartbeat polls every 5 s); ``_EngineView`` is the one place
that reads the engine's private slot for both, and fails loudly if Scrapy changes it.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any, Self

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object
from scrapy.utils.request import request_from_dict
from scrapy_redis import defaults
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.distributed import redis_is_lost, redis_lost

logger = logging.getLogger(__name__)


#: Sent with ``worker=`` (its id) by the worker that re-queued a dead worker's requests.
worker_lost = object()


def worker_id(settings: Any) -> str:
    """This process's name among the workers: WORKER_ID, else host:pid."""
    return settings.get("WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}"


def frontier_key(settings: BaseSettings, spider: str, name: str) -> str:
    """A key of a spider's frontier, beside scrapy-redis's queue (``demo:requests:NAME``)."""
    queue = settings.get("SCHEDULER_QUEUE_KEY") or defaults.SCHEDULER_QUEUE_KEY
    return f"{queue % {'spider': spider}}:{name}"


class _EngineView:
    """The engine internals the frontier needs, behind one checked door."""

    def __init__(self, crawler: Crawler) -> None:
        engine = crawler.engine
        slot = getattr(engine, "_slot", None)
        if slot is None or not hasattr(slot, "inprogress") or not hasattr(slot, "nextcall"):
            raise RuntimeError(
                "distributed mode reads Scrapy's engine slot (inprogress, nextcall), which "
                "this Scrapy version does not have; pin the Scrapy version it was tested with"
            )
        self._slot = slot

    def in_progress(self) -> set[Request]:
        return self._slot.inprogress

    def poke(self) -> None:
        """Have the engine ask the scheduler for requests now rather than at its heartbeat."""
        self._slot.nextcall.schedule()


class SharedFrontier(Scheduler):
    """scrapy-redis's scheduler with per-worker in-flight lists, heartbeats and a shared end."""

    crawler: Crawler
    worker: str
    heartbeat_seconds: float
    #: The requests this worker took from Redis, with their bytes on its in-flight list.
    _taken: dict[Request, bytes]
    _engine: _EngineView | None
    _tick: task.LoopingCall

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        frontier = cls.from_settings(crawler.settings)
        frontier.stats = crawler.stats
        frontier.crawler = crawler
        frontier.worker = worker_id(crawler.settings)
        frontier.heartbeat_seconds = crawler.settings.getfloat("WORKER_HEARTBEAT_SECONDS")
        frontier._taken = {}
        frontier._engine = None
        frontier._tick = task.LoopingCall(frontier._on_tick)
        crawler.signals.connect(frontier.spider_idle, signal=signals.spider_idle)
        return frontier

    # Keys: the queue and fingerprints are scrapy-redis's; the rest sit beside them.
    def _key(self, name: str) -> str:
        return f"{self.queue.key}:{name}"

    def _inflight(self, worker: str) -> str:
        return self._key(f"inflight:{worker}")

    def _alive(self, worker: str) -> str:
        return self._key(f"alive:{worker}")

    def open(self, spider: Spider) -> None:
        """scrapy-redis's open, less its `spider.log()` call, which Scrapy 2.19 deprecates
        and which it makes whenever a worker joins a queue that is not empty."""
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server,
            spider=spider,
            key=self.queue_key % {"spider": spider.name},
            serializer=self.serializer,
        )
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        if queued := len(self.queue):
            logger.info("worker %s: joins a run with %d requests queued", self.worker, queued)
        self._beat()
        self._tick.start(min(1.0, self.heartbeat_seconds / 3), now=False)

    def close(self, reason: str) -> None:
        if self._tick.running:
            self._tick.stop()
        if redis_is_lost(self.crawler):
            logger.warning(
                "worker %s: %d taken requests left on its in-flight list in Redis",
                self.worker,
                len(self._taken),
            )
            return
        try:
            self._close(reason)
        except redis.RedisError as error:
            redis_lost(self.crawler, error, "closing the frontier")

    def _close(self, reason: str) -> None:
        if self._taken:
            self._settle()
            self._requeue_taken()
        pipe = self.server.pipeline(transaction=True)
        pipe.srem(self._key("workers"), self.worker)
        pipe.delete(self._alive(self.worker), self._inflight(self.worker))
        pipe.scard(self._key("workers"))
        pipe.llen(self.queue.key)
        *_, workers_left, queued = pipe.execute()
        if reason == "finished" and not workers_left and not queued:
            # The run's listing walk (crawler.redis_known) ends with its frontier.
            self.server.delete(self.queue.key, self.df.key, self._key("workers"), self._key("walk"))
            logger.info("worker %s: the last of the run; frontier cleared", self.worker)

    def has_pending_requests(self) -> bool:
        if redis_is_lost(self.crawler):
            return False
        try:
            return len(self.queue) > 0
        except redis.RedisError as error:
            redis_lost(self.crawler, error, "looking at the queue")
            return False

    def enqueue_request(self, request: Request) -> bool:
        """Queue a request; without Redis it is dropped here, and the page that found it
        (still on this worker's in-flight list in Redis) is parsed again by another."""
        if redis_is_lost(self.crawler):
            return False
        try:
            if not request.dont_filter and self.df.request_seen(request):
                self.stats.inc_value("scheduler/filtered/redis")
                return False
            self.queue.push(request)
        except redis.RedisError as error:
            redis_lost(self.crawler, error, f"queueing {request.url}")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        """The oldest queued request, moved atomically onto this worker's in-flight list."""
        if redis_is_lost(self.crawler):
            return None
        try:
            raw = self.server.lmove(self.queue.key, self._inflight(self.worker), "RIGHT", "LEFT")
        except redis.RedisError as error:
            redis_lost(self.crawler, error, "taking a request")
            return None
        if raw is None:
            return None
        try:
            request = request_from_dict(self.queue.serializer.loads(raw), spider=self.spider)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            logger.error(
                "frontier %s: dropped a request that cannot be read: %s", self.queue.key, error
            )
            self.server.lrem(self._inflight(self.worker), 1, raw)
            return None
        self._taken[request] = raw
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def spider_idle(self) -> None:
        """Close only when the whole run is done, not when this worker happens to be idle.
        A worker that lost Redis is already closing, with its own reason."""
        if redis_is_lost(self.crawler):
            raise DontCloseSpider
        try:
            self._settle()
            self._recover_dead()
            done = self._run_done()
        except redis.RedisError as error:
            redis_lost(self.crawler, error, "checking whether the run is done")
            raise DontCloseSpider from error
        if not done:
            raise DontCloseSpider

    def _on_tick(self) -> None:
        if redis_is_lost(self.crawler):
            return
        try:
            self._beat()
            self._settle()
            self._recover_dead()
        except redis.RedisError as error:
            redis_lost(self.crawler, error, "refreshing its heartbeat")
            return
        self._view().poke()

    def _view(self) -> _EngineView:
        if self._engine is None:
            self._engine = _EngineView(self.crawler)
        return self._engine

    def _beat(self) -> None:
        pipe = self.server.pipeline(transaction=False)
        pipe.set(self._alive(self.worker), 1, px=int(self.heartbeat_seconds * 1000))
        pipe.sadd(self._key("workers"), self.worker)
        pipe.execute()

    def _settle(self) -> None:
        """Drop from the in-flight list what the engine has finished with."""
        in_progress = self._view().in_progress()
        done = [request for request in self._taken if request not in in_progress]
        if not done:
            return
        pipe = self.server.pipeline(transaction=False)
        for request in done:
            pipe.lrem(self._inflight(self.worker), 1, self._taken.pop(request))
        pipe.execute()

    def _requeue_taken(self) -> None:
        """Put back what this worker took and will not finish (it is closing early)."""
        if not self._taken:
            return
        pipe = self.server.pipeline(transaction=True)
        for raw in self._taken.values():
            pipe.rpush(self.queue.key, raw)
            pipe.lrem(self._inflight(self.worker), 1, raw)
        pipe.execute()
        logger.info(
            "worker %s: %d unfinished requests back in the queue", self.worker, len(self._taken)
        )
        self._taken.clear()

    def _recover_dead(self) -> None:
        """Move the in-flight requests of workers whose heartbeat expired back to the queue."""
        for member in self.server.smembers(self._key("workers")):
            worker = member.decode()
            if worker == self.worker or self.server.exists(self._alive(worker)):
                continue
            moved = 0
            # One atomic LMOVE per request: a recoverer dying midway loses nothing either.
            while self.server.lmove(self._inflight(worker), self.queue.key, "RIGHT", "RIGHT"):
                moved += 1
            if not self.server.srem(self._key("workers"), worker):
                continue  # another worker recovered it at the same time
            self.crawler.signals.send_catch_log(worker_lost, worker=worker)
            self.stats.inc_value("scheduler/recovered/redis", moved)
            logger.warning(
                "worker %s: worker %s stopped its heartbeat; %d of its requests back in the queue",
                self.worker,
                worker,
                moved,
            )

    def _run_done(self) -> bool:
        """One atomic look at the queue and every worker's in-flight list."""
        workers = [member.decode() for member in self.server.smembers(self._key("workers"))]
        pipe = self.server.pipeline(transaction=True)
        pipe.llen(self.queue.key)
        for worker in workers:
            pipe.llen(self._inflight(worker))
        return not any(pipe.execute())
