"""Item pipelines, in order: validate -> normalise dates -> archive.

Each is a small component wired in ITEM_PIPELINES; the last one is the item sink, so
moving the archive out of the crawling process means replacing only that entry.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Self
from zoneinfo import ZoneInfo

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector
from twisted.internet import task

from archive import Archive
from archive.db import GUESSED_YEAR
from archive.schema import ARTICLE_FIELDS
from crawler import dates
from crawler.items import Article, SeenUnchanged
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

    def process_item(self, item: Article | SeenUnchanged) -> Article | SeenUnchanged:
        if not isinstance(item, Article):
            return item
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
    """The crawl's date stage: `normalise_dates` with the spider's site and the crawl's stats."""

    def process_item(self, item: Article | SeenUnchanged) -> Article | SeenUnchanged:
        if not isinstance(item, Article):
            return item
        return normalise_dates(item, _site(self.crawler), self.crawler.stats)


def normalise_dates(
    item: Article, site: SiteDefinition, stats: StatsCollector | None = None
) -> Article:
    """A copy of `item` with its raw date strings read into ISO 8601 in UTC.

    Dates are read in the site's languages and time zone. The reference time is when the
    page was fetched (`seen_at`): relative dates ("2 hours ago") and year-less ones
    ("13 september — 14:15") are resolved against it, so a re-extraction of a stored page
    gives the dates its crawl gave. A year-less date takes its year from the best evidence
    there is, and `published_year_source` says which: "date" (printed with its year),
    "relative", "metadata" (the page's machine date), "url" (a date in the URL path),
    "listing" (the section listing's date order) or "latest" (the latest year not after
    the crawl), or "feed" (the date of the feed or sitemap that linked the article, read in
    the site's time zone; when the page prints no date at all, that date is the article's,
    with `published_source` "feed"). Only `stats` (optional) and the log are touched
    besides the copy.
    """
    if item.seen_at is None:
        raise ValueError(f"site {site.name!r}: {item.url}: item has no seen_at")
    item = replace(item)
    dated_by_feed = item.published_raw is None and item.found_published is not None
    if dated_by_feed:
        item.published_raw, item.published_source = item.found_published, "feed"
    count = stats.inc_value if stats is not None else lambda key: None
    context = _DateContext(
        site=site,
        languages=site.languages
        or dates.known_languages((item.language,) if item.language else ()),
        reference=item.seen_at,
    )
    hint_source, hint = _year_hint(item, context)
    published = _read(item, "published", context, hint, count)
    modified = _read(item, "modified", context, hint, count)
    item.published_at = dates.isoformat(published.value) if published else None
    item.modified_at = dates.isoformat(modified.value) if modified else None
    item.published_year_source = None
    if published:
        item.published_year_source = (
            "feed"
            if dated_by_feed
            else hint_source
            if published.year_from == "hint"
            else YEAR_SOURCES[published.year_from or "text"]
        )
        count(f"dates/published/year/{item.published_year_source}")
    return item


def _read(
    item: Article,
    field: str,
    context: _DateContext,
    year_hint: int | None,
    count: Callable[[str], object],
) -> dates.ParsedDate | None:
    raw = getattr(item, f"{field}_raw")
    if raw is None:
        count(f"dates/{field}/missing")
        return None
    parsed = context.parse(raw, year_hint)
    if parsed.value is None:
        count(f"dates/{field}/unreadable")
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


def _year_hint(item: Article, context: _DateContext) -> tuple[str | None, int | None]:
    """The surest year the page or the crawl gives, for a date printed without one."""
    if item.published_hint:
        parsed = context.parse(item.published_hint, None)
        if parsed.value is not None and parsed.year_from == "text":
            return "metadata", parsed.value.astimezone(ZoneInfo(context.site.timezone)).year
    if item.found_published:
        found = datetime.fromisoformat(item.found_published)
        return "feed", found.astimezone(ZoneInfo(context.site.timezone)).year
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


