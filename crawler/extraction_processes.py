"""Article extraction in worker processes beside the crawl (EXTRACTION_PROCESSES = N).

Extraction (`crawler.article_page.article_item`) is a pure function of the response and
most of what a crawl spends beyond Scrapy's own work (bench/README.md). With N worker
processes the crawl's process downloads, reads the listings, runs the pipelines and
writes the archive while the workers turn article responses into items: a crawl can then
use more than one core. With 0 (the default) extraction runs in the crawl's process.

Each worker is a fresh interpreter (the spawn start method: forking the crawl's process,
which runs threads, is unsafe), ignores SIGINT (the crawl stops it after the pages in
hand, as it stops itself) and exits when the crawl's process is gone. A worker extracts one
page at a time, so the crawl always knows which page a worker holds.

What crosses the process boundary: a `FetchedPage` (the response's URL, status, headers,
body and encoding, the request's URL and redirect chain, the fetch time, what the listing
said), and back an `Extraction`: the item or None, the stats it counted, the log records
it made and the exception it raised, which the crawl's process applies, emits and raises
as if extraction had run there. A worker that dies fails only the page it held
(`ExtractionWorkerDied`, that page's recorded error) and is replaced; a worker that dies
before it is ready (it could not import or start) stops the crawl.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import pickle
import resource
import signal
import traceback
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Request, Response, TextResponse

from crawler.faults import record_fault
from crawler.items import Article
from crawler.rejections import Counts
from crawler.sitedef import SiteDefinition

logger = logging.getLogger(__name__)

#: Fork is unsafe in a process that runs threads (the reactor's pool, the archive's).
_CONTEXT = multiprocessing.get_context("spawn")
#: A worker's first message, once its imports are done.
_READY = "ready"
#: Seconds a worker gets to finish its page and stop, or to be reaped once it died.
STOP_TIMEOUT = 10.0


class ExtractionWorkerDied(RuntimeError):
    """The worker extracting a page died (killed, out of memory, a crash in C code)."""


class ExtractionWorkersFailed(RuntimeError):
    """Workers could not start: no page can be extracted."""


@dataclass(frozen=True)
class FetchedPage:
    """What `article_item` reads of a response and its request, sent to a worker."""

    response_class: type[Response]
    url: str
    status: int
    headers: dict[bytes, list[bytes]]
    body: bytes
    #: The encoding the response's text was decoded with (None for a binary response).
    encoding: str | None
    #: The request that got the response (after any redirects), and the URLs redirected from.
    request_url: str | None
    redirect_urls: tuple[str, ...]
    fetched_at: datetime
    listing_section: str | None
    listing_year: int | None

    @classmethod
    def of(
        cls,
        response: Response,
        *,
        fetched_at: datetime,
        listing_section: str | None,
        listing_year: int | None,
    ) -> Self:
        request = response.request
        return cls(
            response_class=type(response),
            url=response.url,
            status=response.status,
            headers={key: list(values) for key, values in response.headers.items()},
            body=response.body,
            encoding=response.encoding if isinstance(response, TextResponse) else None,
            request_url=request.url if request is not None else None,
            redirect_urls=tuple(request.meta.get("redirect_urls", ())) if request else (),
            fetched_at=fetched_at,
            listing_section=listing_section,
            listing_year=listing_year,
        )

    def response(self) -> Response:
        """The response rebuilt: decoded with the same encoding, with its redirect chain."""
        request = None
        if self.request_url is not None:
            meta = {"redirect_urls": list(self.redirect_urls)} if self.redirect_urls else {}
            request = Request(self.request_url, meta=meta)
        text: dict[str, Any] = {}
        if issubclass(self.response_class, TextResponse):
            text["encoding"] = self.encoding
        return self.response_class(
            self.url,
            status=self.status,
            headers=self.headers,
            body=self.body,
            request=request,
            **text,
        )


@dataclass
class StatsCounts:
    """The stats one extraction counts, to be added to the crawl's in its process."""

    values: dict[str, int] = field(default_factory=dict)

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count


@dataclass
class Extraction:
    """A worker's answer for one page."""

    item: Article | None
    counts: dict[str, int]
    records: list[logging.LogRecord]
    error: BaseException | None = None


@dataclass(frozen=True)
class WorkerUsage:
    """A worker's own resource use, reported when it stops."""

    peak_rss_mb: float
    cpu_seconds: float


