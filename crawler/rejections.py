"""Pages that are fetched but not archived: counted by reason, named in the log."""

from __future__ import annotations

from typing import Protocol

REJECTED = "articles/rejected"


class Counts(Protocol):
    """Where counts go: the crawl's stats collector, or an extraction worker's tally
    (`StatsCounts`, crawler/extraction_worker.py) that the crawl's process adds to its own."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...


def reject_page(stats: Counts, *, site: str, url: str, reason: str, detail: str) -> str:
    """Count a rejected page under `reason` and return the message that names it."""
    stats.inc_value(REJECTED)
    stats.inc_value(f"{REJECTED}/{reason}")
    return f"site {site!r}: {url}: {detail}; not archived"