def archive_row(item: Article, *, fetch_only: bool = False) -> dict[str, Any]:
    """An item as `Archive.upsert_articles` takes it: the archive's own fields (so
    `published_hint` and `listing_year`, evidence rather than data, stay out), the URLs the
    article was reached through and, when the item has one, its raw page. `fetch_only`
    records only the fetch (URLs, raw page, time) for an article written before."""
    row: dict[str, Any] = {name: getattr(item, name) for name in ARTICLE_FIELDS}
    if fetch_only:
        row["fetch_only"] = True
    row["seen_at"] = dates.isoformat(item.seen_at) if item.seen_at else None
    row["urls"] = list(item.urls)
    if item.raw_page is not None:
        row["raw_page"] = item.raw_page
    return row


class ArchiveArticles:
    """Write items to the SQLite archive in batched transactions.

    A batch is written when it is full, every ARCHIVE_FLUSH_SECONDS, and when the spider
    closes; a crawl killed in between loses at most the unwritten batch, never a
    committed row, and a re-crawl fetches those pages again.

    Two fetched URLs can name one article (rel=canonical, tracking parameters). The
    second fetch in a crawl is kept only as a fetch (its URLs and raw page): the run
    counts one article, and a variant page (AMP, print) that reads slightly differently
    never turns into a version of its own.
    """

    def __init__(self, crawler: Crawler, path: str, batch_size: int, flush_seconds: float):
        self.crawler = crawler
        self.path = path
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.batch: list[dict[str, Any]] = []
        self.archive: Archive | None = None
        #: Canonical URLs of the articles this crawl has archived.
        self.seen: set[str] = set()
        #: (URL, time) of archived articles a conditional re-fetch found not modified.
        self.unchanged: list[tuple[str, str]] = []
        #: Raw pages of article pages an earlier stage dropped, with the reason.
        self.rejected: list[tuple[dict[str, Any], str]] = []
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
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
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

    def item_dropped(self, item: Any, exception: BaseException) -> None:
        """A page that gave no article (no title or body) is still a fetched article page:
        its raw page is kept, so a re-extraction with better code can read it later."""
        if isinstance(item, Article) and item.raw_page is not None:
            self.rejected.append((item.raw_page, str(exception)))

    def process_item(self, item: Article | SeenUnchanged) -> Article | SeenUnchanged:
        if isinstance(item, SeenUnchanged):
            self.unchanged.append((item.url, dates.isoformat(item.seen_at)))
            return item
        repeat = item.url in self.seen
        if repeat:
            self.crawler.stats.inc_value("articles/duplicate")
        self.seen.add(item.url or "")
        self.batch.append(archive_row(item, fetch_only=repeat))
        if len(self.batch) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if self.archive is None:
            return
        if self.unchanged:
            self._flush_unchanged()
        run_id = self.crawler.stats.get_value("archive/run_id")
        if self.rejected:
            rejected, self.rejected = self.rejected, []
            try:
                self.archive.add_rejected_pages(rejected, run_id=run_id)
            except sqlite3.Error as error:
                self.rejected = rejected + self.rejected
                self.crawler.stats.inc_value("archive/write_errors")
                logger.error(
                    "archive %s: could not write %d rejected pages (%s); will retry",
                    self.path,
                    len(rejected),
                    error,
                )
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        try:
            outcomes = self.archive.upsert_articles(batch, run_id=run_id)
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
        for row, outcome in zip(batch, outcomes, strict=True):
            if not row.get("fetch_only"):
                self.crawler.stats.inc_value(f"archive/{outcome}")

    def _flush_unchanged(self) -> None:
        assert self.archive is not None
        unchanged, self.unchanged = self.unchanged, []
        try:
            found = self.archive.mark_seen(unchanged)
        except sqlite3.Error as error:
            self.unchanged = unchanged + self.unchanged
            self.crawler.stats.inc_value("archive/write_errors")
            logger.error(
                "archive %s: could not record %d unchanged re-checks (%s); will retry",
                self.path,
                len(unchanged),
                error,
            )
            return
        self.crawler.stats.inc_value("archive/unchanged", found)
