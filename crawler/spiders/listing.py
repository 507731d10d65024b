"""Reading a section listing page: which links are articles, where the next page is."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml.html import HtmlElement
from parsel import Selector

from crawler.dates import ParsedDate
from crawler.extract.date_candidates import is_date_element
from crawler.extract.generic import MAX_DATE_TEXT
from crawler.extract.text import element_text
from crawler.sitedef import SiteDefinition
from crawler.urls import canonical_url, clean_url

#: Link texts of "next page" links, in the languages we crawl; trailing arrows allowed.
NEXT_TEXT = re.compile(
    r"^\s*(next|next page|older|older posts|older entries|more news|следующая|"
    r"следующая страница|далее|дальше|вперёд|вперед|наступна|далі|sonrakı|növbəti|"
    r"sonraki|ileri|›|»|→)\s*[›»→>]*\s*$",
    re.IGNORECASE,
)
_NEXT_MARKUP = re.compile(r"(^|[-_\s])next($|[-_\s])", re.IGNORECASE)
#: How many levels above a link its listing item may reach.
ITEM_LEVELS = 4
#: Absolute link URLs whose reading a crawl remembers (see ArticleLinks).
REMEMBERED_LINKS = 4096


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """An article link of a listing page, with the date the listing prints beside it."""

    url: str
    date: ParsedDate | None
    #: The URL's canonical form (crawler.urls.canonical_url), the crawl's key for it.
    canonical: str


def article_entries(
    page: Selector,
    base_url: str,
    links: ArticleLinks,
    read_date: Callable[[str], ParsedDate | None],
) -> list[ListingEntry]:
    """The page's article links in page order, each once, with their listed dates.

    `links` reads which URLs are the site's articles; a crawl passes one for all its
    listing pages, which share their menus and footers, so that each URL is read once.
    """
    articles = _PageLinks(base_url, links)
    blocks = _linked_articles(page.root, articles)
    entries: dict[str, ListingEntry] = {}
    # A walk by tag name, in C: the same anchors in the same order as `a[href]`, without
    # a Selector for each. root.get, not parsel's .attrib: that reads every attribute, and
    # raises on a malformed one (`<a href=x "{>`), which broken pages have.
    for anchor in page.root.iter("a"):
        href = anchor.get("href")
        if href is None:
            continue
        found = articles.find(href)
        if found is None or found[1] in entries:
            continue
        url, key = found
        item = _item_of(anchor, key, blocks)
        entries[key] = ListingEntry(url, _listed_date(item, read_date), key)
    return list(entries.values())


class ArticleLinks:
    """Which absolute URLs are article links of a site: (cleaned URL, canonical URL), or None.

    The readings (cleaning, canonical form, the site's article pattern) are pure, and the
    last REMEMBERED_LINKS are kept: a listing page repeats the site's menus and footer, so
    most of its links were read on the page before.
    """

    def __init__(self, site: SiteDefinition) -> None:
        self.site = site
        #: Readings, least recently used first (a dict keeps insertion order).
        self._readings: dict[str, tuple[str, str] | None] = {}

    def find(self, url: str) -> tuple[str, str] | None:
        readings = self._readings
        if url in readings:
            found = readings.pop(url)
        else:
            found = self._read(url)
            if len(readings) >= REMEMBERED_LINKS:
                del readings[next(iter(readings))]
        readings[url] = found
        return found

    def _read(self, url: str) -> tuple[str, str] | None:
        try:
            cleaned = clean_url(url)
        except ValueError:
            return None  # a malformed link is not an article
        return (cleaned, canonical_url(cleaned)) if self.site.is_article(cleaned) else None


class _PageLinks:
    """The article links of one page, by href as written; each href is read once."""

    def __init__(self, base_url: str, links: ArticleLinks) -> None:
        self.base_url = base_url
        self.links = links
        self._read: dict[str, tuple[str, str] | None] = {}

    def key(self, href: str) -> str | None:
        """The canonical URL of an article link, else None."""
        found = self.find(href)
        return found[1] if found else None

    def find(self, href: str) -> tuple[str, str] | None:
        """(cleaned absolute URL, canonical URL) of an article link, else None."""
        if href not in self._read:
            try:
                url = urljoin(self.base_url, href.strip())
            except ValueError:
                url = None  # a malformed link is not an article
            self._read[href] = self.links.find(url) if url is not None else None
        return self._read[href]


#: In `_linked_articles`, a block that links to more than one article.
_SEVERAL = ""


def _linked_articles(root: HtmlElement, articles: _PageLinks) -> dict[HtmlElement, str]:
    """For each element holding an article link, the canonical URL of the one article
    its links lead to, or _SEVERAL.

    Each link's article is marked on the link and its ancestors up to the first that
    already has it (their ancestors have it too) or already has several (a link may hold
    other links: libxml2 keeps nested anchors): one walk of the page, however
    many links a block holds. Reading each block's links again for each of its links took
    a listing of 8,000 links 70 s, in the crawl's own process.
    """
    blocks: dict[HtmlElement, str] = {}
    for anchor in root.iter("a"):
        key = articles.key(anchor.get("href", ""))
        if key is None:
            continue
        block = anchor  # an anchor may hold others (libxml2 keeps nested <a>)
        while block is not None:
            found = blocks.get(block)
            if found in (key, _SEVERAL):
                break
            blocks[block] = key if found is None else _SEVERAL
            block = block.getparent()
    return blocks


def _item_of(anchor: HtmlElement, key: str, blocks: dict[HtmlElement, str]) -> HtmlElement:
    """The largest block around a link that links to no other article: its listing item."""
    item = anchor
    for _ in range(ITEM_LEVELS):
        parent = item.getparent()
        if parent is None or parent.tag in ("body", "html") or blocks.get(parent) != key:
            break
        item = parent
    return item


def _listed_date(
    item: HtmlElement, read_date: Callable[[str], ParsedDate | None]
) -> ParsedDate | None:
    """The readable date of a listing item: a date element's, else the item's own text."""
    marked = [e for e in item.iter() if e is not item and is_date_element(e)]
    texts = sorted((t for e in marked if (t := element_text(e))), key=len)
    own_text = " ".join(t.strip() for t in item.xpath(".//text()[not(ancestor::a)]") if t.strip())
    for text in (*texts, own_text):
        if text and len(text) <= MAX_DATE_TEXT and (parsed := read_date(text)):
            return parsed
    return None


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
                or _NEXT_MARKUP.search(a.root.get("class", ""))
                or (a.root.get("aria-label") or "").strip().lower() in ("next", "next page")
            ]
        )
    if not href:
        return None
    try:
        url = clean_url(urljoin(base_url, href.strip()))
    except ValueError:
        return None
    return url if site.allows(url) else None


def section_label(page: Selector) -> str | None:
    """The listing's own heading, used as the section of articles that name none."""
    h1 = page.css("h1")
    return element_text(h1[0].root) or None if h1 else None


def _href(matches: list[Selector]) -> str | None:
    for match in matches:
        if isinstance(match.root, str):  # a ::attr(href) selector gives the value itself
            return match.root
        href = match.root.get("href") or match.css("a::attr(href)").get()
        if href:
            return href
    return None