class Extract(Protocol):
    """What a worker runs on each page: importable by name (it crosses to the worker)."""

    def __call__(
        self, page: FetchedPage, site: SiteDefinition, stats: Counts
    ) -> Article | None: ...


def extract_article_item(page: FetchedPage, site: SiteDefinition, stats: Counts) -> Article | None:
    """What the spider does in its own process with EXTRACTION_PROCESSES = 0."""
    from crawler.article_page import article_item  # the worker's imports, not the crawl's

    return article_item(
        page.response(),
        site,
        fetched_at=page.fetched_at,
        listing_section=page.listing_section,
        listing_year=page.listing_year,
        stats=stats,
    )


class _Records(logging.Handler):
    """Keeps the log records of the page being extracted, ready to be pickled."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        # As QueueHandler.prepare: the arguments may not pickle, the message does.
        record.msg = record.getMessage()
        record.args = None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.records.append(record)

    def taken(self) -> list[logging.LogRecord]:
        records, self.records = self.records, []
        return records


def _serve(connection: Connection, site: SiteDefinition, log_level: int, extract: Extract) -> None:
    """A worker's life: extract each page sent until told to stop or the crawl is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    records = _Records(log_level)
    logging.root.addHandler(records)
    logging.root.setLevel(log_level)
    import crawler.article_page  # noqa: F401 (imported before saying ready)

    try:
        connection.send(_READY)
        while (page := connection.recv()) is not None:
            connection.send(_extracted(page, site, extract, records))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        connection.send(WorkerUsage(usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime))
    except (EOFError, OSError):
        return  # the crawl's process is gone (killed): nobody to answer


def _extracted(
    page: FetchedPage, site: SiteDefinition, extract: Extract, records: _Records
) -> Extraction:
    counts = StatsCounts()
    try:
        item = extract(page, site, counts)
    except Exception as error:  # raised again in the crawl's process
        return Extraction(None, counts.values, records.taken(), _portable(error))
    return Extraction(item, counts.values, records.taken())


def _portable(error: Exception) -> Exception:
    """The exception with the worker's traceback as a note, in a form that pickles."""
    where = "".join(traceback.format_exception(error))
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # any failure to pickle or unpickle
        error = RuntimeError(f"{type(error).__qualname__}: {error}")
    error.add_note(f"raised in an extraction worker process:\n{where}")
    return error


@dataclass
class _Job:
    page: FetchedPage
    future: asyncio.Future[Extraction]


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection
    ready: bool = False
    job: _Job | None = None


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
        return [worker.process.pid for worker in self._workers if worker.process.pid]

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
        ours, theirs = _CONTEXT.Pipe()
        process = _CONTEXT.Process(
            target=_serve,
            args=(theirs, self.site, self.log_level, self.extract_function),
            name=f"extraction-{self.started + 1}",
            daemon=True,
        )
        process.start()
        theirs.close()
        self.started += 1
        worker = _Worker(process, ours)
        self._workers.append(worker)
        self._loop.add_reader(ours.fileno(), self._readable, worker)

    def _readable(self, worker: _Worker) -> None:
        try:
            message = worker.connection.recv()
        except (EOFError, OSError):
            self._lost(worker)
            return
        if message == _READY:
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
        worker.process.join(STOP_TIMEOUT)
        how = _how_it_ended(worker.process)
        self.died += 1
        if not worker.ready:
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
        worker.process.join(STOP_TIMEOUT)
        if worker.process.is_alive():
            logger.warning("site %r: an extraction worker did not stop; killed", self.site.name)
            worker.process.kill()
            worker.process.join()
        worker.connection.close()
        if worker.job is not None and not worker.job.future.done():
            worker.job.future.set_exception(ExtractionWorkersFailed("the pool was closed"))

    def _fail_queued(self, error: Exception) -> None:
        while self._queue:
            job = self._queue.popleft()
            if not job.future.done():
                job.future.set_exception(error)


def _how_it_ended(process: BaseProcess) -> str:
    pid, code = process.pid, process.exitcode
    if code is None:
        return f"(pid {pid}) closed its pipe"
    if code < 0:
        return f"(pid {pid}) was killed by {signal.Signals(-code).name}"
    return f"(pid {pid}) exited with status {code}"


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
