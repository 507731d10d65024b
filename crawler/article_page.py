"""One fetched article response -> one Article item, for the spider and for re-extraction.

Crawling and `archive reparse` call the same function, so a stored raw page re-read with
today's code gives exactly what a fresh crawl of that page would give.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.http import HtmlResponse, Response

from crawler import dates
from crawler.extract import extract_article
from crawler.extract.page import parsed_page
from crawler.items import Article, ArticleLoader
from crawler.rejections import Counts, reject_page
from crawler.sitedef import SiteDefinition

logger = logging.getLogger(__name__)

#: Fields copied from the extraction layers into the item loader, which cleans them.
EXTRACTED_FIELDS = (
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
)


def article_item(
    response: Response,
    site: SiteDefinition,
    *,
    fetched_at: datetime,
    listing_section: str | None = None,
    listing_year: int | None = None,
    stats: Counts | None = None,
) -> Article | None:
    """The Article a response holds, with its URL variants and raw page; None if rejected.

    `fetched_at` is the reference time for relative and year-less dates (for a reparse:
    the raw page's fetch time, not now). `listing_section` and `listing_year` are what the
    section listing said about the link. A page that is not HTML or not an article URL of
    the site is rejected: logged with its site and URL, and counted in `stats` when given.
    Dates stay raw: `crawler.pipelines.normalise_dates` reads them.
    """
    requested = _redirects(response)[0] if _redirects(response) else response.url
    if not isinstance(response, HtmlResponse):
        content_type = response.headers.get("Content-Type", b"none").decode("latin-1")
        _reject(
            stats, site, requested, "not_html", f"not an HTML page (Content-Type: {content_type})"
        )
        return None
    extracted = extract_article(
        parsed_page(response),
        response.url,
        site,
        fetched_at=fetched_at,
        listing_section=listing_section,
    )
    if not (site.article_url.search(response.url) or site.article_url.search(extracted.url)):
        # A redirect to a login page, a paywall or the home page is not the article.
        detail = f"redirected to {response.url}, which article_url does not match"
        _reject(stats, site, requested, "not_article_url", detail)
        return None
    if stats is not None:
        stats.inc_value("article/pages")
        for field in extracted.unmatched_selectors:
            stats.inc_value(f"selectors/unmatched/{field}")
    for field in extracted.unmatched_selectors:
        logger.debug(
            "site %r: selector %r (%s) matched nothing on %s; fell back to %s",
            site.name,
            field,
            site.selectors[field],
            response.url,
            extracted.sources.get(field, "nothing"),
        )
    loader = ArticleLoader()
    loader.add_value("url", extracted.url)
    loader.add_value("site", site.name)
    loader.add_value("seen_at", fetched_at)
    loader.add_value("listing_year", listing_year)
    loader.add_value("published_source", extracted.sources.get("published"))
    for name in EXTRACTED_FIELDS:
        loader.add_value(name, getattr(extracted, name))
    item: Article = loader.load_item()
    item.urls = url_variants(response, item.url or extracted.url, site, extracted.declared_url)
    item.raw_page = raw_page(
        response,
        site,
        fetched_at=fetched_at,
        listing_section=listing_section,
        listing_year=listing_year,
    )
    return item


def url_variants(
    response: Response, canonical: str, site: SiteDefinition, declared: str | None
) -> list[tuple[str, str]]:
    """Every URL the page was reached through or names itself by, with how, each once.

    The canonical form comes first; then the URL the listing linked to, the redirects
    followed, the URL that answered, and `declared`, the page's own rel=canonical (or
    og:url) as written, when it is an article URL of the site: many CMSs point it at the
    home page.
    """
    redirects = _redirects(response)
    variants = [(canonical, "canonical")]
    if redirects:
        variants.append((redirects[0], "requested"))
        variants += [(url, "redirect") for url in redirects[1:]]
    else:
        variants.append((response.request.url if response.request else response.url, "requested"))
    variants.append((response.url, "response"))
    if declared and declared.strip():
        absolute = urljoin(response.url, declared.strip())
        if (
            urlsplit(absolute).scheme in ("http", "https")
            and site.allows(absolute)
            and site.article_url.search(absolute)
        ):
            variants.append((absolute, "declared"))
    seen: dict[str, str] = {}
    for url, kind in variants:
        seen.setdefault(url, kind)
    return list(seen.items())


def raw_page(
    response: Response,
    site: SiteDefinition,
    *,
    fetched_at: datetime,
    listing_section: str | None,
    listing_year: int | None,
) -> dict[str, Any]:
    """The response as the archive keeps it, with what re-extraction needs to redo this."""
    headers = {
        key.decode("latin-1"): [value.decode("latin-1") for value in values]
        for key, values in response.headers.items()
    }
    return {
        "url": response.url,
        "status": response.status,
        "headers": headers,
        "body": response.body,
        "fetched_at": dates.isoformat(fetched_at),
        "site": site.name,
        "listing_section": listing_section,
        "listing_year": listing_year,
    }


def _redirects(response: Response) -> list[str]:
    """The URLs redirected from, first the one requested; none for a response built from a
    stored page (re-extraction), which has no request."""
    return list(response.request.meta.get("redirect_urls", [])) if response.request else []


def _reject(stats: Counts | None, site: SiteDefinition, url: str, reason: str, detail: str) -> None:
    """Log a rejected page under the URL the listing linked to, before any redirect."""
    if stats is None:
        logger.warning("site %r: %s: %s; not archived", site.name, url, detail)
        return
    logger.warning(reject_page(stats, site=site.name, url=url, reason=reason, detail=detail))
