"""Article links of listing pages: which hrefs are articles, each once, in page order.

A crawl reads all its listing pages through one ArticleLinks, which remembers each
absolute URL's reading; the answers must be those of a fresh reading on every page.
"""

from __future__ import annotations

import re

import pytest
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
