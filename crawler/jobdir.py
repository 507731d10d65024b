"""Resuming a crawl from its JOBDIR only when the crawl before it stopped cleanly.

Scrapy's JOBDIR (`-s JOBDIR=DIR`) keeps the pending requests, the fingerprints of the
requests already made and the spider's state, so a crawl stopped with SIGTERM or Ctrl-C
resumes where it stopped. Its queue index is written only when the crawl closes: after a
SIGKILL or a power cut the directory holds the fingerprints of requests whose pages may
never have reached the archive, and no queue. Resuming from it would skip them for good.

So a crawl marks its JOBDIR as running when it starts and clears the mark when it closes.
A crawl that finds the mark left behind discards the job state and starts over; the
archive's idempotence (an unchanged article only gets a later `last_seen_at`) makes the
fresh crawl end with the same archive as one uninterrupted crawl.

A crawl that finished leaves nothing to resume, and its state must not be: every page it
made would count as seen, and the next crawl in that JOBDIR (the next scheduled run of
the same command) would fetch nothing. It marks the JOBDIR finished, and the next crawl
starts afresh from it.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)

MARK = "crawl.running"
FINISHED = "crawl.finished"
#: What Scrapy keeps in a JOBDIR: the scheduler's queues and seen requests, spider state.
JOB_STATE = ("requests.queue", "requests.seen", "spider.state")


def discard_state(jobdir: Path, mark: str) -> bool:
    """Remove the job state, and `mark`, when the last crawl left `mark` (MARK: it did not
    close; FINISHED: it finished); True when it did."""
    if not (jobdir / mark).exists():
        return False
    for name in JOB_STATE:
        path = jobdir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    (jobdir / mark).unlink()
    return True


class JobDirGuard:
    """Extension: JOBDIR state is resumed only when the previous crawl closed cleanly.

    It acts when built, before the scheduler opens its queues from the JOBDIR.
    """

    def __init__(self, crawler: Crawler, jobdir: Path) -> None:
        self.crawler = crawler
        self.jobdir = jobdir
        if discard_state(jobdir, MARK):
            crawler.stats.set_value("jobdir/discarded_unclean_state", 1)
            logger.warning(
                "JOBDIR %s: the last crawl did not close cleanly (killed?); its job state "
                "is discarded and this crawl starts over",
                jobdir,
            )
        elif discard_state(jobdir, FINISHED):
            logger.info("JOBDIR %s: the last crawl finished; this crawl starts afresh", jobdir)
        jobdir.mkdir(parents=True, exist_ok=True)
        (jobdir / MARK).write_text(f"{os.getpid()}\n", encoding="utf-8")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise NotConfigured("no JOBDIR")
        guard = cls(crawler, Path(jobdir))
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Runs after the scheduler has written its queue index, so the state is whole.
        The state of a finished crawl is discarded by the next one, when it starts: Scrapy
        writes the spider's state after this runs."""
        if reason == "finished":
            (self.jobdir / FINISHED).write_text(f"{os.getpid()}\n", encoding="utf-8")
        (self.jobdir / MARK).unlink(missing_ok=True)
