"""Article extraction in worker processes beside the crawl (EXTRACTION_PROCESSES = N).

Extraction (`crawler.article_page.article_item`) is a pure function of the response and
most of what a crawl spends beyond Scrapy's own work (bench/README.md). With N worker
processes the crawl's process downloads, reads the listings, runs the pipelines and
writes the archive while the workers turn article responses into items: a crawl can then
use more than one core. With 0 (the default) extraction runs in the crawl's process.

Each worker is a fresh interpreter (`python -m crawler.extraction_worker`, which says
how it lives) that extracts one page at a time, so the crawl always knows which page a
worker holds.

Pages wait in this process for a free worker; the worker's answer (the item, its stats,
its log records, its exception) is applied, emitted and raised here as if extraction had
run here. A worker that dies fails only the page it held (`ExtractionWorkerDied`: that
page's recorded error and fault) and is replaced; one that dies before it is ready (it
could not start or import) stops the crawl.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from crawler.extraction_worker import (
    READY,
    Extract,
    Extraction,
    FetchedPage,
    WorkerUsage,
    extract_article_item,
)
from crawler.faults import record_fault
from crawler.items import Article
from crawler.sitedef import SiteDefinition

logger = logging.getLogger(__name__)

#: Seconds a worker gets to finish its page and stop, or to be reaped once it died.
STOP_TIMEOUT = 10.0
#: Seconds a worker gets to import what it needs and say it is ready (about 1 s on an
#: idle machine).
START_TIMEOUT = 120.0


class ExtractionWorkerDied(RuntimeError):
    """The worker extracting a page died (killed, out of memory, a crash in C code)."""


class ExtractionWorkersFailed(RuntimeError):
    """Workers could not start: no page can be extracted."""


@dataclass
class _Job:
    page: FetchedPage
    future: asyncio.Future[Extraction]


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    connection: Connection
    ready: bool = False
    job: _Job | None = None
    #: Killed for not becoming ready within START_TIMEOUT.
    too_slow: bool = False


class ExtractionPool:
    """`processes` worker processes extracting pages for one site, in asyncio's loop.

    Pages wait in a queue in this process and go to a worker that is free, one at a time,
    so a worker that dies takes down only the page it held.
    """

    def __init__(
        self,
        site: SiteDefinition,
        processes: int,
        *,
        log_level: int = logging.INFO,
        extract: Extract = extract_article_item,
    ) -> None:
        if processes < 1:
            raise ValueError(f"an extraction pool needs at least one process, not {processes}")
        self.site = site
        self.processes = processes
        self.log_level = log_level
        self.extract_function = extract
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workers: list[_Worker] = []
        self._queue: deque[_Job] = deque()
        #: Why the pool cannot extract, once a worker failed to start.
        self.failed: str | None = None
        self.started = 0
        self.died = 0
        self.usages: list[WorkerUsage] = []

    def start(self) -> None:
        """Start the workers; call it from the running asyncio loop."""
        self._loop = asyncio.get_running_loop()
        for _ in range(self.processes):
            self._start_worker()

    @property
    def pids(self) -> list[int]:
        return [worker.process.pid for worker in self._workers]

    async def extract(self, page: FetchedPage) -> Extraction:
        if self.failed is not None:
            raise ExtractionWorkersFailed(self.failed)
        if self._loop is None:
            raise RuntimeError("the extraction pool is not started")
        job = _Job(page, self._loop.create_future())
        self._queue.append(job)
        self._dispatch()
        return await job.future

    def close(self) -> None:
        """Stop every worker after the page it holds; kill one that does not stop."""
        for worker in self._workers:
            self._forget(worker)
            with contextlib.suppress(OSError):  # already gone
                worker.connection.send(None)
        for worker in self._workers:
            self._stop(worker)
        self._workers = []
        self._fail_queued(ExtractionWorkersFailed("the extraction pool was closed"))

    def _start_worker(self) -> None:
        assert self._loop is not None
        ours, theirs = socket.socketpair()
        command = [sys.executable, "-m", "crawler.extraction_worker", str(theirs.fileno())]
        with theirs:
            process = subprocess.Popen(command, pass_fds=(theirs.fileno(),))
        connection = Connection(ours.detach())
        worker = _Worker(process, connection)
        self.started += 1
        self._workers.append(worker)
        try:
            connection.send(sys.path)
            connection.send((self.site, self.log_level, self.extract_function))
        except OSError:
            pass  # it died at once: its end of the socket is closed, which _readable sees
        self._loop.add_reader(connection.fileno(), self._readable, worker)
        self._loop.call_later(START_TIMEOUT, self._check_started, worker)

    def _check_started(self, worker: _Worker) -> None:
        if worker in self._workers and not worker.ready:
            worker.too_slow = True
            worker.process.kill()  # its closed socket ends it as a failed start

    def _readable(self, worker: _Worker) -> None:
        try:
            message = worker.connection.recv()
        except (EOFError, OSError):
            self._lost(worker)
            return
        except Exception as error:  # an answer that does not unpickle here
            message = RuntimeError(f"unreadable answer from an extraction worker: {error!r}")
        if isinstance(message, Exception) and worker.ready and worker.job is not None:
            if not worker.job.future.done():
                worker.job.future.set_exception(message)
            worker.job = None
        elif message == READY:
            worker.ready = True
        else:
            job, worker.job = worker.job, None
            if job is not None and not job.future.done():
                job.future.set_result(message)
        self._dispatch()

    def _dispatch(self) -> None:
        while self._queue:
            free = next((w for w in self._workers if w.ready and w.job is None), None)
            if free is None:
                return
            job = self._queue.popleft()
            if job.future.done():
                continue  # cancelled while it waited
            try:
                free.connection.send(job.page)
            except OSError:
                # The worker is gone; the page was not its fault.
                self._queue.appendleft(job)
                self._lost(free)
                return
            free.job = job

    def _lost(self, worker: _Worker) -> None:
        """A worker's end of the pipe closed: it died. Fail its page, start another."""
        if worker not in self._workers:
            return
        self._workers.remove(worker)
        self._forget(worker)
        worker.connection.close()
        how = _how_it_ended(worker.process)
        self.died += 1
        if not worker.ready:
            if worker.too_slow:
                how = f"(pid {worker.process.pid}) did not start within {START_TIMEOUT:.0f} s"
            self.failed = f"site {self.site.name!r}: an extraction worker {how} while starting"
            self._fail_queued(ExtractionWorkersFailed(self.failed))
            self.close()
            return
        if worker.job is not None:
            url = worker.job.page.url
            worker.job.future.set_exception(
                ExtractionWorkerDied(
                    f"site {self.site.name!r}: {url}: the extraction worker {how} "
                    "while extracting it; not archived"
                )
            )
        else:
            logger.warning("site %r: an extraction worker %s; replaced", self.site.name, how)
        self._start_worker()
        self._dispatch()

    def _forget(self, worker: _Worker) -> None:
        if self._loop is not None and not worker.connection.closed:
            self._loop.remove_reader(worker.connection.fileno())

    def _stop(self, worker: _Worker) -> None:
        try:
            while worker.connection.poll(STOP_TIMEOUT):
                message = worker.connection.recv()
                if isinstance(message, WorkerUsage):
                    self.usages.append(message)
                    break
        except (EOFError, OSError):
            pass
        try:
            worker.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            logger.warning("site %r: an extraction worker did not stop; killed", self.site.name)
            worker.process.kill()
            worker.process.wait()
        worker.connection.close()
        if worker.job is not None and not worker.job.future.done():
            worker.job.future.set_exception(ExtractionWorkersFailed("the pool was closed"))

    def _fail_queued(self, error: Exception) -> None:
        while self._queue:
            job = self._queue.popleft()
            if not job.future.done():
                job.future.set_exception(error)


