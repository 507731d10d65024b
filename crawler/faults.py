"""Faults met while fetching: each one counted, named with its URL, and backed off from.

A fault is anything the server or the network did wrong: an error status, a reset or
timed-out connection, a truncated or oversized body, a redirect loop or a redirect off the
site, a mislabelled charset, a binary file where a page was expected. `record_fault` counts
it in the stats (`faults/<kind>`) and sends the `fault_recorded` signal, from which
`CrawlRunRecorder` keeps the list of (kind, URL, detail) in the run's record.

`FaultMiddleware` sits next to the download handler, so it sees every attempt as the
server answered it, before retries, redirects and decompression act on it. Waiting
before a retry is RetryAfterMiddleware's (crawler/middlewares/retry_after.py).
"""

from __future__ import annotations

import logging
from typing import Self
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

#: Sent for each fault, with `kind`, `url` and `detail`.
fault_recorded = object()
FAULTS = "faults"
#: Exception class names (as Twisted and Scrapy name them) and the fault kind they are.
_EXCEPTION_KINDS = {
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "ConnectionRefusedError": "connection_refused",
    "ConnectionLost": "connection_lost",
    "ConnectionDone": "connection_lost",
    "ConnectionAborted": "connection_lost",
    "ResponseNeverReceived": "connection_lost",
    "ResponseFailed": "connection_lost",
    "ResponseDataLossError": "truncated",
    "_DataLoss": "truncated",
    "PotentialDataLoss": "truncated",
    "DownloadCancelledError": "too_large",
    "DNSLookupError": "dns",
    # Scrapy 2.13+ wraps the Twisted errors in its own:
    "DownloadTimeoutError": "timeout",
    "DownloadConnectionRefusedError": "connection_refused",
    "DownloadFailedError": "connection_lost",
    "CannotResolveHostError": "dns",
}
_DETAIL_LENGTH = 300


def record_fault(crawler: Crawler, kind: str, url: str, detail: str = "") -> None:
    """Count a fault and tell the run recorder; log it with its URL."""
    crawler.stats.inc_value(f"{FAULTS}/{kind}")
    detail = " ".join(detail.split())[:_DETAIL_LENGTH]
    crawler.signals.send_catch_log(fault_recorded, kind=kind, url=url, detail=detail)
    logger.info("fault %s: %s%s", kind, url, f" ({detail})" if detail else "")


def exception_kind(exception: BaseException) -> str:
    """The fault kind of a download exception, from its class or its wrapped reasons."""
    causes = (exception.__cause__, *getattr(exception, "reasons", ()))
    for error in (exception, *(c for c in causes if c is not None)):
        value = error.value if isinstance(error, Failure) else error
        kind = _EXCEPTION_KINDS.get(type(value).__name__)
        if kind:
            return kind
    if isinstance(exception, IgnoreRequest):
        message = str(exception)
        if "DOWNLOAD_MAXSIZE" in message:
            return "too_large"
        if "redirect" in message:
            return "redirect_limit"
        return "ignored"
    return type(exception).__name__


def record_final_failure(crawler: Crawler, request: Request, exception: BaseException) -> None:
    """A request given up on. Faults the middleware saw were recorded per attempt; this
    adds the final outcome, and the faults only visible here (a body that grew past
    DOWNLOAD_MAXSIZE while being decompressed, too many redirects)."""
    if isinstance(exception, HttpError):  # an error status, after its retries if any
        status = exception.response.status
        record_fault(crawler, "gave_up", request.url, f"http_{status}")
        return
    kind = exception_kind(exception)
    if kind == "ignored":
        return
    if isinstance(exception, IgnoreRequest):
        record_fault(crawler, kind, request.url, str(exception))
    else:
        record_fault(crawler, "gave_up", request.url, f"{kind}: {exception}")


class FaultMiddleware:
    """Downloader middleware: records each faulty answer with its URL."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        status = response.status
        if status >= 400:
            attempt = request.meta.get("retry_times", 0) + 1
            retry_after = response.headers.get("Retry-After", b"").decode("latin-1")
            detail = f"attempt {attempt}" + (f", Retry-After: {retry_after}" if retry_after else "")
            record_fault(self.crawler, f"http_{status}", request.url, detail)
        elif 300 <= status < 400 and (location := response.headers.get("Location")):
            self._check_redirect(request, urljoin(request.url, location.decode("latin-1")))
        elif (
            status == 200
            and not isinstance(response, HtmlResponse | XmlResponse)
            and not response.headers.get("Content-Encoding")  # not decompressed yet
            and urlsplit(request.url).path != "/robots.txt"
        ):
            content_type = response.headers.get("Content-Type", b"none").decode("latin-1")
            record_fault(self.crawler, "not_html", request.url, f"Content-Type: {content_type}")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        kind = exception_kind(exception)
        if kind == "ignored":
            return None  # robots.txt and offsite filters: a decision, not a fault
        record_fault(self.crawler, kind, request.url, str(exception) or type(exception).__name__)
        return None

    def _check_redirect(self, request: Request, target: str) -> None:
        """Recorded under the URL first requested, the one the spider asked for."""
        chain = [*request.meta.get("redirect_urls", ()), request.url]
        spider: Spider | None = self.crawler.spider
        allowed = getattr(spider, "allowed_domains", None) or ()
        host = (urlsplit(target).hostname or "").lower()
        if target in chain:
            detail = " -> ".join([*chain, target])
            record_fault(self.crawler, "redirect_loop", chain[0], detail)
        elif allowed and not any(host == d or host.endswith("." + d) for d in allowed):
            record_fault(self.crawler, "redirect_offsite", chain[0], f"to {target}")
