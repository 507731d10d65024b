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
page's recorded error and fault) and is replaced; so does one that spends longer than
EXTRACTION_TIMEOUT on one page (`ExtractionTimedOut`: it is killed, as extraction in the
crawl's own process could not be stopped). One that dies before it is ready (it could not
start or import) stops the crawl.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import pickle
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from crawler.extraction_worker import (
    HEADER,
    READY,
    Extract,
    Extraction,
    FetchedPage,
    WorkerSetup,
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
#: Pages a worker may have been sent and not yet answered.
PAGES_AHEAD = 8
#: Bytes the kernel buffers each way between the crawl and a worker: a few heavy pages.
SOCKET_BUFFER = 1024 * 1024


class ExtractionWorkerDied(RuntimeError):
    """The worker extracting a page died (killed, out of memory, a crash in C code)."""


class ExtractionTimedOut(RuntimeError):
    """A page took its worker longer than the pool's timeout: the worker was killed."""


class ExtractionWorkersFailed(RuntimeError):
    """Workers could not start: no page can be extracted."""


@dataclass
class _Job:
    page: FetchedPage
    future: asyncio.Future[Extraction]


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    #: The pages sent to it, in order: it extracts the first.
    jobs: deque[_Job] = field(default_factory=deque)
    writer: asyncio.StreamWriter | None = None
    ready: bool = False
    stopping: bool = False
    #: Killed for not becoming ready within START_TIMEOUT.
    too_slow: bool = False
    #: Kills it when it is still on its first page after the pool's timeout.
    deadline: asyncio.TimerHandle | None = None
    #: The page it was killed for spending longer than the pool's timeout on.
    timed_out: _Job | None = None


class ExtractionPool:
    """`processes` worker processes extracting pages for one site, in asyncio's loop.

    Pages wait in a queue here and go to the worker with the fewest, up to PAGES_AHEAD
    each, so that a worker has its next page at hand while this process is busy (writing
    a batch to the archive takes tens of milliseconds). A worker extracts its pages in
    order, so when one dies the first of its pages is the one it held: that page fails,
    the others go back to the queue. Writes to a worker never block the crawl: they are
    buffered by asyncio's stream. A worker still on its first page `timeout` seconds after
    it began it (None: no limit) is killed, and that page fails as with a death.
    """

    def __init__(self, setup: WorkerSetup, processes: int, timeout: float | None = None) -> None:
        if processes < 1:
            raise ValueError(f"an extraction pool needs at least one process, not {processes}")
        if timeout is not None and not (0 < timeout < math.inf):
            raise ValueError(f"an extraction timeout must be positive seconds, not {timeout}")
        self.setup = setup
        self.site = setup.site
        self.processes = processes
        self.timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workers: list[_Worker] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._queue: deque[_Job] = deque()
        #: Why the pool cannot extract, once a worker failed to start.
        self.failed: str | None = None
        self.closed = False
        self.started = 0
        self.died = 0
        self.usages: list[WorkerUsage] = []

    def start(self) -> None:
        """Start the workers; call it from the running asyncio loop."""
        self._loop = asyncio.get_running_loop()
        for _ in range(self.processes):
            if not self._start_worker():
                return

    @property
    def pids(self) -> list[int]:
        return [worker.process.pid for worker in self._workers]

    async def extract(self, page: FetchedPage) -> Extraction:
        if self.failed is not None:
            raise ExtractionWorkersFailed(self.failed)
        if self._loop is None or self.closed:
            raise self._not_open()
        job = _Job(page, self._loop.create_future())
        self._queue.append(job)
        self._dispatch()
        return await job.future

    async def close(self) -> None:
        """Stop every worker after the pages it holds; kill one that does not stop."""
        self.closed = True
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.stopping = True
            self._disarm(worker)  # closing waits STOP_TIMEOUT for it, then kills it
            if worker.writer is None:
                worker.process.kill()  # not even set up yet
            else:
                _write(worker.writer, None)
        talking = self._tasks - {asyncio.current_task()}
        if talking:
            _, late = await asyncio.wait(talking, timeout=STOP_TIMEOUT)
            for task in late:
                task.cancel()
        for worker in workers:
            await _reap(worker.process, self.site.name)
            _fail(worker.jobs, self._not_open())
        _fail(self._queue, self._not_open())

    def _not_open(self) -> ExtractionWorkersFailed:
        """For pages asked for, or still waiting, when the pool is not (or no longer) open."""
        return ExtractionWorkersFailed(f"site {self.site.name!r}: the extraction pool is not open")

    def _start_worker(self) -> bool:
        """Start a worker; False, with the pool failed, when no process can be started."""
        assert self._loop is not None
        ours, theirs = socket.socketpair()
        for end in (ours, theirs):  # a page or an answer in one write
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
            end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        # -P: the working directory is not put on the worker's import path (a crawl run
        # in a shared directory would import what lies there); the crawl's path is.
        command = [sys.executable, "-P", "-m", "crawler.extraction_worker", str(theirs.fileno())]
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            with theirs:
                # A process group of its own: a terminal's Ctrl-C reaches the crawl, which
                # stops its workers after the pages they hold.
                process = subprocess.Popen(
                    command, pass_fds=(theirs.fileno(),), env=environment, process_group=0
                )
        except OSError as error:
            ours.close()
            reason = f"site {self.site.name!r}: an extraction worker could not start: {error}"
            self._fail_all(reason)
            return False
        worker = _Worker(process)
        self.started += 1
        self._workers.append(worker)
        task = self._loop.create_task(self._talk(worker, ours))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._loop.call_later(START_TIMEOUT, self._check_started, worker)
        return True

    def _fail_all(self, reason: str) -> None:
        self.failed = reason
        _fail(self._queue, ExtractionWorkersFailed(reason))

    async def _talk(self, worker: _Worker, connection: socket.socket) -> None:
        """Send the worker its set-up, then read its answers until its socket closes."""
        reader, worker.writer = await asyncio.open_connection(sock=connection)
        _write(worker.writer, sys.path)
        _write(worker.writer, self.setup)
        try:
            while True:
                self._answered(worker, await _read(reader))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # its socket closed: it stopped or died
        finally:
            worker.writer.close()
        if not worker.stopping:
            await self._lost(worker)

    def _check_started(self, worker: _Worker) -> None:
        if worker in self._workers and not worker.ready:
            worker.too_slow = True
            worker.process.kill()  # its closed socket ends it as a failed start

    def _answered(self, worker: _Worker, message: bytes) -> None:
        try:
            answer = pickle.loads(message)
        except Exception as error:  # an answer that does not unpickle here
            answer = RuntimeError(f"unreadable answer from an extraction worker: {error!r}")
        if answer == READY:
            worker.ready = True
        elif isinstance(answer, WorkerUsage):
            self.usages.append(answer)
        elif worker.jobs:
            job = worker.jobs.popleft()
            self._watch(worker)
            if job.future.done():
                pass  # cancelled while the worker had it
            elif isinstance(answer, Exception):
                job.future.set_exception(answer)
            else:
                answer.restore_body(job.page)
                job.future.set_result(answer)
        self._dispatch()

    def _dispatch(self) -> None:
        while self._queue:
            ready = [w for w in self._workers if w.ready and w.writer is not None]
            worker = min(ready, key=lambda w: len(w.jobs), default=None)
            if worker is None or len(worker.jobs) >= PAGES_AHEAD:
                return
            job = self._queue.popleft()
            if job.future.done():
                continue  # cancelled while it waited
            worker.jobs.append(job)
            if len(worker.jobs) == 1:
                self._watch(worker)
            assert worker.writer is not None
            _write(worker.writer, job.page)

    def _watch(self, worker: _Worker) -> None:
        """Set the deadline of the page the worker is now on, its first."""
        self._disarm(worker)
        if worker.jobs and self.timeout is not None and not worker.stopping:
            assert self._loop is not None
            worker.deadline = self._loop.call_later(
                self.timeout, self._overdue, worker, worker.jobs[0]
            )

    @staticmethod
    def _disarm(worker: _Worker) -> None:
        if worker.deadline is not None:
            worker.deadline.cancel()
            worker.deadline = None

    def _overdue(self, worker: _Worker, job: _Job) -> None:
        if worker in self._workers and worker.jobs and worker.jobs[0] is job:
            worker.timed_out = job
            worker.process.kill()  # its closed socket fails the page, as a death does

    async def _lost(self, worker: _Worker) -> None:
        """A worker's socket closed unasked: it died. Fail the page it held, put back the
        pages it had not begun, start another."""
        if worker not in self._workers:
            return
        self._workers.remove(worker)
        self._disarm(worker)
        how = await _reap(worker.process, self.site.name)
        self.died += 1
        if self.closed:  # closed while it was reaped, without this worker among its own
            _fail(worker.jobs, self._not_open())
            return
        if not worker.ready:
            if worker.too_slow:
                how = f"(pid {worker.process.pid}) did not start within {START_TIMEOUT:.0f} s"
            self._fail_all(f"site {self.site.name!r}: an extraction worker {how} while starting")
            await self.close()
            return
        held = worker.jobs.popleft() if worker.jobs else None
        if worker.timed_out is not None and held is not worker.timed_out and held is not None:
            # The overdue page's answer was already waiting to be read when the deadline
            # fired (the loop was busy): the page the worker was on had not overrun.
            worker.jobs.appendleft(held)
            held = None
        self._queue.extendleft(reversed(worker.jobs))
        worker.jobs.clear()
        self._dispatch()  # to the other workers, if any has room
        if held is not None:
            if held.future.done():
                pass  # cancelled while the worker had it
            elif held is worker.timed_out:
                held.future.set_exception(
                    ExtractionTimedOut(
                        f"site {self.site.name!r}: {held.page.url}: extraction took longer "
                        f"than {self.timeout:g} s (EXTRACTION_TIMEOUT); its worker "
                        f"(pid {worker.process.pid}) was killed; not archived"
                    )
                )
            else:
                held.future.set_exception(
                    ExtractionWorkerDied(
                        f"site {self.site.name!r}: {held.page.url}: the extraction worker "
                        f"{how} while extracting it; not archived"
                    )
                )
        elif worker.timed_out is None:
            logger.warning("site %r: an extraction worker %s; replaced", self.site.name, how)
        self._start_worker()


def _write(writer: asyncio.StreamWriter, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    writer.write(HEADER.pack(len(data)))
    writer.write(data)


async def _read(reader: asyncio.StreamReader) -> bytes:
    (size,) = HEADER.unpack(await reader.readexactly(HEADER.size))
    return await reader.readexactly(size)


def _fail(jobs: deque[_Job], error: Exception) -> None:
    while jobs:
        job = jobs.popleft()
        if not job.future.done():
            job.future.set_exception(error)


async def _reap(process: subprocess.Popen[bytes], site: str) -> str:
    """Wait for a worker whose socket closed to end (killed after STOP_TIMEOUT), and say how
    it ended; reaped here, it leaves no zombie."""
    deadline = time.monotonic() + STOP_TIMEOUT
    while process.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    if process.poll() is None:
        logger.warning("site %r: an extraction worker did not stop; killed", site)
        process.kill()
        process.wait()
        return f"(pid {process.pid}) did not stop and was killed"
    code = process.returncode
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
        timeout = settings.get("EXTRACTION_TIMEOUT")
        try:
            timeout = float(timeout)
        except (TypeError, ValueError):
            timeout = math.nan
        if not math.isfinite(timeout) or timeout < 0:
            raise ValueError(
                "EXTRACTION_TIMEOUT must be 0 (no limit) or more seconds, "
                f"not {settings.get('EXTRACTION_TIMEOUT')!r}"
            )
        level = settings.get("LOG_LEVEL") if settings.getbool("LOG_ENABLED") else "CRITICAL"
        if isinstance(level, str):
            level = int(level) if level.isdigit() else logging.getLevelNamesMapping()[level]
        setup = WorkerSetup(
            site,
            extract,
            log_level=level,
            gc_freeze=settings.getbool("GC_FREEZE_STARTUP"),
            gc_young_threshold=settings.getint("GC_YOUNG_THRESHOLD"),
        )
        pool = ExtractionPool(setup, processes, timeout or None)
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

    async def spider_closed(self) -> None:
        await self.pool.close()
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
        except ExtractionTimedOut as error:
            record_fault(self.crawler, "extraction_timeout", response.url, str(error))
            raise
        stats = self.crawler.stats
        for key, count in extraction.counts.items():
            stats.inc_value(key, count)
        for record in extraction.records:
            logging.getLogger(record.name).handle(record)
        if extraction.error is not None:
            raise extraction.error
        return extraction.item
