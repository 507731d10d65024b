"""`scrapy crawl`, which checks a site definition before starting anything, runs one crawl
per site and archive at a time, and ends with a verdict: the last log line and the exit
status say whether the run worked. In distributed mode Redis is checked first too.

Scrapy builds the spider inside its running event loop, where a bad definition surfaces
as a traceback; checked here first, it is one line naming the file and the key, with
exit status 2, and nothing has been started, requested or written. Exit statuses are
listed in crawler.run_verdict.EXIT_STATUS.
"""

from __future__ import annotations

import argparse
import logging

from scrapy.commands import crawl
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from crawler.distributed import redis_problem
from crawler.run_lock import AlreadyRunning, RunLock
from crawler.run_verdict import Verdict, judge, summary
from crawler.sitedef import DefinitionError
from crawler.spiders.site import SiteSpider

logger = logging.getLogger(__name__)


class Command(crawl.Command):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1 or self.crawler_process is None:
            super().run(args, opts)
            return
        try:
            spider_class = self.crawler_process.spider_loader.load(args[0])
        except KeyError:
            message = f"no spider named {args[0]!r}; `scrapy list` shows them"
            raise UsageError(message, print_help=False) from None
        if not issubclass(spider_class, SiteSpider):
            super().run(args, opts)
            return
        try:
            site = spider_class.load_definition(opts.spargs.get("config"))
        except DefinitionError as error:
            raise UsageError(str(error), print_help=False) from None
        settings = self.crawler_process.settings
        if problem := redis_problem(settings):
            raise UsageError(problem, print_help=False)
        lock = RunLock(settings.get("ARCHIVE_PATH"), site.name)
        try:
            # Distributed workers share one site's run on purpose (crawler/distributed.py).
            if settings.getbool("RUN_LOCK_ENABLED") and not settings.get("REDIS_URL"):
                lock.acquire()
        except AlreadyRunning as error:
            self.exitcode = Verdict("already_running", str(error)).exit_status
            logger.error("%s; exit status %d", error, self.exitcode)
            return
        except OSError as error:
            self.exitcode = Verdict("failed", str(error)).exit_status
            logger.error(
                "crawl of site %r: cannot take the run lock %s: %s; exit status %d",
                site.name,
                lock.path,
                error,
                self.exitcode,
            )
            return
        try:
            crawler = self._create_crawler(args[0])
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
        finally:
            lock.release()
        self.exitcode = self._report(site.name, crawler)

    def _report(self, site: str, crawler: Crawler) -> int:
        """Log the run's summary as its last line and return its exit status."""
        stats = crawler.stats.get_stats() if crawler.stats else {}
        outcome = stats.get("run/verdict")
        started = self.crawler_process is not None and not self.crawler_process.bootstrap_failed
        if not started or "finish_reason" not in stats:
            verdict = Verdict("failed", "the spider failed to start or to close")
        elif outcome:
            verdict = Verdict(outcome, stats.get("run/verdict_reason", ""))
        else:  # a distributed worker: its run is recorded through Redis, not judged there
            verdict = judge(stats, stats["finish_reason"], crawler.settings)
        level = logging.INFO if verdict.outcome == "ok" else logging.ERROR
        logger.log(level, summary(site, verdict, stats))
        return verdict.exit_status
