"""Reading a section listing page: which links are articles, where the next page is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from crawler.extract.text import element_text
from crawler.sitedef import SiteDefinition
from crawler.urls import clean_url

#: Link texts of "next page" links, in the languages we crawl; trailing arrows allowed.
NEXT_TEXT = re.compile(
    r"^\s*(next|next page|older|older posts|older entries|more news|следующая|"
    r"следующая страница|далее|дальше|вперёд|вперед|наступна|далі|sonrakı|növbəti|"
    r"sonraki|ileri|›|»|→)\s*[›»→>]*\s*$",
    re.IGNORECASE,
)
_NEXT_MARKUP = re.compile(r"(^|[-_\s])next($|[-_\s])", re.IGNORECASE)


def article_links(page: Selector, base_url: str, site: SiteDefinition) -> Iterator[str]:
    """Absolute, cleaned URLs of the links on the page that the site calls articles."""
    for href in page.css("a::attr(href)").getall():
        try:
            url = clean_url(urljoin(base_url, href.strip()))
        except ValueError:
            continue  # a malformed link is not an article
        if (
            urlsplit(url).scheme in ("http", "https")
            and site.allows(url)
            and site.article_url.search(url)
        ):
            yield url


def next_page(page: Selector, base_url: str, site: SiteDefinition) -> str | None:
    """The next listing page: the site's `next_page` selector, else the usual markers."""
    if site.next_page:
        href = _href(page.css(site.next_page))
    else:
        href = page.css('link[rel~="next"]::attr(href), a[rel~="next"]::attr(href)').get() or _href(
            [
                a
                for a in page.css("a[href]")
                if NEXT_TEXT.match(element_text(a.root))
                or _NEXT_MARKUP.search(a.attrib.get("class", ""))
                or (a.attrib.get("aria-label") or "").strip().lower() in ("next", "next page")
            ]
        )
    if not href:
        return None
    try:
        url = clean_url(urljoin(base_url, href.strip()))
    except ValueError:
        return None
    return url if site.allows(url) else None


def heading(page: Selector) -> str | None:
    """The listing's own heading, used as the section of articles that name none."""
    h1 = page.css("h1")
    return element_text(h1[0].root) or None if h1 else None


def _href(matches: list[Selector]) -> str | None:
    for match in matches:
        if isinstance(match.root, str):  # a ::attr(href) selector gives the value itself
            return match.root
        href = match.attrib.get("href") or match.css("a::attr(href)").get()
        if href:
            return href
    return None
