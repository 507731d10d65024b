"""Did a crawl run work? One verdict, for the exit status, the last log line and crawl_runs.

A scheduled crawl is watched by cron's mail or systemd's unit state, which see only the
exit status; a person reading the log sees the last line first. Both say the same thing,
decided here from the run's stats once the spider has closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scrapy.settings import BaseSettings

from crawler.rejections import REJECTED

#: Exit statuses, one per verdict. 2 is Scrapy's for a usage error (a bad definition);
#: 75 is EX_TEMPFAIL of sysexits.h: "try again later", as cron wrappers expect.
EXIT_STATUS = {
    "ok": 0,
    "failed": 1,
    "too_many_errors": 3,
    "no_articles": 4,
    "already_running": 75,
}


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: str
    reason: str

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS[self.outcome]


def judge(stats: Mapping[str, Any], finish_reason: str, settings: BaseSettings) -> Verdict:
    """The run's verdict from its stats and Scrapy's finish reason.

    A run fails when it did not finish (killed, shut down, closed by a CLOSESPIDER_*
    limit), when it logged more errors than CRAWL_ERROR_THRESHOLD, or when a site that
    should yield articles (CRAWL_EXPECT_ARTICLES) yielded none: no article archived or
    re-checked and no archived one found again, which is what a changed layout or a
    blocked crawler looks like. A re-crawl that finds only known articles is fine.
    """
    errors = int(stats.get("log_count/ERROR", 0))
    if finish_reason != "finished":
        return Verdict("failed", f"the crawl ended early ({finish_reason})")
    threshold = settings.getint("CRAWL_ERROR_THRESHOLD")
    if errors > threshold:
        return Verdict("too_many_errors", f"{errors} errors, more than {threshold} allowed")
    found = sum(
        int(stats.get(key, 0))
        for key in ("archive/new", "archive/updated", "archive/unchanged", "incremental/known")
    )
    if settings.getbool("CRAWL_EXPECT_ARTICLES") and found == 0:
        return Verdict("no_articles", "no article found: has the site's layout changed?")
    return Verdict("ok", "")


def summary(site: str, verdict: Verdict, stats: Mapping[str, Any]) -> str:
    """The run's last log line."""
    count = {key: int(stats.get(key, 0)) for key in _COUNTED}
    elapsed = stats.get("elapsed_time_seconds")
    took = f" in {elapsed:.1f} s" if isinstance(elapsed, int | float) else ""
    why = f" ({verdict.reason})" if verdict.reason else ""
    return (
        f"crawl of site {site!r}: {verdict.outcome.upper()}{why}: "
        f"{count['archive/new']} new, {count['archive/updated']} updated, "
        f"{count['archive/unchanged']} unchanged, {count['incremental/known']} skipped as "
        f"known, {count['incremental/not_modified']} not modified, "
        f"{count[REJECTED]} rejected, {count['log_count/ERROR']} errors, "
        f"{count['response_received_count']} responses{took}; "
        f"run {stats.get('archive/run_id', '?')}; exit status {verdict.exit_status}"
    )


_COUNTED = (
    "archive/new",
    "archive/updated",
    "archive/unchanged",
    "incremental/known",
    "incremental/not_modified",
    REJECTED,
    "log_count/ERROR",
    "response_received_count",
)
