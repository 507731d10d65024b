"""An extraction worker process: `python -m crawler.extraction_worker FD`, started by
crawler/extraction_processes.py, never by hand.

It reads what extraction needs of a response (`FetchedPage`) from the socket FD and
answers with an `Extraction`: the item or None, the stats it counted, the log records it
made and the exception it raised, for the crawl's process to apply, emit and raise as if
extraction had run there. It is a fresh interpreter of its own, not a fork of the crawl's
process (which runs threads) nor a re-run of its main module (as multiprocessing's spawn
does: a crawl started from a script would start again in each worker). It ignores SIGINT,
SIGTERM and SIGHUP, which a terminal or a service manager sends to every process of the
crawl: the crawl stops its workers itself, after the pages in hand; and it exits when
the crawl's process is gone.
"""

from __future__ import annotations

import signal

if __name__ == "__main__":  # a worker: before the imports, which take a second
    for _stop in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(_stop, signal.SIG_IGN)

import gc
import logging
import pickle
import re
import resource
import socket
import struct
import sys
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from logging.handlers import QueueHandler
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol, Self

from scrapy.http import Request, Response, TextResponse

from crawler.items import Article
from crawler.rejections import Counts
from crawler.sitedef import SiteDefinition

#: A worker's first message, once its imports are done.
READY = "ready"
#: Each message, either way: its length, then the pickle.
HEADER = struct.Struct("!Q")


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker is told once, after its start: what to extract and how to run."""

    site: SiteDefinition
    extract: Extract = field(default_factory=lambda: extract_article_item)
    #: Records below this level are not made (the crawl's LOG_LEVEL).
    log_level: int = logging.INFO
    #: The crawl's GC_FREEZE_STARTUP and GC_YOUNG_THRESHOLD (crawler/collector.py): a worker
    #: allocates as the crawl did when it extracted, and gains as much from them.
    gc_freeze: bool = False
    gc_young_threshold: int = 0


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
    #: The item's raw page came without its body, which is the page's (`restore_body`).
    body_left_out: bool = False

    def restore_body(self, page: FetchedPage) -> None:
        if self.body_left_out and self.item is not None and self.item.raw_page is not None:
            self.item.raw_page["body"] = page.body
            self.body_left_out = False


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


class _Records(QueueHandler):
    """Keeps the log records of the page being extracted, made ready to pickle as
    `QueueHandler` makes them (the message formatted, the arguments dropped; a record
    that cannot be formatted is reported as logging reports it)."""

    def __init__(self, level: int) -> None:
        self.records: list[logging.LogRecord] = []
        super().__init__(SimpleNamespace(put_nowait=self.records.append))
        self.setLevel(level)

    def taken(self) -> list[logging.LogRecord]:
        records = self.records.copy()
        self.records.clear()
        return records


def main() -> None:
    """Serve the crawl's process on the socket whose descriptor is the one argument: first
    its import path (`sys.path`), then a WorkerSetup, then pages until None."""
    with socket.socket(fileno=int(sys.argv[1])) as connection:
        try:
            _serve(connection)
        except (EOFError, OSError):
            return  # the crawl's process is gone (killed): nobody to answer


def _serve(connection: socket.socket) -> None:
    sys.path.extend(path for path in _receive(connection) if path not in sys.path)
    setup: WorkerSetup = _receive(connection)
    records = _Records(setup.log_level)
    logging.root.addHandler(records)
    logging.root.setLevel(setup.log_level)
    import crawler.article_page  # noqa: F401 (imported before saying ready)

    if setup.gc_freeze:
        gc.collect()
        gc.freeze()
    if setup.gc_young_threshold:
        gc.set_threshold(setup.gc_young_threshold, *gc.get_threshold()[1:])
    _send(connection, READY)
    while (page := _receive(connection)) is not None:
        answer = _extracted(page, setup.site, setup.extract, records)
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # an item or a record that does not pickle fails its page
            failed = RuntimeError(f"{page.url}: the extraction's answer does not pickle: {error!r}")
            data = pickle.dumps(Extraction(None, answer.counts, [], failed))
        _send_data(connection, data)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _send(connection, WorkerUsage(_peak_rss_mb(usage), usage.ru_utime + usage.ru_stime))


def _peak_rss_mb(usage: resource.struct_rusage) -> float:
    """This process's peak RSS. Linux's ru_maxrss counts the crawl's process too, as it
    was when it forked this one (before the exec); the memory map's own peak does not."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return usage.ru_maxrss / 1024
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else usage.ru_maxrss / 1024


def _send(connection: socket.socket, message: object) -> None:
    _send_data(connection, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _send_data(connection: socket.socket, data: bytes) -> None:
    connection.sendall(HEADER.pack(len(data)))
    connection.sendall(data)


def _receive(connection: socket.socket) -> Any:
    (size,) = HEADER.unpack(_exactly(connection, HEADER.size))
    return pickle.loads(_exactly(connection, size))


def _exactly(connection: socket.socket, size: int) -> bytearray:
    data = bytearray(size)
    view = memoryview(data)
    while view:
        count = connection.recv_into(view)
        if not count:
            raise EOFError("the crawl's process closed the socket")
        view = view[count:]
    return data


def _extracted(
    page: FetchedPage, site: SiteDefinition, extract: Extract, records: _Records
) -> Extraction:
    counts = StatsCounts()
    try:
        item = extract(page, site, counts)
    except Exception as error:  # raised again in the crawl's process
        return Extraction(None, counts.values, records.taken(), _portable(error))
    extraction = Extraction(item, counts.values, records.taken())
    if item is not None and item.raw_page is not None and item.raw_page["body"] is page.body:
        # The crawl's process has the body: it is not sent back (half the answer's bytes).
        item.raw_page["body"] = None
        extraction.body_left_out = True
    return extraction


def _portable(error: Exception) -> Exception:
    """The exception with the worker's traceback as a note, in a form that pickles."""
    where = "".join(traceback.format_exception(error))
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # any failure to pickle or unpickle
        error = RuntimeError(f"{type(error).__qualname__}: {error}")
    error.add_note(f"raised in an extraction worker process:\n{where}")
    return error


if __name__ == "__main__":
    # This module's classes, not __main__'s: their pickles name the module the crawl knows.
    from crawler.extraction_worker import main as serve

    serve()
