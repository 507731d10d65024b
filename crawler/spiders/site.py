"""The one spider: a site definition turned into requests, responses into Article items.

Listing pages (the definition's `start_urls` and their pagination), feeds and sitemaps
give article links; article pages give items. Which links are fetched is decided by the
archive (crawler.known_articles): new ones, and recent ones again, conditionally. The
spider never writes to the archive: items go through the pipelines, so the item sink can
change without touching crawling or extraction.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from parsel import Selector
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.misc import load_object
from scrapy.utils.response import get_base_url
from twisted.python.failure import Failure

from crawler import dates, site_settings
from crawler.article_page import article_item
from crawler.dates import ParsedDate
from crawler.discovery import FoundLink
from crawler.discovery.feeds import NotAFeed, feed_links
from crawler.discovery.sitemaps import NotASitemap, is_robots_txt, read_sitemap, robots_sitemaps
from crawler.extract import language_code
from crawler.extract.page import parsed_page
from crawler.extraction_processes import ExtractionProcesses
from crawler.faults import record_fault, record_final_failure
from crawler.items import Article, SeenUnchanged
from crawler.known_articles import NEW, RECHECK, KnownArticles, KnownRule, Visit
from crawler.listing_years import ListingYears
from crawler.sitedef import DefinitionError, SiteDefinition, load_site
from crawler.spiders import listing
from crawler.urls import canonical_url, clean_url

logger = logging.getLogger(__name__)


class SiteSpider(Spider):
    """Crawls any site definition: `scrapy crawl site -a config=PATH.toml`."""

    name = "site"
    #: Set on the spider classes of bundled definitions; `-a config=` overrides it.
    definition: ClassVar[Path | Traversable | None] = None

    def __init__(self, config: str | None = None, **kwargs: Any) -> None:
        self.site: SiteDefinition = self.load_definition(config)
        super().__init__(self.site.name, **kwargs)
        self.allowed_domains = list(self.site.allowed_domains)
        #: Canonical article URLs already seen in each section (keyed by start URL), so a
        #: listing whose pages loop or repeat stops instead of paging forever.
        self._section_links: dict[str, set[str]] = {}
        #: The archive's answer for each canonical article URL met in this crawl; a URL in
        #: it has been requested (or skipped) once and is not requested again.
        self._visits: dict[str, Visit] = {}
        #: Which links of listing pages are articles, read once per URL for the crawl.
        self._article_links = listing.ArticleLinks(self.site)
        self.known: KnownRule = KnownArticles(None, recheck_days=0, now=datetime.now(UTC))
        #: The site's stop_at_known, unless the last run did not finish (see _open_archive).
        self.stop_at_known = self.site.stop_at_known
        #: Worker processes that extract article pages; None extracts them here.
        self.extraction: ExtractionProcesses | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        site_settings.apply(crawler, spider.site.settings)
        spider.extraction = ExtractionProcesses.from_crawler(crawler, spider.site)
        crawler.signals.connect(spider._open_archive, signal=signals.spider_opened)
        return spider

    def _open_archive(self) -> None:
        """Read what the archive holds (the archive pipeline has created or upgraded it)."""
        settings = self.crawler.settings
        if settings.getbool("INCREMENTAL_CRAWL"):
            now = datetime.now(UTC)
            source = load_object(settings.get("KNOWN_ARTICLES"))
            self.known = source.from_crawler(
                self.crawler, recheck_days=self.site.recheck_days, now=now
            )
            if self.stop_at_known and self.known.last_run_unfinished(self.site.name, now):
                # Its sections were not walked to their end: known articles on a listing
                # page do not mean the pages after it are known too.
                self.stop_at_known = False
                logger.warning(
                    "site %r: the last run did not finish; every listing page is read "
                    "this time (articles already archived are still not fetched)",
                    self.site.name,
                )

    @classmethod
    def load_definition(cls, config: str | None) -> SiteDefinition:
        """The definition this spider crawls: `-a config=PATH`, else its bundled file."""
        path = Path(config) if config else cls.definition
        if path is None:
            raise DefinitionError(
                f"spider '{cls.name}' needs a site definition: "
                "scrapy crawl site -a config=PATH.toml"
            )
        return load_site(path, expected_name=cls.name if config is None else None)

    async def start(self) -> AsyncIterator[Request]:
        state = getattr(self, "state", None)  # Scrapy's SpiderState: only with a JOBDIR
        if state is not None:
            # Kept in the JOBDIR, so a crawl resumed after a clean stop goes on walking
            # each section's listing where it was (the year evidence travels with the
            # next page's request, which the JOBDIR keeps too).
            self._section_links = state.setdefault("section_links", self._section_links)
        # Feeds and sitemaps first: the dates they give reach only the requests they make.
        for url in self.site.feeds:
            yield Request(url, self.parse_feed)
        for url in self.site.sitemaps:
            yield Request(url, self.parse_robots if is_robots_txt(url) else self.parse_sitemap)
        for url in self.site.start_urls:
            yield Request(
                url,
                self.parse_listing,
                cb_kwargs={"section_url": url, "page": 1},
                errback=self.download_failed,
            )

    def parse_feed(self, response: Response) -> Iterator[Request]:
        try:
            links = feed_links(response.body, response.url)
        except NotAFeed as error:
            self._discovery_problem("not_a_feed", str(error))
            return
        self.crawler.stats.inc_value("discovery/feeds")
        yield from self._follow_found(links, "feed")

    def parse_robots(self, response: Response) -> Iterator[Request]:
        for url in robots_sitemaps(response.body, response.url):
            if self.site.allows(url):
                yield Request(url, self.parse_sitemap)
            else:
                self._discovery_problem("offsite_sitemap", f"{response.url}: {url} is off-site")

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        body = self._sitemap_body(response)
        if body is None:
            return
        try:
            document = read_sitemap(body, response.url, ZoneInfo(self.site.timezone))
        except NotASitemap as error:
            self._discovery_problem("not_a_sitemap", str(error))
            return
        self.crawler.stats.inc_value("discovery/sitemaps")
        for url in document.sitemaps:
            if self.site.allows(url):
                yield Request(url, self.parse_sitemap)
            else:
                self._discovery_problem("offsite_sitemap", f"{response.url}: {url} is off-site")
        yield from self._follow_found(document.pages, "sitemap")

    def _sitemap_body(self, response: Response) -> bytes | None:
        """The XML of a sitemap, gunzipped when it is a .xml.gz file, within the size limit."""
        if not gzip_magic_number(response):
            return response.body
        max_size = response.meta.get("download_maxsize") or self.crawler.settings.getint(
            "DOWNLOAD_MAXSIZE"
        )
        try:
            return gunzip(response.body, max_size=max_size)
        except ValueError:  # Scrapy's "decompressed beyond max_size"
            self._discovery_problem(
                "sitemap_too_large", f"{response.url}: larger than {max_size} bytes unpacked"
            )
        except (OSError, EOFError) as error:
            self._discovery_problem("not_a_sitemap", f"{response.url}: bad gzip data: {error}")
        return None

    def _follow_found(self, links: list[FoundLink], source: str) -> Iterator[Request]:
        """Requests for a feed's or sitemap's links that are articles the crawl wants."""
        stats = self.crawler.stats
        for link in links:
            try:
                url = clean_url(link.url)
            except ValueError:
                url = None
            if url is None or not self.site.is_article(url):
                stats.inc_value(f"discovery/{source}/not_article")
                continue
            stats.inc_value(f"discovery/{source}/links")
            published = dates.isoformat(link.published) if link.published else None
            _, request = self._article_request(url, found_published=published)
            if request is not None:
                yield request

    def _discovery_problem(self, reason: str, detail: str) -> None:
        self.crawler.stats.inc_value(f"discovery/problem/{reason}")
        logger.warning("site %r: %s", self.site.name, detail)

    def _article_request(
        self,
        url: str,
        *,
        listing_section: str | None = None,
        listing_year: int | None = None,
        found_published: str | None = None,
        key: str | None = None,
    ) -> tuple[Visit, Request | None]:
        """The archive's answer for an article link, and its request the first time it is
        met in this crawl when it is new or due a (conditional) re-check. `key` is the
        URL's canonical form when the caller has it."""
        key = key or canonical_url(url)
        if key in self._visits:
            return self._visits[key], None
        visit = self._visits[key] = self.known.visit(url)
        self.crawler.stats.inc_value(f"incremental/{visit.state}")
        if not visit.fetch:
            return visit, None
        meta = {"handle_httpstatus_list": [304]} if visit.state == RECHECK else {}
        request = Request(
            url,
            self.parse_article,
            errback=self.download_failed,
            headers=visit.headers,
            meta=meta,
            cb_kwargs={
                "listing_section": listing_section,
                "listing_year": listing_year,
                "found_published": found_published,
            },
        )
        return visit, request

    def parse_listing(
        self,
        response: Response,
        section_url: str,
        page: int,
        years_walk: dict[str, Any] | None = None,
    ) -> Iterator[Request]:
        if not isinstance(response, HtmlResponse):
            logger.warning(
                "site %r: listing %s is not an HTML page (%s); skipped",
                self.site.name,
                response.url,
                response.headers.get("Content-Type", b"no Content-Type").decode("latin-1"),
            )
            return
        self.crawler.stats.inc_value("listing/pages")
        document = parsed_page(response)
        entries = listing.article_entries(
            document,
            get_base_url(response),
            self._article_links,
            self._date_reader(document),
        )
        # The year evidence of the section's listing, walked page by page. It travels with
        # the next page's request, so whichever process fetches that page (in a distributed
        # crawl, any worker) continues the walk.
        walk = ListingYears(ZoneInfo(self.site.timezone), **(years_walk or {}))
        years = walk.read_page([entry.date for entry in entries])
        seen = self._section_links.setdefault(section_url, set())
        label = listing.section_label(document)
        new_links = wanted_links = 0
        for entry, year in zip(entries, years, strict=True):
            if entry.canonical in seen:
                continue
            seen.add(entry.canonical)
            new_links += 1
            visit, request = self._article_request(
                entry.url, listing_section=label, listing_year=year, key=entry.canonical
            )
            wanted_links += visit.state in (NEW, RECHECK)
            if request is not None:
                yield request
        if not new_links:
            if listing.next_page(document, get_base_url(response), self.site):
                # Pagination that goes on without new articles: a loop or a calendar trap.
                detail = f"section {section_url}: a next page but no new article link"
                record_fault(self.crawler, "listing_loop", response.url, detail)
            logger.info(
                "site %r: %s brings no new article link; section %s ends here",
                self.site.name,
                response.url,
                section_url,
            )
            return
        if not wanted_links and self.stop_at_known:
            self.crawler.stats.inc_value("incremental/sections_stopped")
            logger.info(
                "site %r: %s brings no article link that is new or due a re-check; "
                "section %s ends here",
                self.site.name,
                response.url,
                section_url,
            )
            return
        if self.site.max_pages is not None and page >= self.site.max_pages:
            return
        next_url = listing.next_page(document, get_base_url(response), self.site)
        if next_url:
            yield Request(
                next_url,
                self.parse_listing,
                cb_kwargs={
                    "section_url": section_url,
                    "page": page + 1,
                    "years_walk": {"previous": walk.previous, "ordered": walk.ordered},
                },
                errback=self.download_failed,
            )

    def _date_reader(self, document: Selector) -> Callable[[str], ParsedDate | None]:
        """Reads a listing's dates as the pipeline reads the articles': same languages, zone."""
        page_language = language_code(document.xpath("/html/@lang").get())
        languages = self.site.languages or dates.known_languages(
            (page_language,) if page_language else ()
        )
        reference = datetime.now(UTC)

        def read(text: str) -> ParsedDate | None:
            parsed = dates.parse_date(
                text, languages=languages, timezone=self.site.timezone, reference=reference
            )
            return parsed if parsed.value is not None else None

        return read

    async def parse_article(
        self,
        response: Response,
        listing_section: str | None,
        listing_year: int | None,
        found_published: str | None = None,
    ) -> AsyncIterator[Article | SeenUnchanged]:
        if response.status == 304:
            self.crawler.stats.inc_value("incremental/not_modified")
            yield SeenUnchanged(url=response.url, site=self.site.name, seen_at=datetime.now(UTC))
            return
        fetched_at = datetime.now(UTC)
        if self.extraction is None:
            item = article_item(
                response,
                self.site,
                fetched_at=fetched_at,
                listing_section=listing_section,
                listing_year=listing_year,
                stats=self.crawler.stats,
            )
        else:
            item = await self.extraction.article_item(
                response,
                fetched_at=fetched_at,
                listing_section=listing_section,
                listing_year=listing_year,
            )
        if item is not None:
            item.found_published = found_published
            yield item

    def download_failed(self, failure: Failure) -> None:
        """A page that could not be fetched, after its retries: a fault of the run."""
        record_final_failure(self.crawler, failure.request, failure.value)

    def closed(self, reason: str) -> None:
        """Sum up selectors that matched nothing: on every page, the site has likely
        changed its markup (a warning); on some, the field is just often absent."""
        stats = self.crawler.stats
        pages = stats.get_value("article/pages", 0)
        for field, css in self.site.selectors.items():
            missed = stats.get_value(f"selectors/unmatched/{field}", 0)
            if missed:
                logger.log(
                    logging.WARNING if missed == pages else logging.INFO,
                    "site %r: selector %r (%s) matched nothing on %d of %d article pages",
                    self.site.name,
                    field,
                    css,
                    missed,
                    pages,
                )
