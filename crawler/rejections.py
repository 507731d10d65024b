"""Pages that are fetched but not archived: counted by reason, named in the log."""

from __future__ import annotations

from scrapy.statscollectors import StatsCollector

REJECTED = "articles/rejected"


def reject_page(stats: StatsCollector, *, site: str, url: str, reason: str, detail: str) -> str:
    """Count a rejected page under `reason` and return the message that names it."""
    stats.inc_value(REJECTED)
    stats.inc_value(f"{REJECTED}/{reason}")
    return f"site {site!r}: {url}: {detail}; not archived"
