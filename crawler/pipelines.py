"""Item pipelines, in order: validate -> normalise dates -> deduplicate -> archive.

Each is a small component wired in ITEM_PIPELINES; the last one is the item sink, so
moving the archive out of the crawling process means replacing only that entry.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self
from zoneinfo import ZoneInfo

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from twisted.internet import task

from archive import Archive
from archive.db import GUESSED_YEAR
from archive.schema import ARTICLE_FIELDS
from crawler import dates
from crawler.items import Article
from crawler.rejections import reject_page
from crawler.sitedef import SiteDefinition
from crawler.urls import year_in_path

logger = logging.getLogger(__name__)


def _site(crawler: Crawler) -> SiteDefinition:
    site = getattr(crawler.spider, "site", None)
    if not isinstance(site, SiteDefinition):
        raise TypeError(f"spider {crawler.spider!r} has no site definition for the pipelines")
    return site


class _Stage:
    """A pipeline stage that needs only the crawler: its stats and its spider's site."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)


class ValidateArticle(_Stage):
    """Refuse pages that gave no title or no body after every extraction layer."""

    def process_item(self, item: Article) -> Article:
        missing = [name for name in ("title", "body") if not getattr(item, name)]
        if missing:
            raise DropItem(
                reject_page(
                    self.crawler.stats,
                    site=item.site or "?",
                    url=item.url or "?",
                    reason="no_" + "_".join(missing),
                    detail=f"no {' and no '.join(missing)} after selectors, metadata "
                    "and generic extraction",
                ),
                log_level="WARNING",
            )
        return item


class NormaliseDates(_Stage):
    """Raw date strings -> ISO 8601 in UTC, read in the site's languages and time zone.

    The reference time is when the page was fetched: relative dates ("2 hours ago") and
    year-less ones ("13 september — 14:15") are resolved against it. A year-less date
    takes its year from the best evidence there is, and `published_year_source` says
    which: "date" (printed with its year), "relative", "metadata" (the page's machine
    date), "url" (a date in the URL path), "listing" (the section listing's date order)
    or "latest" (the latest year not after the crawl).
    """

    def process_item(self, item: Article) -> Article:
        site = _site(self.crawler)
        if item.seen_at is None:
            raise ValueError(f"site {site.name!r}: {item.url}: item has no seen_at")
        context = _DateContext(
            site=site,
            languages=site.languages
            or dates.known_languages((item.language,) if item.language else ()),
            reference=item.seen_at,
        )
        hint_source, hint = self._year_hint(item, context)
        published = self._read(item, "published", context, hint)
        modified = self._read(item, "modified", context, hint)
        item.published_at = dates.isoformat(published.value) if published else None
        item.modified_at = dates.isoformat(modified.value) if modified else None
        if published:
            item.published_year_source = (
                hint_source
                if published.year_from == "hint"
                else YEAR_SOURCES[published.year_from or "text"]
            )
            self.crawler.stats.inc_value(f"dates/published/year/{item.published_year_source}")
        return item

    def _read(
        self, item: Article, field: str, context: _DateContext, year_hint: int | None
    ) -> dates.ParsedDate | None:
        raw = getattr(item, f"{field}_raw")
        if raw is None:
            self.crawler.stats.inc_value(f"dates/{field}/missing")
            return None
        parsed = context.parse(raw, year_hint)
        if parsed.value is None:
            self.crawler.stats.inc_value(f"dates/{field}/unreadable")
            logger.warning(
                "site %r: %s: field %r: cannot read date %r: %s; archived without it",
                context.site.name,
                item.url,
                field,
                raw,
                parsed.reason,
            )
            return None
        return parsed

    @staticmethod
    def _year_hint(item: Article, context: _DateContext) -> tuple[str | None, int | None]:
        """The surest year the page or the crawl gives, for a date printed without one."""
        if item.published_hint:
            parsed = context.parse(item.published_hint, None)
            if parsed.value is not None and parsed.year_from == "text":
                return "metadata", parsed.value.astimezone(ZoneInfo(context.site.timezone)).year
        year = year_in_path(item.url or "")
        if year is not None:
            return "url", year
        if item.listing_year is not None:
            return "listing", item.listing_year
        return None, None


#: published_year_source values for the ways the dates module decides a year; the archive
#: knows a guessed year by its value, and never lets one replace a year from evidence.
YEAR_SOURCES = {"text": "date", "reference": "relative", "latest": GUESSED_YEAR}


@dataclass(frozen=True, slots=True)
class _DateContext:
    site: SiteDefinition
    languages: tuple[str, ...]
    reference: datetime

    def parse(self, raw: str, year_hint: int | None) -> dates.ParsedDate:
        return dates.parse_date(
            raw,
            languages=self.languages,
            timezone=self.site.timezone,
            reference=self.reference,
            year_hint=year_hint,
        )


class DeduplicateArticles(_Stage):
    """Drop a second item for an article already archived in this crawl.

    Two fetched URLs can name one article (rel=canonical, tracking parameters); the
    archive would merge them anyway, but the run's counts should say one article.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: set[str] = set()

    def process_item(self, item: Article) -> Article:
        if item.url in self.seen:
            self.crawler.stats.inc_value("articles/duplicate")
            raise DropItem(f"{item.url}: already archived in this crawl", log_level="DEBUG")
        self.seen.add(item.url or "")
        return item


class ArchiveArticles:
    """Write items to the SQLite archive in batched transactions.

    A batch is written when it is full, every ARCHIVE_FLUSH_SECONDS, and when the spider
    closes; a crawl killed in between loses at most the unwritten batch, never a
    committed row, and a re-crawl fetches those pages again.
    """

    def __init__(self, crawler: Crawler, path: str, batch_size: int, flush_seconds: float):
        self.crawler = crawler
        self.path = path
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.batch: list[dict[str, Any]] = []
        self.archive: Archive | None = None
        self._timer = task.LoopingCall(self.flush)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        pipeline = cls(
            crawler,
            settings.get("ARCHIVE_PATH"),
            settings.getint("ARCHIVE_BATCH_SIZE"),
            settings.getfloat("ARCHIVE_FLUSH_SECONDS"),
        )
        crawler.signals.connect(pipeline.flush, signal=signals.spider_idle)
        return pipeline

    def open_spider(self) -> None:
        self.archive = Archive(self.path)
        self._timer.start(self.flush_seconds, now=False)

    def close_spider(self) -> None:
        if self._timer.running:
            self._timer.stop()
        self.flush()
        if self.archive is not None:
            self.archive.close()
            self.archive = None

    def process_item(self, item: Article) -> Article:
        self.batch.append(archive_row(item))
        if len(self.batch) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.batch or self.archive is None:
            return
        batch, self.batch = self.batch, []
        try:
            outcomes = self.archive.upsert_articles(batch)
        except sqlite3.Error as error:
            # The batch stays in memory for the next flush: a locked or full disk must
            # not lose articles already fetched (the archive rolled the batch back).
            self.batch = batch + self.batch
            self.crawler.stats.inc_value("archive/write_errors")
            logger.error(
                "archive %s: could not write %d articles (%s); will retry",
                self.path,
                len(batch),
                error,
            )
            return
        for outcome in outcomes:
            self.crawler.stats.inc_value(f"archive/{outcome}")


def archive_row(item: Article) -> dict[str, Any]:
    """The article as ``Archive.upsert_articles`` takes it, for whichever sink sends it there.

    The archive's own field list: `published_hint` is evidence, not data.
    """
    row = {name: getattr(item, name) for name in ARTICLE_FIELDS}
    row["seen_at"] = dates.isoformat(item.seen_at) if item.seen_at else None
    return row
