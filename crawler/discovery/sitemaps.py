"""Sitemaps, sitemap indexes, Google News sitemaps and robots.txt `Sitemap:` lines.

Parsing is Scrapy's own (`scrapy.utils.sitemap`: iterative, entity expansion off), with
one addition: a Google News entry's `news:publication_date`, which Scrapy's reader drops
with the rest of the nested `<news:news>` block. `lastmod` is never read as a publication
date: it moves with every edit of the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from lxml import etree
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler.discovery import FoundLink


class NotASitemap(ValueError):
    """The document is neither a sitemap nor a sitemap index."""


@dataclass(frozen=True, slots=True)
class SitemapDocument:
    #: Further sitemaps to read (from an index), in document order.
    sitemaps: list[str]
    #: Pages the sitemap lists, with their news publication dates.
    pages: list[FoundLink]


class _NewsSitemap(Sitemap):
    """Scrapy's reader, keeping each entry's `news:publication_date` as `publication_date`."""

    def _process_sitemap_element(self, elem: etree._Element) -> dict[str, Any] | None:
        dates = elem.xpath(".//*[local-name()='news']/*[local-name()='publication_date']/text()")
        entry = super()._process_sitemap_element(elem)
        if entry is not None and dates:
            entry["publication_date"] = str(dates[0]).strip()
        return entry


def read_sitemap(body: bytes, url: str, zone: ZoneInfo) -> SitemapDocument:
    """A sitemap or sitemap index; dates without an offset are read in `zone`."""
    try:
        sitemap = _NewsSitemap(body)
    except (etree.XMLSyntaxError, StopIteration):
        raise NotASitemap(f"{url}: not an XML sitemap") from None
    if sitemap.type not in ("urlset", "sitemapindex"):
        raise NotASitemap(f"{url}: XML root <{sitemap.type}> is not <urlset> or <sitemapindex>")
    sitemaps, pages = [], []
    for entry in sitemap:
        loc = urljoin(url, entry["loc"])
        if sitemap.type == "sitemapindex":
            sitemaps.append(loc)
        else:
            pages.append(FoundLink(loc, w3c_datetime(entry.get("publication_date"), zone)))
    return SitemapDocument(sitemaps, pages)


def robots_sitemaps(body: bytes, url: str) -> list[str]:
    """The absolute URLs of a robots.txt's `Sitemap:` lines, each once."""
    return list(dict.fromkeys(sitemap_urls_from_robots(body, base_url=url)))


def is_robots_txt(url: str) -> bool:
    return url.split("?", 1)[0].endswith("/robots.txt")


def w3c_datetime(text: str | None, zone: ZoneInfo) -> datetime | None:
    """A W3C datetime (`2024-12-31`, `2024-12-31T21:20Z`, `...+03:00`) as an aware time.

    A bare date or a time without offset is the site's local time; unreadable text is no date.
    """
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=zone)
