"""Article links of listing pages: which hrefs are articles, each once, in page order.

A crawl reads all its listing pages through one ArticleLinks, which remembers each
absolute URL's reading; the answers must be those of a fresh reading on every page.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lxml.html import HtmlElement
from parsel import Selector

from crawler.sitedef import SiteDefinition
from crawler.spiders import listing
from crawler.urls import canonical_url

SITE = SiteDefinition(
    name="news",
    start_urls=("https://news.example/politics/",),
    article_url=re.compile(r"/(politics|world)/\d+$"),
    allowed_domains=("news.example",),
    path=__file__,
)
PAGE = """<html><body>
<nav><a href="/politics/">Politics</a> <a href="https://other.example/politics/9">Off</a></nav>
<ul>
<li><a href="{first}">One</a> <span class="date">13 September 2018</span></li>
<li><a href="/world/2?utm_source=x#top">Two</a></li>
<li><a href="/world/2">Two again</a></li>
<li><a>no href</a> <a href="http://[broken">Broken</a></li>
</ul>
<footer><a href="/politics/1?utm_medium=y">One, tracked</a></footer>
</body></html>"""

CASES = [
    # (base URL, first link as written, expected (url, canonical) pairs in page order)
    (
        "https://news.example/world/",
        "1",  # the href of the next case's first link, under another section
        [
            ("https://news.example/world/1", "https://news.example/world/1"),
            ("https://news.example/world/2", "https://news.example/world/2"),
            ("https://news.example/politics/1", "https://news.example/politics/1"),
        ],
    ),
    (
        "https://news.example/politics/",
        "1",
        [
            ("https://news.example/politics/1", "https://news.example/politics/1"),
            ("https://news.example/world/2", "https://news.example/world/2"),
        ],
    ),
    (
        "https://news.example/politics/page/2/",
        "../../3",
        [
            ("https://news.example/politics/3", "https://news.example/politics/3"),
            ("https://news.example/world/2", "https://news.example/world/2"),
            # Only the footer links to /politics/1 on this page.
            ("https://news.example/politics/1", "https://news.example/politics/1"),
        ],
    ),
    (
        "https://NEWS.example:443/world/",
        "https://news.example/world/7",
        [
            ("https://news.example/world/7", "https://news.example/world/7"),
            ("https://news.example/world/2", "https://news.example/world/2"),
            ("https://news.example/politics/1", "https://news.example/politics/1"),
        ],
    ),
]


@pytest.mark.parametrize(("base_url", "first", "expected"), CASES)
def test_article_entries(base_url: str, first: str, expected: list[tuple[str, str]]) -> None:
    page = Selector(text=PAGE.format(first=first))
    entries = listing.article_entries(page, base_url, listing.ArticleLinks(SITE), lambda _: None)
    assert [(entry.url, entry.canonical) for entry in entries] == expected
    assert all(entry.canonical == canonical_url(entry.url) for entry in entries)


def test_one_crawl_reading_gives_each_page_its_fresh_answers() -> None:
    links = listing.ArticleLinks(SITE)
    for base_url, first, _ in CASES * 2:
        page = Selector(text=PAGE.format(first=first))
        shared = listing.article_entries(page, base_url, links, lambda _: None)
        fresh = listing.article_entries(page, base_url, listing.ArticleLinks(SITE), lambda _: None)
        assert shared == fresh


def test_the_readings_kept_are_the_most_recently_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listing, "REMEMBERED_LINKS", 2)
    links = listing.ArticleLinks(SITE)
    read = []
    monkeypatch.setattr(links, "_read", lambda url: read.append(url))
    for url in ("a", "b", "a", "c", "a", "b"):
        links.find(url)
    # "b" was the least recently used when "c" came, and was read again.
    assert read == ["a", "b", "c", "b"]


def item_as_first_written(
    anchor: HtmlElement, key: str, articles: listing._PageLinks
) -> HtmlElement:
    """The listing item as `_item_of` first found it, reading each block's links again."""
    item = anchor
    for _ in range(listing.ITEM_LEVELS):
        parent = item.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        if {articles.key(a.get("href", "")) for a in parent.iter("a")} - {None} != {key}:
            break
        item = parent
    return item


_LINK = st.sampled_from(
    ['<a href="/world/1">1</a>', '<a href="/world/2?x=1">2</a>', '<a href="/world/2">2</a>',
     '<a href="/politics/">menu</a>', "<a>none</a>", '<span class="date">1 May 2020</span>', "t"]
)  # fmt: skip
_BLOCKS = st.recursive(
    _LINK,
    lambda inner: st.tuples(
        st.sampled_from(["div", "li", "ul", "p", "section", 'a href="/world/3"', "a"]),
        st.lists(inner),
    ).map(lambda b: f"<{b[0]}>{''.join(b[1])}</{b[0].split()[0]}>"),
    max_leaves=30,
)  # anchors holding blocks and other anchors too: libxml2 keeps them nested


@settings(max_examples=150, deadline=None)
@given(st.lists(_BLOCKS, max_size=4).map("".join))
@example('<div><a href="/world/1"><p><a href="/world/2">2</a></p></a></div>')
def test_listing_items_are_those_of_reading_each_block_again(body: str) -> None:
    page = Selector(text=f"<html><body><main>{body}</main></body></html>")
    articles = listing._PageLinks("https://news.example/world/", listing.ArticleLinks(SITE))
    blocks = listing._linked_articles(page.root, articles)
    for anchor in page.root.iter("a"):
        key = articles.key(anchor.get("href", ""))
        if key is not None:
            expected = item_as_first_written(anchor, key, articles)
            assert listing._item_of(anchor, key, blocks) is expected


def test_a_listing_reads_each_link_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reading each block's links again for each link in it grew with the square of the
    links (8,000 took 70 s in the crawl's own process); each href is now read at most
    twice, once to find the page's articles and once to mark their blocks."""
    reads = []
    key = listing._PageLinks.key
    monkeypatch.setattr(
        listing._PageLinks, "key", lambda self, href: reads.append(href) or key(self, href)
    )
    items = "".join(
        f'<li><a href="/world/{n}">{n}</a> <span>1 May</span></li>' for n in range(2000)
    )
    page = Selector(text=f"<html><body><ul>{items}</ul></body></html>")
    entries = listing.article_entries(
        page, "https://news.example/world/", listing.ArticleLinks(SITE), lambda text: None
    )
    assert len(entries) == 2000
    assert len(reads) <= 2 * 2000
