"""Crawl-run history: one `crawl_runs` row per crawl, opened at start, closed with counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from archive import Archive
from crawler import dates
from crawler.faults import FAULTS, fault_recorded
from crawler.rejections import REJECTED
from crawler.run_verdict import judge

#: crawl_runs count columns and the stats they come from.
RUN_COUNTS = {
    "pages": "response_received_count",
    "articles_new": "archive/new",
    "articles_updated": "archive/updated",
    "articles_unchanged": "archive/unchanged",
    "rejected": REJECTED,
    "errors": "log_count/ERROR",
}


class CrawlRunRecorder:
    """Records each crawl in the archive, so a scheduled job's history is queryable.

    The row is written when the spider opens, so a crawl that dies still leaves a row
    without `finished_at`: a run that never finished is visible as such. The faults met
    (crawler/faults.py) go into `stats` as `"faults": [{"kind", "url", "detail"}, ...]`,
    the first MAX_FAULTS of them, beside the per-kind counts `"faults/<kind>"`.
    """

    MAX_FAULTS = 10_000

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.path = crawler.settings.get("ARCHIVE_PATH")
        self.run_id: int | None = None
        self.faults: list[dict[str, str]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(recorder.fault, signal=fault_recorded)
        return recorder

    def fault(self, kind: str, url: str, detail: str) -> None:
        if len(self.faults) < self.MAX_FAULTS:
            self.faults.append({"kind": kind, "url": url, "detail": detail})

    def spider_opened(self, spider: Spider) -> None:
        site = getattr(spider, "site", None)
        with Archive(self.path) as archive:
            self.run_id = archive.start_run(
                spider=spider.name,
                site=site.name if site else spider.name,
                started_at=dates.isoformat(datetime.now(UTC)),
            )
        self.crawler.stats.set_value("archive/run_id", self.run_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        verdict = judge(self.crawler.stats.get_stats(), reason, self.crawler.settings)
        # The verdict lives in the run's stats (run/verdict, run/verdict_reason,
        # run/exit_status) until crawl_runs has columns of its own for it.
        self.crawler.stats.set_value("run/verdict", verdict.outcome)
        self.crawler.stats.set_value("run/verdict_reason", verdict.reason)
        self.crawler.stats.set_value("run/exit_status", verdict.exit_status)
        if self.run_id is None:
            return
        stats = self.crawler.stats.get_stats()
        counts = {column: int(stats.get(key, 0)) for column, key in RUN_COUNTS.items()}
        with Archive(self.path) as archive:
            archive.finish_run(
                self.run_id,
                finished_at=dates.isoformat(datetime.now(UTC)),
                finish_reason=reason,
                counts=counts,
                stats={**stats, FAULTS: self.faults},
            )
