"""The one spider: a site definition turned into requests, responses into Article items.

Listing pages (the definition's `start_urls` and their pagination) give article links;
article pages give items. The spider never writes to the archive: items go through the
pipelines, so the item sink can change without touching crawling or extraction.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.response import get_base_url

from crawler import dates
from crawler.dates import ParsedDate
from crawler.extract import extract_article, language_code
from crawler.items import Article, ArticleLoader
from crawler.listing_years import ListingYears
from crawler.rejections import reject_page
from crawler.sitedef import DefinitionError, SiteDefinition, load_site
from crawler.spiders import listing
from crawler.urls import canonical_url

logger = logging.getLogger(__name__)


class SiteSpider(Spider):
    """Crawls any site definition: `scrapy crawl site -a config=PATH.toml`."""

    name = "site"
    #: Set on the spider classes of bundled definitions; `-a config=` overrides it.
    definition: ClassVar[Path | None] = None

    def __init__(self, config: str | None = None, **kwargs: Any) -> None:
        self.site: SiteDefinition = self.load_definition(config)
        super().__init__(self.site.name, **kwargs)
        self.allowed_domains = list(self.site.allowed_domains)
        #: Canonical article URLs already seen in each section (keyed by start URL), so a
        #: listing whose pages loop or repeat stops instead of paging forever.
        self._section_links: dict[str, set[str]] = {}

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
        for url in self.site.start_urls:
            yield Request(url, self.parse_listing, cb_kwargs={"section_url": url, "page": 1})

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
        entries = listing.article_entries(
            response.selector, get_base_url(response), self.site, self._date_reader(response)
        )
        # The year evidence of the section's listing, walked page by page. It travels with
        # the next page's request, so whichever process fetches that page (in a distributed
        # crawl, any worker) continues the walk.
        walk = ListingYears(ZoneInfo(self.site.timezone), **(years_walk or {}))
        years = walk.read_page([entry.date for entry in entries])
        seen = self._section_links.setdefault(section_url, set())
        label = listing.section_label(response.selector)
        new_links = 0
        for entry, year in zip(entries, years, strict=True):
            key = canonical_url(entry.url)
            if key in seen:
                continue
            seen.add(key)
            new_links += 1
            yield Request(
                entry.url,
                self.parse_article,
                cb_kwargs={"listing_section": label, "listing_year": year},
            )
        if not new_links:
            logger.info(
                "site %r: %s brings no new article link; section %s ends here",
                self.site.name,
                response.url,
                section_url,
            )
            return
        if self.site.max_pages is not None and page >= self.site.max_pages:
            return
        next_url = listing.next_page(response.selector, get_base_url(response), self.site)
        if next_url:
            yield Request(
                next_url,
                self.parse_listing,
                cb_kwargs={
                    "section_url": section_url,
                    "page": page + 1,
                    "years_walk": {"previous": walk.previous, "ordered": walk.ordered},
                },
            )

    def _date_reader(self, response: HtmlResponse) -> Callable[[str], ParsedDate | None]:
        """Reads a listing's dates as the pipeline reads the articles': same languages, zone."""
        page_language = language_code(response.xpath("/html/@lang").get())
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

    def parse_article(
        self, response: Response, listing_section: str | None, listing_year: int | None
    ) -> Iterator[Article]:
        if not isinstance(response, HtmlResponse):
            content_type = response.headers.get("Content-Type", b"none").decode("latin-1")
            self._reject(response, "not_html", f"not an HTML page (Content-Type: {content_type})")
            return
        fetched_at = datetime.now(UTC)
        extracted = extract_article(
            response.selector,
            response.url,
            self.site,
            fetched_at=fetched_at,
            listing_section=listing_section,
        )
        if not (
            self.site.article_url.search(response.url)
            or self.site.article_url.search(extracted.url)
        ):
            # A redirect to a login page, a paywall or the home page is not the article.
            detail = f"redirected to {response.url}, which article_url does not match"
            self._reject(response, "not_article_url", detail)
            return
        self.crawler.stats.inc_value("article/pages")
        for field in extracted.unmatched_selectors:
            self.crawler.stats.inc_value(f"selectors/unmatched/{field}")
            logger.debug(
                "site %r: selector %r (%s) matched nothing on %s; fell back to %s",
                self.site.name,
                field,
                self.site.selectors[field],
                response.url,
                extracted.sources.get(field, "nothing"),
            )
        loader = ArticleLoader()
        loader.add_value("url", extracted.url)
        loader.add_value("site", self.site.name)
        loader.add_value("seen_at", fetched_at)
        loader.add_value("listing_year", listing_year)
        for name in (
            "title",
            "published_raw",
            "published_hint",
            "modified_raw",
            "authors",
            "section",
            "summary",
            "body",
            "tags",
            "image_url",
            "language",
        ):
            loader.add_value(name, getattr(extracted, name))
        yield loader.load_item()

    def _reject(self, response: Response, reason: str, detail: str) -> None:
        """Log a rejected page under the URL the listing linked to, before any redirect."""
        url = response.meta.get("redirect_urls", [response.url])[0]
        message = reject_page(
            self.crawler.stats, site=self.site.name, url=url, reason=reason, detail=detail
        )
        logger.warning(message)

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