def _how_it_ended(process: subprocess.Popen[bytes]) -> str:
    """How a worker whose socket closed ended (it is reaped here, so it leaves no zombie)."""
    try:
        code = process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
        return f"(pid {process.pid}) closed its socket and was killed"
    if code < 0:
        return f"(pid {process.pid}) was killed by {signal.Signals(-code).name}"
    return f"(pid {process.pid}) exited with status {code}"


class ExtractionProcesses:
    """EXTRACTION_PROCESSES workers for a crawl's article pages, from the spider's opening
    to its close; their starts, deaths, peak RSS and CPU go into the crawl's stats."""

    def __init__(self, crawler: Crawler, pool: ExtractionPool) -> None:
        self.crawler = crawler
        self.pool = pool
        self.failure_logged = False

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, site: SiteDefinition, extract: Extract = extract_article_item
    ) -> Self | None:
        """None with EXTRACTION_PROCESSES = 0: the spider then extracts in its own process."""
        settings = crawler.settings
        processes = settings.getint("EXTRACTION_PROCESSES")
        if processes < 0:
            raise ValueError(f"EXTRACTION_PROCESSES must be 0 or more, not {processes}")
        if not processes:
            return None
        level = settings.get("LOG_LEVEL") if settings.getbool("LOG_ENABLED") else "CRITICAL"
        if isinstance(level, str):
            level = logging.getLevelNamesMapping()[level.upper()]
        pool = ExtractionPool(site, processes, log_level=level, extract=extract)
        extension = cls(crawler, pool)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self.pool.start()
        self.crawler.stats.set_value("extraction/processes", self.pool.processes)
        logger.info(
            "site %r: article pages extracted in %d worker processes (pids %s)",
            self.pool.site.name,
            self.pool.processes,
            ", ".join(map(str, self.pool.pids)),
        )

    def spider_closed(self) -> None:
        self.pool.close()
        stats = self.crawler.stats
        stats.set_value("extraction/workers_started", self.pool.started)
        stats.set_value("extraction/workers_died", self.pool.died)
        usages = self.pool.usages
        stats.set_value("extraction/workers_peak_rss_mb", round(sum(u.peak_rss_mb for u in usages)))
        stats.set_value(
            "extraction/workers_cpu_seconds", round(sum(u.cpu_seconds for u in usages), 2)
        )

    async def article_item(
        self,
        response: Response,
        *,
        fetched_at: datetime,
        listing_section: str | None,
        listing_year: int | None,
    ) -> Article | None:
        """`article_item` of the response, extracted by a worker; its stats, log records
        and exception are the crawl's as if it had run here."""
        page = FetchedPage.of(
            response,
            fetched_at=fetched_at,
            listing_section=listing_section,
            listing_year=listing_year,
        )
        try:
            extraction = await self.pool.extract(page)
        except ExtractionWorkersFailed as error:
            if not self.failure_logged:
                self.failure_logged = True
                logger.error("%s; the crawl stops", error)
            raise CloseSpider("extraction_failed") from error
        except ExtractionWorkerDied as error:
            record_fault(self.crawler, "extraction_worker_died", response.url, str(error))
            raise
        stats = self.crawler.stats
        for key, count in extraction.counts.items():
            stats.inc_value(key, count)
        for record in extraction.records:
            logging.getLogger(record.name).handle(record)
        if extraction.error is not None:
            raise extraction.error
        return extraction.item
