"""Retries that wait: `Retry-After` when the server gives one, else exponential back-off.

Scrapy's RetryMiddleware re-queues a failed request at once, so a server that answers
429 or 503 because it is overloaded gets the retry straight away. This subclass keeps
Scrapy's retry rules (RETRY_TIMES, RETRY_HTTP_CODES, `dont_retry`, stats) and waits
before each retry: the number of seconds (or the date) of the response's `Retry-After`,
otherwise (and after a broken connection or a timeout) RETRY_BACKOFF_BASE * 2 ** (retries
so far), at most RETRY_BACKOFF_MAX. The
whole host waits, not only the request: its download slot is held for as long (Scrapy
spaces a slot's requests only when it has a download delay, as it has by default). A
`Retry-After` longer than RETRY_AFTER_MAX is not waited for: the request is given up.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message

logger = logging.getLogger(__name__)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds a `Retry-After` value asks for (delta-seconds or an HTTP date), else None."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    async def process_response(  # type: ignore[override]  # the coroutine form Scrapy allows
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        stats = self.crawler.stats
        asked = retry_after_seconds(
            response.headers.get("Retry-After", b"").decode("latin-1"), datetime.now(UTC)
        )
        if asked is not None and asked > self.retry_after_max:
            stats.inc_value("retry/retry_after_too_long")
            logger.warning(
                "%s answered %d with Retry-After %g s, more than RETRY_AFTER_MAX (%g s); given up",
                request.url,
                response.status,
                asked,
                self.retry_after_max,
            )
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        retries = request.meta.get("retry_times", 0)
        wait = asked if asked is not None else min(self.backoff_max, self.backoff_base * 2**retries)
        stats.inc_value("retry/waited_seconds", round(wait, 3))
        self._hold_host(request, wait)
        await sleep(wait)
        return retry

    async def process_exception(  # type: ignore[override]  # the coroutine form Scrapy allows
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        """A broken connection or a timeout is retried after the same back-off."""
        retries = request.meta.get("retry_times", 0)
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            wait = min(self.backoff_max, self.backoff_base * 2**retries)
            self.crawler.stats.inc_value("retry/waited_seconds", round(wait, 3))
            self._hold_host(request, wait)
            await sleep(wait)
        return retry

    def _hold_host(self, request: Request, wait: float) -> None:
        """Keep the request's download slot from starting anything for `wait` seconds."""
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            slot.lastseen = max(slot.lastseen, monotonic() + wait)
